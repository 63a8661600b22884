// Package vm holds halvs' VM tier: tests built with the vmtest tag that run inside a qemu guest
// booting Debian's cloud kernel, the only place where halvs meets a real IPVS table. run.sh
// builds the image (image.sh) and boots it; init.sh is the guest's PID 1. See README.md.
package vm

#!/bin/sh
# The VM tier's guest init (PID 1, busybox sh). It prepares a minimal system, loads the IPVS and
# networking modules, runs every test named in /halvs/tests.list and prints one result line per
# test plus an end marker that integration/vm/run.sh parses on the host:
#   HALVS-VM-RESULT <name> PASS|FAIL <seconds>s
#   HALVS-VM-END pass=<n> fail=<n>
# Then it powers the VM off. Anything that goes wrong before the marker makes the host fail.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TMPDIR=/tmp HALVS_VM=1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /run/netns /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Keep the console for the tests: only kernel warnings and worse.
echo 4 >/proc/sys/kernel/printk

ip link set lo up
hostname halvs-vm

echo "halvs-vm: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU, $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) MiB"
fail_boot=""
moddir=/lib/modules/$(uname -r)
while read -r mod; do
  insmod "$moddir/$mod.ko" || fail_boot="$fail_boot $mod"
done <"$moddir/order"
[ -e /proc/net/ip_vs ] || fail_boot="$fail_boot (no /proc/net/ip_vs)"

pass=0
fail=0
summary=""
if [ -n "$fail_boot" ]; then
  echo "halvs-vm: module load failed:$fail_boot"
  fail=1
  echo "HALVS-VM-RESULT modules FAIL 0s"
  summary="  FAIL modules"
else
  echo "halvs-vm: modules loaded: $(tr '\n' ' ' <"$moddir/order")"
  while read -r name dir cmd; do
    case $name in '' | '#'*) continue ;; esac
    echo "halvs-vm: === $name: $cmd"
    start=$(cut -d. -f1 /proc/uptime)
    # Each test runs in its package directory, as `go test` does, so relative paths hold.
    if (cd "$dir" && eval "$cmd") </dev/null 2>&1; then
      res=PASS
      pass=$((pass + 1))
    else
      res=FAIL
      fail=$((fail + 1))
    fi
    secs=$(($(cut -d. -f1 /proc/uptime) - start))
    line="HALVS-VM-RESULT $name $res ${secs}s"
    echo "$line"
    summary="$summary
  $res $name (${secs}s)"
  done </halvs/tests.list
fi

echo "halvs-vm: ===== summary ====="
echo "$summary" | sed '/^$/d'
echo "HALVS-VM-END pass=$pass fail=$fail"
sync
poweroff -f
echo o >/proc/sysrq-trigger
sleep 5

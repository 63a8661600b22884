// Package sdnotify tells systemd (a Type=notify service manager, sd_notify(3)) where halvs is
// in its life: READY once VRRP, IPVS and checks run, RELOADING while a SIGHUP reload is
// applied, STOPPING on shutdown, and a STATUS line for `systemctl status`. Without
// NOTIFY_SOCKET (not started by systemd) every call does nothing.
package sdnotify

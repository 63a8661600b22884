// Package track watches what VRRP instances track outside halvs, the keepalived way:
// numbers written into files (track_file, through inotify) and running processes
// (vrrp_track_process, through the kernel's process events connector, with a /proc scan
// where the connector is unavailable). It reports values and quorum changes; what they do
// to an instance's priority is the vrrp package's business.
package track

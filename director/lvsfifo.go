package director

import (
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// keepalived's checker lines on notify_fifo and lvs_notify_fifo (ipwrapper.c notify_fifo_vs,
// notify_fifo_rs): "VS [10.0.0.1]:tcp:80 UP", "RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN";
// a fwmark service is "FWM 5", a group "[NAME]:0", as keepalived's format_vs writes them.

// fifoVS is hp's virtual server as keepalived names it in those lines.
func fifoVS(hp HealthPlan) string {
	switch {
	case strings.HasPrefix(hp.Track, "fwmark:"):
		return "FWM " + strings.TrimPrefix(hp.Track, "fwmark:")
	case strings.HasPrefix(hp.Track, "group:"):
		return "[" + strings.TrimPrefix(hp.Track, "group:") + "]:0"
	}
	ap, err := netip.ParseAddrPort(hp.Track)
	if err != nil {
		return hp.Track
	}
	return fifoTrio(ap, fifoProto(hp))
}

// fifoProto is the service's protocol as keepalived's inet_sockaddrtotrio spells it; a
// fwmark service has none.
func fifoProto(hp HealthPlan) string {
	_, p, ok := strings.Cut(hp.VS.Name, "/")
	if !ok {
		return "none"
	}
	return strings.ToLower(p)
}

func fifoTrio(ap netip.AddrPort, proto string) string {
	return "[" + ap.Addr().String() + "]:" + proto + ":" + strconv.Itoa(int(ap.Port()))
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// fifoVSLine is keepalived's line for a virtual server's quorum.
func fifoVSLine(hp HealthPlan, up bool) string {
	return "VS " + fifoVS(hp) + " " + upDown(up) + "\n"
}

// fifoRSLine is keepalived's line for a real server going up or down.
func fifoRSLine(hp HealthPlan, rs netip.AddrPort, up bool) string {
	return "RS " + fifoTrio(rs, fifoProto(hp)) + " " + fifoVS(hp) + " " + upDown(up) + "\n"
}

// setLVS sets the lvs_notify_fifo path; the next configure opens it (and closes an old one).
func (f *notifyFIFOs) setLVS(path string) {
	f.mu.Lock()
	f.lvs = path
	f.mu.Unlock()
}

// writeLVS writes a checker line to the global notify_fifo and to lvs_notify_fifo, as
// keepalived's checker process does; it never blocks (see write).
func (f *notifyFIFOs) writeLVS(line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	paths := []string{f.global}
	if f.lvs != f.global { // one FIFO named twice gets the line once
		paths = append(paths, f.lvs)
	}
	for _, p := range paths {
		file := f.files[p]
		if p == "" || file == nil {
			continue
		}
		if _, err := io.WriteString(file, line); err != nil {
			f.log.Debug("lvs_notify_fifo write failed; line lost", "err", err)
		}
	}
}

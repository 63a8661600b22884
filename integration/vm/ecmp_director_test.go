//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ecmpConf is director d's configuration in the active-active lab: no VRRP; the VIP announced
// to the router while both of its virtual servers (HTTP on 80, the line echo on 7) have quorum;
// mh with the port in the hash (the client has one address) and sloppy_tcp, so that every
// director sends a flow to the same real server and takes over a flow mid-stream.
func ecmpConf(d host, drainTime int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global {
  router_id      = "ECMP_%[1]s"
  lvs_sloppy_tcp = true
}

bgp {
  asn       = %[2]d
  router_id = "%[3]s"
  neighbor "%[4]s" {
    peer_asn  = %[5]d
    hold_time = %[6]d
  }
}

bgp_announce "web" {
  prefixes             = ["%[7]s/32"]
  track_virtual_server = ["%[7]s:80", "%[7]s:%[8]d"]
  drain_time           = %[9]d
}
`, strings.ToUpper(d.name()), directorAS, d.addr, router.addr, routerASN, int(ecmpHoldTime/time.Second),
		vip, echoPort, drainTime)
	for _, port := range []int{80, echoPort} {
		fmt.Fprintf(&b, `
virtual_server "%s:%d" {
  delay_loop = 1
  lvs_sched  = "mh"
  mh-port    = true
  lvs_method = "DR"
  protocol   = "TCP"
`, vip, port)
		for _, rs := range realServers {
			fmt.Fprintf(&b, `  real_server "%s:%d" {
    weight = 1
    tcp_check {
      connect_timeout = 1
    }
  }
`, rs.addr, port)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// ecmpDirector is one `halvs run` of the active-active lab.
type ecmpDirector struct {
	*halvsd
}

// startECMPDirector writes d's configuration and starts halvs on it.
func startECMPDirector(t *testing.T, d host, drainTime int) ecmpDirector {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, d.name()+".hcl")
	if err := os.WriteFile(conf, []byte(ecmpConf(d, drainTime)), 0o644); err != nil {
		t.Fatal(err)
	}
	name := strings.ToUpper(strings.TrimPrefix(d.name(), "dir"))
	h := startHalvs(t, name, d, conf, filepath.Join(dir, d.name()+".log"))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("director %s's log:\n%s", name, h.tail(40))
		}
	})
	return ecmpDirector{h}
}

// startECMPDirectors starts A, B and C.
func startECMPDirectors(t *testing.T, drainTime int) []ecmpDirector {
	t.Helper()
	var ds []ecmpDirector
	for _, d := range ecmpDirs {
		ds = append(ds, startECMPDirector(t, d, drainTime))
	}
	return ds
}

// crash makes the director's machine die: halvs frozen, the link down, halvs killed, the
// namespace rebuilt empty as after a reboot. Nothing tells the router: its BGP session ends
// only when the hold timer expires. It returns when the machine went away.
func (d ecmpDirector) crash(t *testing.T) time.Time {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGSTOP)
	nsRun(t, d.host.ns, "ip link set eth0 down")
	at := time.Now()
	d.kill(t)
	rebuildECMPDirector(t, d.host)
	return at
}

// control runs `halvs COMMAND` against the director's control socket (drain, undrain,
// status).
func (d ecmpDirector) control(t *testing.T, command string) string {
	t.Helper()
	return run(t, halvsBin(), command, "--socket", filepath.Join(runDir(d.host), "halvs.sock"))
}

// ecmpStream opens a line-echo stream from the client network to VIP:7.
func ecmpStream(t *testing.T, name string) *echoStream {
	t.Helper()
	return openEchoStream(t, eclient.ns, name)
}

// echoed is how many lines the stream has had echoed so far.
func (s *echoStream) echoed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// carriers returns, for each stream, the directors among ds whose IPVS connection table has
// it ESTABLISHED, the one that saw its last packet first: each packet resets the entry's
// expiry, so a director that carried the stream before the router moved it (a session that
// flapped on a starved host) holds an older entry. One shell reads every table (a process
// start costs ~100 ms under TCG).
func carriers(t *testing.T, ds []ecmpDirector, streams []*echoStream) map[*echoStream][]ecmpDirector {
	t.Helper()
	var script strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&script, "echo '== %s'; ip netns exec %s ipvsadm -Lnc || true\n", d.name, d.host.ns)
	}
	all, err := runErr("sh", "-c", shPrelude+script.String())
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]string{}
	for _, part := range strings.Split(all, "== ")[1:] {
		name, table, _ := strings.Cut(part, "\n")
		tables[name] = table
	}
	type entry struct {
		d      ecmpDirector
		expire string // "14:59": fixed width, so it sorts as text
	}
	found := map[*echoStream][]entry{}
	for _, d := range ds {
		for _, line := range strings.Split(tables[d.name], "\n") {
			f := strings.Fields(line)
			if len(f) < 6 || f[2] != "ESTABLISHED" || f[4] != fmt.Sprintf("%s:%d", vip, echoPort) {
				continue
			}
			for _, s := range streams {
				if f[3] == s.local {
					found[s] = append(found[s], entry{d, f[1]})
				}
			}
		}
	}
	out := map[*echoStream][]ecmpDirector{}
	for s, es := range found {
		sort.SliceStable(es, func(i, j int) bool { return es[i].expire > es[j].expire })
		for _, e := range es {
			out[s] = append(out[s], e.d)
		}
	}
	return out
}

// streamsOnEvery opens streams until each of ds carries at least one (at most 24: with three
// next hops and an L4 hash, the chance that one of them gets none of 24 is below 1 in 10^4),
// and returns them with the director that carries each.
func streamsOnEvery(t *testing.T, ds []ecmpDirector) ([]*echoStream, map[*echoStream]ecmpDirector) {
	t.Helper()
	var streams []*echoStream
	on := map[*echoStream]ecmpDirector{}
	for len(streams) < 24 {
		s := ecmpStream(t, fmt.Sprintf("s%d", len(streams)+1))
		streams = append(streams, s)
		var by map[*echoStream][]ecmpDirector
		for i := 0; i < 25; i++ { // the entry turns ESTABLISHED with the client's first ACK
			if by = carriers(t, ds, []*echoStream{s}); len(by[s]) > 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(by[s]) == 0 {
			t.Fatalf("stream %s (%s) is in no director's connection table", s.name, s.local)
		}
		on[s] = by[s][0]
		covered := map[string]bool{}
		for _, d := range on {
			covered[d.name] = true
		}
		if len(covered) == len(ds) {
			return streams, on
		}
	}
	t.Fatalf("24 streams and not every director carries one: %v", on)
	return nil, nil
}

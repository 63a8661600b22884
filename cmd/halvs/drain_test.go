package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/control"
)

func TestRenderBGP(t *testing.T) {
	at := time.Date(2026, 12, 7, 18, 1, 7, 0, time.UTC)
	st := &control.BGP{ASN: 65010, RouterID: "10.10.10.30",
		Neighbors: []control.BGPNeighbor{{Address: "10.10.10.100", PeerASN: 65000, State: "ESTABLISHED", Up: true, Since: at},
			{Address: "10.10.10.101", PeerASN: 65000, State: "ACTIVE"}},
		Prefixes: []control.BGPPrefix{{Prefix: "10.10.10.22/32", Announce: "web", Reason: "virtual server 10.10.10.22:80 lost quorum"},
			{Prefix: "10.10.10.53/32", Announce: "dns", Announced: true, Reason: "tracks no virtual server"}}}
	var b bytes.Buffer
	renderBGP(&b, st, time.UTC, at)
	want := `
BGP: asn 65010, router_id 10.10.10.30, announcing
  neighbor 10.10.10.100  as 65000  ESTABLISHED  since 18:01:07
  neighbor 10.10.10.101  as 65000  ACTIVE       
  prefix 10.10.10.22/32  web       withdrawn    virtual server 10.10.10.22:80 lost quorum
  prefix 10.10.10.53/32  dns       announced    tracks no virtual server
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	st.Drained, st.DrainUntil = true, at.Add(5*time.Second)
	b.Reset()
	renderBGP(&b, st, time.UTC, at)
	if line := strings.Split(b.String(), "\n")[1]; line != "BGP: asn 65010, router_id 10.10.10.30, DRAINED (drain_time ends 18:01:12)" {
		t.Errorf("drained header: %q", line)
	}
	b.Reset()
	renderBGP(&b, nil, time.UTC, at)
	if b.Len() != 0 {
		t.Errorf("without bgp: %q, want nothing", b.String())
	}
}

// TestDrainCommand runs halvs drain and undrain against a control socket.
func TestDrainCommand(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "halvs.sock")
	l, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := control.NewServer(control.Handlers{Drain: func(_ context.Context, req control.DrainRequest) (*control.DrainResult, error) {
		if !req.Drain {
			return &control.DrainResult{Announced: []string{"10.10.10.22/32"}}, nil
		}
		return &control.DrainResult{Drained: true, Withdrawn: []string{"10.10.10.22/32"}, Wait: control.Duration(5 * time.Second)}, nil
	}}, slog.New(slog.DiscardHandler))
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	for _, tc := range []struct {
		cmd, want string
	}{
		{"drain", "drained: 1 prefixes withdrawn [10.10.10.22/32]; give established connections 5s before stopping\n"},
		{"undrain", "undrained: 1 prefixes announced [10.10.10.22/32]\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{tc.cmd, "--socket", sock}, &stdout, &stderr); code != exitOK {
			t.Fatalf("halvs %s: exit %d: %s", tc.cmd, code, stderr.String())
		}
		if diff := cmp.Diff(tc.want, stdout.String()); diff != "" {
			t.Errorf("halvs %s (-want +got):\n%s", tc.cmd, diff)
		}
	}
	var stderr bytes.Buffer
	if code := dispatch([]string{"drain", "--socket", sock, "extra"}, &bytes.Buffer{}, &stderr); code != exitUsage {
		t.Errorf("a stray argument: exit %d, want %d", code, exitUsage)
	}
}

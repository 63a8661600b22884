package config_test

import "testing"

func TestGlobalLVSNotifyFifo(t *testing.T) {
	cfg := mustParse(t, "global {\n  lvs_notify_fifo = \"/run/halvs-lvs.fifo\"\n}\n")
	if got, want := cfg.Global.LVSNotifyFifo, "/run/halvs-lvs.fifo"; got != want {
		t.Errorf("LVSNotifyFifo %q, want %q", got, want)
	}
	runDiagCases(t, []diagCase{
		{name: "not a string", src: "global {\n  lvs_notify_fifo = 1\n}\n", want: []string{`2:21: error: lvs_notify_fifo must be a string in quotes`}},
	})
}

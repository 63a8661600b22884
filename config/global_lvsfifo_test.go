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

func TestGlobalRSInitNotifies(t *testing.T) {
	if mustParse(t, "global {\n}\n").Global.RSInitNotifies {
		t.Error("rs_init_notifies is on by default; keepalived's default is off")
	}
	if !mustParse(t, "global {\n  rs_init_notifies = true\n}\n").Global.RSInitNotifies {
		t.Error("rs_init_notifies = true not read")
	}
}

package config_test

import "testing"

func TestGlobalLVSFlush(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "lvs_flush warns what halvs does", src: "global {\n  lvs_flush = true\n}\n",
			want: []string{`2:15: warning: lvs_flush: halvs removes only the IPVS services it owns; at start it makes each service this configuration names exactly as configured`}},
		{name: "lvs_flush off is silent", src: "global {\n  lvs_flush = false\n}\n"},
		{name: "lvs_flush_onstop full warns", src: "global {\n  lvs_flush_onstop = true\n}\n",
			want: []string{`2:22: warning: lvs_flush_onstop: halvs removes only the IPVS services it owns; at stop (unless --keep-ipvs) it removes every service this configuration names`}},
		{name: "lvs_flush_onstop VS is halvs' own behaviour", src: "global {\n  lvs_flush_onstop = \"VS\"\n}\n"},
		{name: "lvs_flush_on_stop is the same keyword", src: "global {\n  lvs_flush_on_stop = \"VS\"\n}\n"},
		{name: "lvs_flush_onstop other string", src: "global {\n  lvs_flush_onstop = \"ALL\"\n}\n",
			want: []string{`2:22: error: lvs_flush_onstop must be true, false or "VS" (remove the configured virtual servers only), not "ALL"`}},
		{name: "both spellings", src: "global {\n  lvs_flush_onstop = \"VS\"\n  lvs_flush_on_stop = \"VS\"\n}\n",
			want: []string{`3:23: error: lvs_flush_on_stop and lvs_flush_onstop are the same setting`}},
		{name: "lvs_flush not a bool", src: "global {\n  lvs_flush = \"yes\"\n}\n",
			want: []string{`2:15: error: lvs_flush must be true or false`}},
	})
}

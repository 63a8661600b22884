package keepalivedconf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

// TestConvertVMACAndNotifyEvents checks that use_vmac, vmac_xmit_base and the notify events
// carry over in each form keepalived takes, and that the result loads.
func TestConvertVMACAndNotifyEvents(t *testing.T) {
	tests := []struct {
		name, lines string
		want        []string // HCL lines of the instance
		wantDiags   []string
	}{
		{name: "bare", lines: "use_vmac\nvmac_xmit_base", want: []string{"use_vmac = true", "vmac_xmit_base = true"}},
		{name: "named", lines: "use_vmac vrrp51", want: []string{`use_vmac = "vrrp51"`}},
		{name: "name word and group", lines: "use_vmac group 5 name vm51", want: []string{`use_vmac = "vm51"`},
			wantDiags: []string{`k.conf:2: warning: use_vmac: group 5 is left out: halvs gives the macvlan its interface's group`}},
		{name: "notifies", lines: "notify_master_rx_lower_pri /bin/fix\nnotify_priority_changes\nnotify_deleted",
			want: []string{`notify_master_rx_lower_pri = "/bin/fix"`, "notify_priority_changes = true", "notify_deleted = true"}},
		{name: "notify_deleted script", lines: "notify_deleted \"/bin/gone now\"", want: []string{`notify_deleted = "/bin/gone now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "vrrp_instance V {\n" + tt.lines + "\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n192.0.2.1\n}\n}\n"
			nodes, diags := Read("k.conf", []byte(src), memOptions(nil))
			if len(diags) > 0 {
				t.Fatal(diags)
			}
			out, cdiags := Convert(nodes)
			if diff := cmp.Diff(tt.wantDiags, diagStrings(cdiags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			var got []string
			for _, l := range strings.Split(string(out), "\n") {
				l = strings.Join(strings.Fields(l), " ") // alignment aside
				if strings.HasPrefix(l, "use_vmac") || strings.HasPrefix(l, "vmac_") || strings.HasPrefix(l, "notify_") {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HCL (-want +got):\n%s\n%s", diff, out)
			}
			if _, d := config.Parse(out, "k.hcl"); d.HasErrors() {
				t.Errorf("converted output does not load:\n%s\n%s", d, out)
			}
		})
	}
}

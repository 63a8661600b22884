package lvs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink/nl"
)

func TestParseServicePE(t *testing.T) {
	noPE := nl.NewRtAttr(ipvsCmdAttrService, nil)
	noPE.AddRtAttr(ipvsSvcAttrAF, u16(uint16(IPv4)))
	noPE.AddRtAttr(ipvsSvcAttrFWMark, u32(7))
	noPE.AddRtAttr(ipvsSvcAttrSchedName, nl.ZeroTerminated("rr"))
	type result struct {
		Key string // ServiceKey in ipvsadm's notation
		PE  string
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want result
	}{
		{"address service with sip", serviceMessage(svcAttrs{key: udp("10.10.10.22:5060")}), result{"-u 10.10.10.22:5060", "sip"}},
		{"fwmark service with sip", serviceMessage(svcAttrs{key: FWMarkKey(9, IPv6)}), result{"-f 9 -6", "sip"}},
		{"no persistence engine", genlMessage(noPE), result{"-f 7", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, pe, err := parseServicePE(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, result{key.String(), pe}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := parseServicePE([]byte{1, 2}); err == nil {
		t.Error("a short message parsed without error")
	}
}

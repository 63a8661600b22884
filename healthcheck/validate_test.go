package healthcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateAgreesWithNew: Validate accepts exactly the sets New accepts, with New's error.
func TestValidateAgreesWithNew(t *testing.T) {
	badRegex := Check{Spec: HTTPSpec{URLs: []URL{{Path: "/", Regex: "(unclosed"}}}, Timing: timing}
	tests := []struct {
		name    string
		vss     []VirtualServer
		wantErr bool
	}{
		{"empty", nil, false},
		{"two servers sharing a probe", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{
			rs("10.0.0.1:80", 1, tcp(0, timing)), rs("10.0.0.2:80", 1, tcp(8080, timing))}}}, false},
		{"duplicate real server", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{
			rs("10.0.0.2:80", 1), rs("10.0.0.2:80", 1)}}}, true},
		{"virtual server listed twice", []VirtualServer{{Name: "vs", Quorum: 1}, {Name: "vs", Quorum: 1}}, true},
		{"checker without a port", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{
			rs("10.0.0.4:0", 1, tcp(0, timing))}}}, true},
		{"bad timing", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{
			rs("10.0.0.1:80", 1, tcp(0, Timing{}))}}}, true},
		{"checker that cannot be built (bad regex)", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{
			rs("10.0.0.1:80", 1, badRegex)}}}, true},
		{"quorum 0", []VirtualServer{{Name: "vs"}}, true},
	}
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, newErr := New(tt.vss, Options{})
			got := Validate(tt.vss)
			if (got != nil) != tt.wantErr {
				t.Errorf("Validate = %v, want an error: %v", got, tt.wantErr)
			}
			if diff := cmp.Diff(errText(newErr), errText(got)); diff != "" {
				t.Errorf("Validate's error against New's (-New +Validate):\n%s", diff)
			}
		})
	}
}

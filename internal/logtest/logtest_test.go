package logtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckJSONLines(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []string
	}{
		{"good lines", `{"level":"INFO","msg":"Entering MASTER STATE","instance":"VI_1","from":"BACKUP"}` + "\n\n" +
			`{"msg":"m","g":{"state":"KO","n":[1,{"a":2}]},"count":3}` + "\n", nil},
		{"repeated key", `{"msg":"VRRP_Script failed","script":"chk","script":"chk"}`,
			[]string{`line 1: key "script" twice: {"msg":"VRRP_Script failed","script":"chk","script":"chk"}`}},
		{"same key in two objects is fine", `{"a":{"k":1},"b":{"k":2}}`, nil},
		{"repeated key in a group", `{"g":{"k":1,"k":2}}`, []string{`line 1: key "g.k" twice: {"g":{"k":1,"k":2}}`}},
		{"numeric state", `{"msg":"Entering MASTER STATE","from":1}`,
			[]string{`line 1: "from" is the number 1, not a name: {"msg":"Entering MASTER STATE","from":1}`}},
		{"numeric state in a group", `{"g":{"state":2}}`, []string{`line 1: "state" is the number 2, not a name: {"g":{"state":2}}`}},
		{"not JSON", `time=now level=INFO msg=x`, []string{`line 1: not JSON: invalid character 'i' in literal true (expecting 'r'): time=now level=INFO msg=x`}},
		{"not an object", `["a"]`, []string{`line 1: not a JSON object: ["a"]`}},
		{"two values", `{"a":1} {"b":2}`, []string{`line 1: more than one JSON value on the line: {"a":1} {"b":2}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckJSONLines([]byte(tt.out))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

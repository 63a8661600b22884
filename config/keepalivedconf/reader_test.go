package keepalivedconf

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// memOptions serves files from memory; absolute paths map to the same names without the
// leading '/'.
func memOptions(files map[string]string) *Options {
	m := fstest.MapFS{}
	for name, text := range files {
		m[strings.TrimPrefix(name, "/")] = &fstest.MapFile{Data: []byte(text)}
	}
	return &Options{
		ReadFile: func(name string) ([]byte, error) { return fs.ReadFile(m, strings.TrimPrefix(name, "/")) },
		Glob: func(pattern string) ([]string, error) {
			got, err := fs.Glob(m, strings.TrimPrefix(pattern, "/"))
			if strings.HasPrefix(pattern, "/") {
				for i := range got {
					got[i] = "/" + got[i]
				}
			}
			return got, err
		},
		Getenv: func(name string) string { return map[string]string{"IFACE": "eth7"}[name] },
		Random: func(lo, hi int) int { return lo },
	}
}

// dump renders statements one per line as "file:line word word", nested by indentation,
// quoting words that hold blanks or are empty.
func dump(nodes []*Node) []string {
	var out []string
	var walk func([]*Node, string)
	walk = func(ns []*Node, indent string) {
		for _, n := range ns {
			ws := make([]string, len(n.Words))
			for i, w := range n.Words {
				ws[i] = w
				if w == "" || strings.ContainsAny(w, " \t") {
					ws[i] = strconv.Quote(w)
				}
			}
			line := n.Pos.String() + " " + indent + strings.Join(ws, " ")
			if n.HasBlock {
				line += " {"
			}
			out = append(out, line)
			walk(n.Block, indent+"  ")
		}
	}
	walk(nodes, "")
	return out
}

func diagStrings(ds Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

func TestRead(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string // "k.conf" is read
		configID  string
		want      []string
		wantDiags []string
	}{
		{
			name: "blocks, comments and line numbers",
			files: map[string]string{"k.conf": `# leading comment
! bang comment
global_defs {   # trailing comment
   router_id LVS_DEVEL ! another
}

vrrp_instance VI_1
{
    state MASTER
    virtual_ipaddress { 10.10.10.22/32 }
}
`},
			want: []string{
				"k.conf:3 global_defs {",
				"k.conf:4   router_id LVS_DEVEL",
				"k.conf:7 vrrp_instance VI_1 {",
				"k.conf:9   state MASTER",
				"k.conf:10   virtual_ipaddress {",
				"k.conf:10     10.10.10.22/32",
			},
		},
		{
			name: "quoting and escaped comment characters",
			files: map[string]string{"k.conf": `a "two words" "#not a comment" b\#c
notify "/bin/x 'a b' {}" root
c ab"cd ef"gh
e ""
`},
			want: []string{
				`k.conf:1 a "two words" "#not a comment" b#c`,
				`k.conf:2 notify "/bin/x 'a b' {}" root`,
				`k.conf:3 c ab "cd ef" gh`,
				`k.conf:4 e ""`,
			},
		},
		{
			name:  "several blocks on one line",
			files: map[string]string{"k.conf": "a { b { c 1 } d { } }\n"},
			want: []string{
				"k.conf:1 a {",
				"k.conf:1   b {",
				"k.conf:1     c 1",
				"k.conf:1   d {",
			},
		},
		{
			name: "include relative to the including file, globs and braces",
			files: map[string]string{
				"etc/k.conf":               "include conf.d/*.conf\ninclude other/{x,y}.conf\nlast 1\n",
				"etc/conf.d/a.conf":        "from_a 1\ninclude ../other/z.conf\n",
				"etc/conf.d/b.conf":        "\nfrom_b 2\n",
				"etc/other/x.conf":         "from_x 1\n",
				"etc/other/y.conf":         "from_y 1\n",
				"etc/other/z.conf":         "from_z 1\n",
				"etc/conf.d/ignored.other": "not_read 1\n",
			},
			want: []string{
				"etc/conf.d/a.conf:1 from_a 1",
				"etc/other/z.conf:1 from_z 1",
				"etc/conf.d/b.conf:2 from_b 2",
				"etc/other/x.conf:1 from_x 1",
				"etc/other/y.conf:1 from_y 1",
				"etc/k.conf:3 last 1",
			},
		},
		{
			name: "absolute include and include variants",
			files: map[string]string{
				"k.conf":        "includer /abs/one.conf\nincludea /abs/none*.conf\n",
				"/abs/one.conf": "one 1\n",
			},
			want:      []string{"/abs/one.conf:1 one 1"},
			wantDiags: []string{"k.conf:2: warning: include /abs/none*.conf matches no file"},
		},
		{
			name:      "a missing include is a warning, as in keepalived",
			files:     map[string]string{"k.conf": "ok 1\ninclude nope.conf\nlast 1\n"},
			want:      []string{"k.conf:1 ok 1", "k.conf:3 last 1"},
			wantDiags: []string{"k.conf:2: warning: include nope.conf: no such file; its settings are left out (keepalived warns and carries on too)"},
		},
		{
			name: "a block may span an include",
			files: map[string]string{
				"k.conf":    "vrrp_instance X {\ninclude body.conf\n}\n",
				"body.conf": "state BACKUP\n",
			},
			want: []string{"k.conf:1 vrrp_instance X {", "body.conf:1   state BACKUP"},
		},
		{
			name: "parameters",
			files: map[string]string{"k.conf": `$IF=eth0
$EMPTY=
$BASE=10.2.${SUB}
$SUB=0
interface $IF
address ${BASE}.100/32
$SUB=10
address ${BASE}.100/32 "${IF}"
$IF,x ${IF}x $EMPTY end
undefined $NOPE "${NOPE}"
$NOTDEF =1
`},
			want: []string{
				"k.conf:5 interface eth0",
				"k.conf:6 address 10.2.0.100/32",
				"k.conf:8 address 10.2.10.100/32 eth0",
				"k.conf:9 eth0,x eth0x end",
				"k.conf:10 undefined $NOPE ${NOPE}",
				"k.conf:11 $NOTDEF =1",
			},
		},
		{
			name: "predefined parameters",
			files: map[string]string{"etc/k.conf": `env ${_ENV IFACE}
random ${_RANDOM 5 9}
hash "${_HASH}" ${_BANG}x
instance ${_INSTANCE}
`},
			configID: "main",
			want: []string{
				"etc/k.conf:1 env eth7",
				"etc/k.conf:2 random 5",
				`etc/k.conf:3 hash #`,
				"etc/k.conf:4 instance main",
			},
			wantDiags: []string{"etc/k.conf:2: warning: ${_RANDOM} is drawn once, at conversion: the output keeps 5"},
		},
		{
			name: "multi-line parameters, nested, with definitions inside",
			files: map[string]string{"k.conf": `$RS= \
  real_server 192.168.${VS}.${RS_NUM} 80 { \
     weight 1 \
  }

$VS_DEF= \
virtual_server 10.0.${VS}.4 80 { \
    $RS_NUM=1 \
    $RS \
    $RS_NUM=2 \
    $RS \
}
$VS=0
$VS_DEF
inline $RS x
`},
			want: []string{
				"k.conf:14 virtual_server 10.0.0.4 80 {",
				"k.conf:14   real_server 192.168.0.1 80 {",
				"k.conf:14     weight 1",
				"k.conf:14   real_server 192.168.0.2 80 {",
				"k.conf:14     weight 1",
				// keepalived only expands a multi-line parameter at the end of a line.
				"k.conf:15 inline $RS x",
			},
		},
		{
			name: "~SEQ forms",
			files: map[string]string{"k.conf": `~SEQ(A, 0, 2) a ${A}
~SEQ(B, 3) b $B
~SEQ(C, 0) c $C
~SEQ(D, 10, -5, 0) d $D
~SEQx(E, 0x90, 0x10, 0xb0) e fe80::${E}:1
$N=2
~SEQ(F, 1, $N) ~SEQ(G, 1, 2) f ${F}.${G}
`},
			want: []string{
				"k.conf:1 a 0", "k.conf:1 a 1", "k.conf:1 a 2",
				"k.conf:2 b 1", "k.conf:2 b 2", "k.conf:2 b 3",
				"k.conf:3 c 1", "k.conf:3 c 0",
				"k.conf:4 d 10", "k.conf:4 d 5", "k.conf:4 d 0",
				"k.conf:5 e fe80::90:1", "k.conf:5 e fe80::a0:1", "k.conf:5 e fe80::b0:1",
				"k.conf:7 f 1.1", "k.conf:7 f 1.2", "k.conf:7 f 2.1", "k.conf:7 f 2.2",
			},
		},
		{
			name: "~SEQ in a block with a multi-line parameter",
			files: map[string]string{"k.conf": `$VI= \
vrrp_instance VI_${ID} { \
    virtual_router_id ${ID} \
}
~SEQ(ID, 1, 2) $VI
`},
			want: []string{
				"k.conf:5 vrrp_instance VI_1 {", "k.conf:5   virtual_router_id 1",
				"k.conf:5 vrrp_instance VI_2 {", "k.conf:5   virtual_router_id 2",
			},
		},
		{
			name: "~LST forms",
			files: map[string]string{"k.conf": `~LST(IF, eth0, eth1) i $IF
~LST({IP, IP1}, {10,1},{20}) ~SEQ(X, 1, 2) 192.${X}.${IP}.${IP1}
`},
			want: []string{
				"k.conf:1 i eth0", "k.conf:1 i eth1",
				"k.conf:2 192.1.10.1", "k.conf:2 192.2.10.1", "k.conf:2 192.1.20.", "k.conf:2 192.2.20.",
			},
		},
		{
			name: "conditional lines without a config id",
			files: map[string]string{"k.conf": `@main router_id main_router
@^main router_id other_router
@alone
`},
			want:      []string{"k.conf:2 router_id other_router"},
			wantDiags: []string{`k.conf:1: warning: line for config id "main" left out; convert with --config-id main to keep it`},
		},
		{
			name: "conditional lines with a config id, also from a parameter",
			files: map[string]string{"k.conf": `@main router_id main_router
@^main router_id other_router
@backup router_id backup_router
$IF_MAIN=@main
$IF_MAIN priority 240
`},
			configID: "main",
			want:     []string{"k.conf:1 router_id main_router", "k.conf:5 priority 240"},
		},
		{
			name:      "long line is kept with a warning",
			files:     map[string]string{"k.conf": "x " + strings.Repeat("y", 1100) + "\n"},
			want:      []string{"k.conf:1 x " + strings.Repeat("y", 1100)},
			wantDiags: []string{"k.conf:1: warning: the line is longer than keepalived's limit of 1023 characters; keepalived would ignore it"},
		},
		{
			name:  "CRLF line ends",
			files: map[string]string{"k.conf": "a {\r\n b 1\r\n}\r\n"},
			want:  []string{"k.conf:1 a {", "k.conf:2   b 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := memOptions(tt.files)
			opts.ConfigID = tt.configID
			name := "k.conf"
			if _, ok := tt.files[name]; !ok {
				name = "etc/k.conf"
			}
			nodes, diags := ReadFile(name, opts)
			if diff := cmp.Diff(tt.wantDiags, diagStrings(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, dump(nodes)); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"extra brace", map[string]string{"k.conf": "a {\n}\n}\n"}, []string{"k.conf:3: error: extra '}': no block is open"}},
		{"missing brace", map[string]string{"k.conf": "a {\n b {\n}\n"}, []string{`k.conf:1: error: the block of "a" is not closed: a '}' is missing`}},
		{"unexpected brace", map[string]string{"k.conf": "{\n}\n"}, []string{"k.conf:1: error: unexpected '{': no keyword before it opens a block", "k.conf:2: error: extra '}': no block is open"}},
		{"unterminated quote", map[string]string{"k.conf": "a \"b\n"}, []string{`k.conf:1: error: unterminated quote: a "b`}},
		{"include loop", map[string]string{"k.conf": "a 1\ninclude k.conf\n"}, []string{"k.conf:2: error: includes nest deeper than 32 files (does k.conf include itself?)"}},
		{"self-referencing parameter", map[string]string{"k.conf": "$A=x $A\nv $A\n"}, []string{"k.conf:2: error: parameter substitution does not end (a parameter that contains itself?)"}},
		{"bad ~SEQ step", map[string]string{"k.conf": "~SEQ(A, 1, -1, 5) a\n"}, []string{"k.conf:1: error: invalid ~SEQ: the step does not lead from start to end: ~SEQ(A, 1, -1, 5) a"}},
		{"~SEQ without numbers", map[string]string{"k.conf": "~SEQ(A, x) a\n"}, []string{"k.conf:1: error: invalid ~SEQ: expected a number: ~SEQ(A, x) a"}},
		{"~SEQx negative", map[string]string{"k.conf": "~SEQx(A, -1, 3) a\n"}, []string{"k.conf:1: error: invalid ~SEQ: ~SEQx takes positive numbers only: ~SEQx(A, -1, 3) a"}},
		{"~LST too many values", map[string]string{"k.conf": "~LST({A}, {1,2}) a\n"}, []string{"k.conf:1: error: invalid ~LST: more values than variables: ~LST({A}, {1,2}) a"}},
		{"runaway ~SEQ", map[string]string{"k.conf": "~SEQ(A, 0, 100000000000) a\n"}, []string{"k.conf:1: error: more than 1000 lines after expanding includes, ~SEQ, ~LST and parameters"}},
		{"bad _RANDOM parameter", map[string]string{"k.conf": "a ${_RANDOM x}\n"}, []string{`k.conf:1: error: ${_RANDOM} takes numbers only, not "x"`}},
		{"NUL byte", map[string]string{"k.conf": "a\x00b\n"}, []string{"k.conf:1: error: the line holds a NUL byte (keepalived ignores such lines)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := memOptions(tt.files)
			opts.MaxLines = 1000
			nodes, diags := ReadFile("k.conf", opts)
			if nodes != nil {
				t.Errorf("got statements %q with errors", dump(nodes))
			}
			if diff := cmp.Diff(tt.want, diagStrings(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	opts := memOptions(nil)
	_, diags := ReadFile("nope.conf", opts)
	if len(diags) != 1 || diags[0].Severity != Error || !strings.HasPrefix(diags[0].String(), "nope.conf: error: ") {
		t.Errorf("got %q, want one error naming nope.conf", diagStrings(diags))
	}
}

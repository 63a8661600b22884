package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Defaults that are halvs' own (keepalived's are next to the keyword that uses them).
const (
	DefaultControlSocket = "/run/halvs.sock"
)

// MaxLVSTimeout bounds persistence_timeout and the lvs_timeouts, as keepalived's
// LVS_MAX_TIMEOUT (31 days) does.
const MaxLVSTimeout = 31 * 24 * time.Hour

// Load reads and parses the HCL file at path under the default Limits. See LoadWith.
func Load(path string) (*Config, Diagnostics) {
	return LoadWith(path, Limits{})
}

// LoadWith reads the regular file at path, at most lim.MaxSize bytes, and parses it. A
// FIFO, a device or a directory is refused without blocking on it. See ParseWith.
//
// A directory is read as the files DIR/*.hcl, in sorted order. A file's top-level
// include = ["conf.d/*.hcl"] reads the files it names (include.go).
func LoadWith(path string, lim Limits) (*Config, Diagnostics) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return loadDir(path, lim)
	}
	src, err := ReadRegularFile(path, lim.maxSize())
	if err != nil {
		return nil, Diagnostics{{Severity: SeverityError, Message: fmt.Sprintf("cannot read config: %v", err), Range: hcl.Range{Filename: path}}}
	}
	return parse(src, path, lim, true)
}

// Parse is ParseWith under the default Limits.
func Parse(src []byte, filename string) (*Config, Diagnostics) {
	return ParseWith(src, filename, Limits{})
}

// ParseWith decodes an HCL configuration, applies keepalived's defaults and validates it.
// The filename is used in diagnostics only. When the diagnostics hold an error the returned
// Config is nil; warnings come with a usable Config. Input that is not UTF-8, nests deeper
// than lim.MaxDepth or has a top-level item of more than lim.MaxItemTokens tokens is
// refused before HCL parses it; at most lim.MaxErrors diagnostics are returned, the last
// one then counting those left out.
//
// A configuration in keepalived.conf syntax is refused with one diagnostic naming
// halvs convert. include needs the files on disk: ParseWith refuses it (see LoadWith).
func ParseWith(src []byte, filename string, lim Limits) (*Config, Diagnostics) {
	return parse(src, filename, lim, false)
}

func parse(src []byte, filename string, lim Limits, includes bool) (*Config, Diagnostics) {
	if d, ok := keepalivedSyntax(src, filename); ok {
		return nil, Diagnostics{d}
	}
	scan := prescan(src, filename, lim)
	if scan.fatal {
		return nil, scan.diags.capped(lim.maxErrors(), scan.omitted, filename)
	}
	body, hds, stopped := parseBody(src, filename, scan, lim)
	if hds.HasErrors() {
		diags := fromHCL(hds)
		diags.sort()
		diags = diags.capped(lim.maxErrors(), 0, filename)
		if stopped != nil {
			diags = append(diags, Diagnostic{Severity: SeverityError, Omitted: -1,
				Message: fmt.Sprintf("too many errors; the rest of the file, from line %d, was not checked", stopped.Line),
				Range:   hcl.Range{Filename: filename, Start: *stopped, End: *stopped}})
		}
		return nil, diags
	}
	if a := body.Attributes["include"]; a != nil && includes {
		in := newIncluder(lim, len(src))
		in.diags = fromHCL(hds)
		abs, _ := filepath.Abs(filename)
		return decodeIncluded(body, in.blocks(body, filename, []string{abs}), in, filename)
	}
	d := &decoder{diags: fromHCL(hds)}
	if a := body.Attributes["include"]; a != nil {
		d.errorf(a.NameRange, "include reads files from disk: load %s from a file (halvs check -c FILE) to use it", filename)
	}
	cfg := d.file(body)
	validate(d, cfg)
	d.diags.sort()
	if d.diags.HasErrors() {
		return nil, d.diags.capped(lim.maxErrors(), 0, filename)
	}
	return cfg, d.diags.capped(lim.maxErrors(), 0, filename)
}

var topSchema = schema{attrs: []string{"include", "interface_up_down_delays", "static_ipaddress", "static_routes", "static_rules"}, blocks: []string{"global", "vrrp_script", "vrrp_instance", "vrrp_sync_group",
	"track_file", "vrrp_track_process", "virtual_server_group", "virtual_server", "bgp", "bgp_announce"}}

// file decodes the top level. vrrp_script and track_file are read first so that later
// blocks can take defaults from them (a track_script's weight).
func (d *decoder) file(body *hclsyntax.Body) *Config {
	top := d.open("the top level", body, body.SrcRange, topSchema)
	cfg := &Config{Global: defaultGlobal()}
	if blk := top.single("global"); blk != nil {
		cfg.Global = d.global(blk)
	}
	cfg.InterfaceDelays = top.interfaceDelays()
	seen := map[string]hcl.Range{} // "kind name" → first definition
	named := func(kind, example string) func(func(name string, blk *hclsyntax.Block)) {
		return func(each func(string, *hclsyntax.Block)) {
			for _, blk := range body.Blocks {
				if blk.Type != kind {
					continue
				}
				name, ok := d.label(blk, example)
				if !ok {
					continue
				}
				if first, dup := seen[kind+" "+name]; dup {
					d.errorf(blk.DefRange(), "%s %q is defined twice (first at %s); names must be unique", kind, name, short(first))
					continue
				}
				seen[kind+" "+name] = blk.DefRange()
				each(name, blk)
			}
		}
	}
	named("vrrp_script", `"chk_x"`)(func(n string, b *hclsyntax.Block) { cfg.VRRPScripts = append(cfg.VRRPScripts, d.vrrpScript(n, b)) })
	named("track_file", `"tf_1"`)(func(n string, b *hclsyntax.Block) { cfg.TrackFiles = append(cfg.TrackFiles, d.trackFile(n, b)) })
	named("vrrp_track_process", `"haproxy"`)(func(n string, b *hclsyntax.Block) {
		cfg.TrackProcesses = append(cfg.TrackProcesses, d.trackProcess(n, b))
	})
	named("vrrp_instance", `"VI_1"`)(func(n string, b *hclsyntax.Block) {
		cfg.VRRPInstances = append(cfg.VRRPInstances, d.vrrpInstance(n, b, cfg))
	})
	named("vrrp_sync_group", `"G1"`)(func(n string, b *hclsyntax.Block) {
		cfg.VRRPSyncGroups = append(cfg.VRRPSyncGroups, d.syncGroup(n, b, cfg))
	})
	named("virtual_server_group", `"VSG_1"`)(func(n string, b *hclsyntax.Block) {
		cfg.VirtualServerGroups = append(cfg.VirtualServerGroups, d.vsGroup(n, b))
	})
	// virtual_server labels are checked for duplicates by validate, which knows the protocol.
	for _, blk := range body.Blocks {
		if blk.Type != "virtual_server" {
			continue
		}
		if key, ok := d.label(blk, `"10.10.10.22:80"`); ok {
			if vs, ok := d.virtualServer(key, blk); ok {
				cfg.VirtualServers = append(cfg.VirtualServers, vs)
			}
		}
	}
	d.staticRouting(top, cfg) // routes_decode.go
	if blk := top.single("bgp"); blk != nil {
		cfg.BGP = d.bgp(blk) // bgp.go
	}
	named("bgp_announce", `"web"`)(func(n string, b *hclsyntax.Block) { cfg.BGPAnnounces = append(cfg.BGPAnnounces, d.bgpAnnounce(n, b)) })
	return cfg
}

// short formats a range as "file:line:col" for "first defined at" remarks.
func short(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

package director

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/internal/script"
	"github.com/halvs/halvs/lvs"
)

// HealthPlan is one virtual_server block as the health checks and the director see it: the
// scheduler's input, and the kernel services its events drive (one per address and
// firewall mark of a virtual_server_group).
type HealthPlan struct {
	VS       healthcheck.VirtualServer
	Track    string // the name track_virtual_server uses (config.VirtualServer.Name)
	Services []lvs.ServiceKey
	// Weights are the configured weights, by real server, to tell a dynamic weight from the
	// configured one.
	Weights map[netip.AddrPort]int
}

// healthName is the scheduler's name for a virtual server: its canonical name and protocol,
// since a TCP and a UDP service may share an address and port.
func healthName(vs *config.VirtualServer) string {
	if vs.FWMark != 0 {
		return vs.Name()
	}
	return vs.Name() + "/" + string(vs.Protocol)
}

// TranslateHealth translates every virtual_server into a HealthPlan. Users and groups
// named by misc_check and by global script_user are looked up through users (the system's
// user database in production).
func TranslateHealth(cfg *config.Config, users UserLookup) ([]HealthPlan, error) {
	keys, err := allServiceKeys(cfg)
	if err != nil {
		return nil, err
	}
	return translateHealth(cfg, users, keys)
}

// translateHealth is TranslateHealth given each virtual server's services (allServiceKeys).
func translateHealth(cfg *config.Config, users UserLookup, keys [][]lvs.ServiceKey) ([]HealthPlan, error) {
	var out []HealthPlan
	for i := range cfg.VirtualServers {
		vs := &cfg.VirtualServers[i]
		hp, err := healthVS(cfg, vs, users)
		if err != nil {
			return nil, fmt.Errorf("virtual_server %q: %w", vs.Name(), err)
		}
		hp.Services = keys[i]
		out = append(out, hp)
	}
	return out, nil
}

func healthVS(cfg *config.Config, vs *config.VirtualServer, users UserLookup) (HealthPlan, error) {
	user, err := users.credential(cfg.Global.ScriptUser, cfg.Global.ScriptGroup)
	if err != nil {
		return HealthPlan{}, fmt.Errorf("script_user: %w", err)
	}
	cmd := func(s config.Script) *script.Command {
		if s.IsZero() {
			return nil
		}
		return &script.Command{Argv: s.Argv, User: user}
	}
	hp := HealthPlan{Track: vs.Name(), Weights: map[netip.AddrPort]int{}}
	hp.VS = healthcheck.VirtualServer{
		Name:        healthName(vs),
		Quorum:      max(vs.Quorum, 1),
		Hysteresis:  vs.Hysteresis,
		QuorumUp:    cmd(vs.QuorumUp),
		QuorumDown:  cmd(vs.QuorumDown),
		SorryServer: vs.SorryServer.IsValid(),
		Omega:       vs.Omega,
	}
	for _, rs := range vs.RealServers {
		hrs := healthcheck.RealServer{
			Addr:             rs.Addr,
			Weight:           rs.Weight,
			InhibitOnFailure: rs.InhibitOnFailure,
			InitNotifies:     cfg.Global.RSInitNotifies,
			NotifyUp:         cmd(rs.NotifyUp),
			NotifyDown:       cmd(rs.NotifyDown),
		}
		for _, c := range rs.Checkers {
			chk, err := healthCheck(cfg, c, users)
			if err != nil {
				return HealthPlan{}, fmt.Errorf("real_server %s %s: %w", rs.Addr, c.Kind, err)
			}
			hrs.Checks = append(hrs.Checks, chk)
		}
		hp.VS.RealServers = append(hp.VS.RealServers, hrs)
		hp.Weights[rs.Addr] = rs.Weight
	}
	return hp, nil
}

// healthCheck translates one checker block; config has resolved every inherited value and
// keepalived's defaults.
func healthCheck(cfg *config.Config, c config.Checker, users UserLookup) (healthcheck.Check, error) {
	conn := healthcheck.Conn{
		ConnectIP: c.ConnectIP, ConnectPort: c.ConnectPort, BindTo: c.BindTo, BindPort: c.BindPort,
		BindInterface: c.BindIf, ConnectTimeout: c.ConnectTimeout, FWMark: c.FWMark,
	}
	timing := healthcheck.Timing{DelayLoop: c.DelayLoop, Retry: c.Retry, DelayBeforeRetry: c.DelayBeforeRetry,
		Warmup: c.Warmup, Alpha: c.Alpha, LogAllFailures: c.LogAllFailures || cfg.Global.CheckerLogAllFailures}
	var spec healthcheck.Spec
	switch c.Kind {
	case healthcheck.KindTCP:
		spec = healthcheck.TCPSpec{Conn: conn}
	case healthcheck.KindPing:
		spec = healthcheck.PingSpec{ConnectIP: c.ConnectIP, ConnectTimeout: c.ConnectTimeout}
	case healthcheck.KindHTTP, healthcheck.KindSSL:
		if c.HTTP == nil {
			return healthcheck.Check{}, fmt.Errorf("no url settings")
		}
		h := healthcheck.HTTPSpec{Conn: conn, TLS: c.Kind == healthcheck.KindSSL, VirtualHost: c.HTTP.Virtualhost,
			HTTPProtocol: c.HTTP.HTTPProtocol, EnableSNI: c.HTTP.EnableSNI, SNIName: c.HTTP.SNIName,
			TLSVerify: c.HTTP.TLSVerify, CAFile: c.HTTP.CAFile}
		if ssl := cfg.Global.SSL; ssl != nil && h.TLS {
			h.ClientCert = healthcheck.ClientCert{CertFile: ssl.Certificate, KeyFile: ssl.Key, Password: ssl.Password}
			if h.TLSVerify && h.CAFile == "" {
				h.CAFile = ssl.CA // the ssl_get's own ca_file wins
			}
		}
		for _, u := range c.HTTP.URLs {
			hu := healthcheck.URL{Path: u.Path, Digest: u.Digest, VirtualHost: u.Virtualhost,
				RegexNoMatch: u.RegexNoMatch, RegexMinOffset: u.RegexMinOffset}
			if u.Regex != "" {
				hu.Regex = config.RegexFlags(u.RegexOptions) + u.Regex
			}
			if u.RegexMaxOffset != nil {
				hu.RegexOffsetLimit = *u.RegexMaxOffset + 1 // the first offset a match may not start at
			}
			for _, r := range u.StatusCodes {
				hu.StatusCodes = append(hu.StatusCodes, healthcheck.StatusRange{Min: r.Min, Max: r.Max})
			}
			h.URLs = append(h.URLs, hu)
		}
		spec = h
	case healthcheck.KindMisc:
		if c.Misc == nil {
			return healthcheck.Check{}, fmt.Errorf("no misc_path")
		}
		name, group := c.Misc.User, c.Misc.Group
		if name == "" {
			name, group = cfg.Global.ScriptUser, cfg.Global.ScriptGroup
		}
		cred, err := users.credential(name, group)
		if err != nil {
			return healthcheck.Check{}, err
		}
		spec = healthcheck.MiscSpec{Argv: c.Misc.Path.Argv, Timeout: c.Misc.Timeout, Dynamic: c.Misc.Dynamic, User: cred}
	case healthcheck.KindDNS:
		if c.DNS == nil {
			return healthcheck.Check{}, fmt.Errorf("no dns settings")
		}
		d := healthcheck.DNSSpec{Conn: conn, Name: c.DNS.Name}
		if c.DNS.Type != "" {
			t, ok := dns.StringToType[strings.ToUpper(c.DNS.Type)]
			if !ok {
				return healthcheck.Check{}, fmt.Errorf("unknown DNS type %q", c.DNS.Type)
			}
			d.Type = t
		}
		spec = d
	case healthcheck.KindUDP:
		if c.UDP == nil {
			return healthcheck.Check{}, fmt.Errorf("no udp settings")
		}
		u, err := udpSpec(conn, c.UDP)
		if err != nil {
			return healthcheck.Check{}, err
		}
		spec = u
	case healthcheck.KindSMTP:
		if c.SMTP == nil {
			return healthcheck.Check{}, fmt.Errorf("no smtp settings")
		}
		spec = healthcheck.SMTPSpec{Conn: conn, HeloName: c.SMTP.HeloName}
	case healthcheck.KindFile:
		if c.File == nil {
			return healthcheck.Check{}, fmt.Errorf("no track_file")
		}
		tf := trackFile(cfg, c.File.TrackFile)
		if tf == nil {
			return healthcheck.Check{}, fmt.Errorf("track_file %q is not defined", c.File.TrackFile)
		}
		f := healthcheck.FileSpec{Path: tf.File, Reverse: c.File.Reverse}
		if c.File.Dynamic {
			// The file's value, times the track_file's and the checker's weights, is added
			// to the real server's weight; otherwise the value is a pass (0) / fail flag.
			f.Weight = c.File.Weight * max(tf.Weight, 1)
		}
		spec = f
		timing = healthcheck.TimingFor(healthcheck.KindFile, 0)
	default:
		return healthcheck.Check{}, fmt.Errorf("unknown checker kind %q", c.Kind)
	}
	return healthcheck.Check{Spec: spec, Timing: timing}, nil
}

func trackFile(cfg *config.Config, name string) *config.TrackFile {
	for i := range cfg.TrackFiles {
		if cfg.TrackFiles[i].Name == name {
			return &cfg.TrackFiles[i]
		}
	}
	return nil
}

// udpSpec decodes keepalived's hex payload and reply pattern; an X in the pattern is a nibble
// that is not compared.
func udpSpec(conn healthcheck.Conn, u *config.UDPCheck) (healthcheck.UDPSpec, error) {
	s := healthcheck.UDPSpec{Conn: conn, RequireReply: u.RequireReply,
		MinReplyLength: u.MinReplyLength, MaxReplyLength: u.MaxReplyLength}
	var err error
	if s.Payload, err = hex.DecodeString(u.Payload); err != nil {
		return s, fmt.Errorf("payload: %w", err)
	}
	pat := u.ReplyPattern
	if pat == "" {
		return s, nil
	}
	if len(pat)%2 != 0 {
		return s, fmt.Errorf("require_reply %q: an even number of hex digits is needed", pat)
	}
	var mask strings.Builder
	var masked bool
	for _, r := range pat {
		if r == 'x' || r == 'X' {
			mask.WriteByte('f')
			masked = true
		} else {
			mask.WriteByte('0')
		}
	}
	if s.Reply, err = hex.DecodeString(strings.NewReplacer("x", "0", "X", "0").Replace(pat)); err != nil {
		return s, fmt.Errorf("require_reply: %w", err)
	}
	if masked {
		s.ReplyMask, _ = hex.DecodeString(mask.String())
	}
	return s, nil
}

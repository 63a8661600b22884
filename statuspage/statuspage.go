package statuspage

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/halvs/halvs/control"
)

// StatusFunc returns the director's current status document, as the control socket serves
// it; it is called once per request.
type StatusFunc func(ctx context.Context) (*control.Status, error)

// PathJSON is where the page's script reads the status document.
const PathJSON = "/status.json"

// RefreshInterval is how often the page's script reads PathJSON.
const RefreshInterval = 2 * time.Second

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"clock": clock, "age": age, "rate": rate, "iec": iec, "healthClass": healthClass,
	"millis": func(d time.Duration) int64 { return d.Milliseconds() },
	"deref":  func(p *int) int { return *p },
}).Parse(pageHTML))

// Handler serves the page at "/" and the status document at PathJSON; other paths are 404.
// It answers GET (and HEAD, which net/http derives from it); the caller refuses every other
// method. version is halvs' version, shown in the page's header.
func Handler(status StatusFunc, version string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		st, err := status(r.Context())
		if err != nil {
			log.Warn("status page: cannot read the status", "err", err)
			http.Error(w, "halvs: cannot read the status: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		var b bytes.Buffer
		if err := page.Execute(&b, view{Status: st, Version: version, Refresh: RefreshInterval}); err != nil {
			log.Error("status page: template failed", "err", err)
			http.Error(w, "halvs: cannot render the status page", http.StatusInternalServerError)
			return
		}
		header(w, "text/html; charset=utf-8")
		w.Write(b.Bytes())
	})
	mux.HandleFunc("GET "+PathJSON, func(w http.ResponseWriter, r *http.Request) {
		st, err := status(r.Context())
		if err != nil {
			log.Warn("status page: cannot read the status", "err", err)
			http.Error(w, "halvs: cannot read the status: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			http.Error(w, "halvs: cannot encode the status", http.StatusInternalServerError)
			return
		}
		header(w, "application/json")
		w.Write(append(b, '\n'))
	})
	return mux
}

// csp lets the browser run the page's own script and nothing else (no injected script,
// should an escape ever be missed), apply its inline style, and fetch from this origin only.
var csp = "default-src 'none'; script-src " + scriptHash(page) + "; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// scriptHash is the CSP source of the page's one inline script: its SHA-256. The script has
// no template action, so it is the same on every page; it is hashed as rendered (the
// template drops its comments).
func scriptHash(t *template.Template) string {
	var b bytes.Buffer
	if err := t.Execute(&b, view{Status: &control.Status{}, Refresh: RefreshInterval}); err != nil {
		panic("statuspage: " + err.Error())
	}
	return "'sha256-" + base64.StdEncoding.EncodeToString(sha256Of(inlineScript(b.String()))) + "'"
}

// inlineScript is the text between a page's <script> and </script>.
func inlineScript(page string) string {
	_, s, _ := strings.Cut(page, "<script>")
	s, _, _ = strings.Cut(s, "</script>")
	return s
}

func sha256Of(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// header sets what every answer carries: never cached (the page is live), never framed,
// and the content policy.
func header(w http.ResponseWriter, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", csp)
}

// view is what the template reads.
type view struct {
	*control.Status
	Version string
	Refresh time.Duration
}

// clock is t as the page shows it (UTC, to the second), "-" when unset.
func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// age is how long before now t was, rounded for reading: "4s", "5m3s", "2h4m", "3d".
func age(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// rate prints a per-second figure with an SI suffix: 950, 12.3k, 4.1M.
func rate(n uint64) string {
	f := float64(n)
	for _, u := range []string{"", "k", "M", "G", "T"} {
		if f < 1000 || u == "T" {
			if u == "" {
				return fmt.Sprint(n)
			}
			return fmt.Sprintf("%.1f%s", f, u)
		}
		f /= 1000
	}
	return fmt.Sprint(n)
}

// iec prints a byte count in IEC units, as ipvsadm does: 512B, 3.0MiB.
func iec(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	f := float64(n) / 1024
	for _, u := range "KMGTP" {
		if f < 1024 || u == 'P' {
			return fmt.Sprintf("%.1f%ciB", f, u)
		}
		f /= 1024
	}
	return fmt.Sprintf("%dB", n)
}

// healthClass is a real server's row class: its health, or "out" when withdrawn from the
// table although its checkers pass (quorum, sorry server).
func healthClass(rs control.RealServer) string {
	if rs.Health == control.HealthUp && !rs.InTable {
		return "out"
	}
	return string(rs.Health)
}

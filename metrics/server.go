package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/halvs/halvs/internal/httplimit"
)

// DefaultLimits bound the metrics listener's clients, who may be anyone on the network it
// listens on. A scrape is one small GET; Prometheus keeps its connection between scrapes,
// so IdleTimeout is above its default one-minute scrape interval.
var DefaultLimits = httplimit.Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	// From the request to the last byte of the reply, the snapshot's gathering included;
	// Prometheus itself gives up after its scrape_timeout (10 s by default).
	WriteTimeout: 30 * time.Second,
	IdleTimeout:  90 * time.Second,
	MaxConns:     16,
}

// Listen opens global.metrics_listen's TCP listener. An address that listens on every
// interface (":9650", "0.0.0.0:9650", "[::]:9650") is logged as a warning: the metrics
// name every VIP, real server and health state to whoever can reach the port.
func Listen(addr string, log *slog.Logger) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if wildcard(addr) {
		log.Warn("metrics_listen listens on every interface: anyone who can reach the port reads the VIPs, real servers and their health; give a management address such as 127.0.0.1:9650",
			"metrics_listen", addr)
	}
	return l, nil
}

// wildcard reports whether a HOST:PORT listens on every address: an empty host or an
// unspecified address (0.0.0.0, ::).
func wildcard(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// ServeListener serves the metrics h at /metrics on l (opened by the caller from
// global.metrics_listen, so that a taken port stops the director before it changes
// anything) and, when page is not nil, every other path to page (the status page) within
// DefaultLimits until ctx ends. Only GET and HEAD are answered; any other method is 405.
func ServeListener(ctx context.Context, l net.Listener, h, page http.Handler) error {
	return serve(ctx, l, routes(h, page), DefaultLimits)
}

// routes is the listener's handler: read-only, whatever page and h would accept.
func routes(h, page http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	if page != nil {
		mux.Handle("/", page)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "halvs: read-only: GET or HEAD", http.StatusMethodNotAllowed)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func serve(ctx context.Context, l net.Listener, h http.Handler, lim httplimit.Limits) error {
	srv := lim.Server(h, nil)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		case <-done:
		}
	}()
	err := srv.Serve(lim.Listener(l))
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

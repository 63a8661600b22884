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

// ServeListener serves /metrics on l (opened by the caller from global.metrics_listen, so
// that a taken port stops the director before it changes anything) within DefaultLimits
// until ctx ends.
func ServeListener(ctx context.Context, l net.Listener, h http.Handler) error {
	return serve(ctx, l, h, DefaultLimits)
}

func serve(ctx context.Context, l net.Listener, h http.Handler, lim httplimit.Limits) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := lim.Server(mux, nil)
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

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/healthcheck"
)

// schedulerDown starts the line the scheduler's child prints when a real server goes down.
const schedulerDown = "hc-scheduler: real server"

// runScheduler is the child process of the section's third row (-hc-scheduler FILE): the
// checks of FILE, translated as `halvs run` translates them, run by the healthcheck
// scheduler alone, as healthcheck/bench does on the host: no IPVS, no control socket, no
// director. It runs until SIGTERM. A real server going down (a failed check against a live
// listener) is printed, for the parent to refuse the row.
func runScheduler(file string) error {
	cfg, diags := config.Load(file)
	if diags.HasErrors() {
		var b strings.Builder
		diags.Write(&b)
		return fmt.Errorf("%s:\n%s", file, b.String())
	}
	plans, err := director.TranslateHealth(cfg, director.SystemUsers)
	if err != nil {
		return err
	}
	var vss []healthcheck.VirtualServer
	for _, p := range plans {
		vss = append(vss, p.VS)
	}
	s, err := healthcheck.New(vss, healthcheck.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnEvent: func(e healthcheck.Event) {
			if e.Type == healthcheck.RealServerDown && !e.Initial {
				fmt.Printf("%s %v down\n", schedulerDown, e.RealServer)
			}
		},
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fmt.Fprintf(os.Stderr, "hc-scheduler: %d virtual servers\n", len(vss))
	return s.Run(ctx)
}

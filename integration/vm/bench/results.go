package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// sample is one measurement's runs, and the operations halvs reported in each (-1: not
// counted, for the tools that do not say).
type sample struct {
	times []time.Duration
	ops   []int
}

func (s *sample) add(d time.Duration, ops int) {
	s.times = append(s.times, d)
	s.ops = append(s.ops, ops)
}

func (s *sample) median() time.Duration {
	if len(s.times) == 0 {
		return 0
	}
	t := slices.Clone(s.times)
	slices.Sort(t)
	return t[len(t)/2]
}

// cell is the median, with the operation count when it was counted (the same every run, or
// the bench would have failed).
func (s *sample) cell() string {
	if len(s.times) == 0 {
		return "—"
	}
	c := ms(s.median())
	if s.ops[0] >= 0 {
		c += fmt.Sprintf(" (%d ops)", s.ops[0])
	}
	return c
}

// spread lists every run, for the detail lines.
func (s *sample) spread() string {
	var parts []string
	for _, t := range s.times {
		parts = append(parts, ms(t))
	}
	return strings.Join(parts, " ")
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

type row struct {
	name                       string
	refName                    string // what the reference column ran: "ipvsadm --restore", "ipvsadm -e"
	halvs                      sample
	ref                        sample
	keepalived, keepalivedStop sample
}

type results struct {
	runs      int
	rows      []*row
	inProcess []*inRow
}

type inRow struct {
	name string
	sample
}

func (r *results) add(name, refName string) *row {
	x := &row{name: name, refName: refName}
	r.rows = append(r.rows, x)
	return x
}

func (r *results) addInProcess(name string) *sample {
	x := &inRow{name: name}
	r.inProcess = append(r.inProcess, x)
	return &x.sample
}

func (r *results) print(w io.Writer) {
	fmt.Fprintf(w, "\nLVS programming, IPVS in one qemu TCG guest, median of %d runs (compare within this boot only)\n\n", r.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\thalvs ipvs\tipvsadm\tkeepalived -C\thalvs/keepalived")
	for _, x := range r.rows {
		ratio := "—"
		if k := x.keepalived.median(); k > 0 {
			ratio = fmt.Sprintf("%.2f", float64(x.halvs.median())/float64(k))
		}
		ref := x.ref.cell()
		if x.refName != "" && ref != "—" {
			ref += " [" + x.refName + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.name, x.halvs.cell(), ref, x.keepalived.cell(), ratio)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nwhere halvs' time goes: the same work through the lvs package in-process (no process start, no config)\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tlvs in-process")
	for _, x := range r.inProcess {
		fmt.Fprintf(tw, "%s\t%s\n", x.name, x.cell())
	}
	tw.Flush()

	fmt.Fprintf(w, "\nevery run:\n")
	for _, x := range r.rows {
		fmt.Fprintf(w, "  %s: halvs %s", x.name, x.halvs.spread())
		if len(x.ref.times) > 0 {
			fmt.Fprintf(w, "; %s %s", x.refName, x.ref.spread())
		}
		if len(x.keepalived.times) > 0 {
			fmt.Fprintf(w, "; keepalived %s (its stop, removing the services: %s)", x.keepalived.spread(), x.keepalivedStop.spread())
		}
		fmt.Fprintln(w)
	}
	for _, x := range r.inProcess {
		fmt.Fprintf(w, "  %s: lvs in-process %s\n", x.name, x.spread())
	}
}

package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

func TestEqual(t *testing.T) {
	load := func(name string) *config.Config {
		t.Helper()
		cfg, diags := config.Load("../examples/seed/" + name)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags)
		}
		return cfg
	}
	a := load("director-a.hcl")
	tests := []struct {
		name   string
		change func(b *config.Config)
		want   bool
	}{
		{"same meaning, other file", func(b *config.Config) {
			b.VRRPInstances[0].State, b.VRRPInstances[0].Priority = a.VRRPInstances[0].State, a.VRRPInstances[0].Priority
		}, true},
		{"state and priority", func(*config.Config) {}, false},
		{"a real server's weight", func(b *config.Config) {
			*b = *load("director-a.hcl")
			b.VirtualServers[0].RealServers[1].Weight++
		}, false},
		{"an address", func(b *config.Config) {
			*b = *load("director-a.hcl")
			vs := &b.VirtualServers[0]
			vs.Addr = vs.RealServers[0].Addr
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := load("director-b.hcl")
			tt.change(b)
			if got := config.Equal(a, b); got != tt.want {
				t.Errorf("config.Equal = %v, want %v", got, tt.want)
			}
			if want := cmp.Equal(a, b, configtest.IgnorePositions()); config.Equal(a, b) != want {
				t.Errorf("config.Equal disagrees with cmp.Equal(IgnorePositions) = %v", want)
			}
		})
	}
	if config.Equal(a, &a.Global) {
		t.Errorf("values of two types compare equal")
	}
	empty := load("director-a.hcl")
	empty.VirtualServers[0].RealServers = empty.VirtualServers[0].RealServers[:0]
	none := load("director-a.hcl")
	none.VirtualServers[0].RealServers = nil
	if config.Equal(empty, none) || cmp.Equal(empty, none, configtest.IgnorePositions()) {
		t.Errorf("no real servers and an empty list of them compare equal")
	}
}

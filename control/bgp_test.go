package control

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDrain(t *testing.T) {
	var got []DrainRequest
	c := serve(t, Handlers{Drain: func(_ context.Context, req DrainRequest) (*DrainResult, error) {
		got = append(got, req)
		if req.Drain {
			return &DrainResult{Drained: true, Withdrawn: []string{"10.10.10.22/32"}, Wait: Duration(5 * time.Second)}, nil
		}
		return nil, ErrNoBGP
	}})
	ctx := context.Background()
	res, err := c.Drain(ctx, DrainRequest{Drain: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &DrainResult{Drained: true, Withdrawn: []string{"10.10.10.22/32"}, Wait: Duration(5 * time.Second)}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("drain result (-want +got):\n%s", diff)
	}
	if _, err := c.Drain(ctx, DrainRequest{}); !errors.Is(err, ErrNoBGP) {
		t.Errorf("undrain without bgp: %v, want ErrNoBGP", err)
	}
	if diff := cmp.Diff([]DrainRequest{{Drain: true}, {Drain: false}}, got); diff != "" {
		t.Errorf("requests the handler saw (-want +got):\n%s", diff)
	}
	if code, body := rawPost(t, c, PathDrain, `{"drain": true, "now": 1}`); code != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s, want 400", code, body)
	}
	if code, body := rawPost(t, c, PathDrain, ``); code != http.StatusBadRequest {
		t.Errorf("empty body: %d %s, want 400 (a drain must say which way)", code, body)
	}
	if _, err := serve(t, Handlers{}).Drain(ctx, DrainRequest{Drain: true}); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("no handler: %v, want ErrNotImplemented", err)
	}
}

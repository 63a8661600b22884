package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// PathDrain is POST DrainRequest: DrainResult.
const PathDrain = "/v1/drain"

// ErrNoBGP is a drain asked of a director whose config has no bgp block.
var ErrNoBGP = errors.New("no bgp block: this director announces nothing")

// DrainRequest withdraws (Drain true) or announces again (false) every BGP prefix.
type DrainRequest struct {
	Drain bool `json:"drain"`
}

// DrainResult says what changed. After a drain, Wait is the longest drain_time of what was
// withdrawn: how long established connections should be given before the director stops.
type DrainResult struct {
	Drained   bool     `json:"drained"`
	Withdrawn []string `json:"withdrawn,omitempty"`
	Announced []string `json:"announced,omitempty"`
	Wait      Duration `json:"wait,omitempty"`
}

// BGP is the status of the BGP speaker (nil: no bgp block).
type BGP struct {
	ASN        uint32        `json:"asn"`
	RouterID   string        `json:"router_id"`
	Drained    bool          `json:"drained"`
	DrainUntil time.Time     `json:"drain_until,omitzero"`
	Neighbors  []BGPNeighbor `json:"neighbors"`
	Prefixes   []BGPPrefix   `json:"prefixes"`
	Error      string        `json:"error,omitempty"` // the speaker could not list its sessions
}

// BGPNeighbor is one session; State is the BGP FSM state (IDLE, CONNECT, ACTIVE, OPENSENT,
// OPENCONFIRM, ESTABLISHED).
type BGPNeighbor struct {
	Address string    `json:"address"`
	PeerASN uint32    `json:"peer_asn"`
	State   string    `json:"state"`
	Up      bool      `json:"up"`
	Since   time.Time `json:"since,omitzero"` // when it was established
}

// BGPPrefix is one announced address and why it is (not) announced.
type BGPPrefix struct {
	Prefix    string    `json:"prefix"`
	Announce  string    `json:"announce"` // the bgp_announce block
	Announced bool      `json:"announced"`
	Reason    string    `json:"reason"`
	Since     time.Time `json:"since,omitzero"`
}

func (s *Server) drain(w http.ResponseWriter, r *http.Request) {
	if s.h.Drain == nil {
		s.fail(w, ErrNotImplemented)
		return
	}
	var req DrainRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		reply(w, http.StatusBadRequest, errorBody{Error: "drain request: " + err.Error(), Code: "bad_request"})
		return
	}
	res, err := s.h.Drain(r.Context(), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.log.Info("control: drain", "drain", req.Drain, "withdrawn", res.Withdrawn, "announced", res.Announced)
	reply(w, http.StatusOK, res)
}

// Drain asks the director to withdraw (or announce again) its BGP prefixes.
func (c *Client) Drain(ctx context.Context, req DrainRequest) (*DrainResult, error) {
	var res DrainResult
	if err := c.do(ctx, http.MethodPost, PathDrain, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

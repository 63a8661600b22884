package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Client talks to a running halvs over its control socket. It is safe for concurrent use.
type Client struct {
	Path string
	http *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true,
	}
	return &Client{Path: path, http: &http.Client{Transport: tr}}
}

// Status fetches the director's status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.do(ctx, http.MethodGet, PathStatus, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Failover asks the director to hand its MASTER role over (see FailoverRequest).
func (c *Client) Failover(ctx context.Context, req FailoverRequest) (*FailoverResult, error) {
	var res FailoverResult
	if err := c.do(ctx, http.MethodPost, PathFailover, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Reload asks the director to reread its config, as SIGHUP does, and waits for the outcome.
// A refused config is an error that matches ErrReloadFailed, with the findings in its
// Details (an *Error).
func (c *Client) Reload(ctx context.Context, req ReloadRequest) (*ReloadResult, error) {
	var res ReloadResult
	if err := c.do(ctx, http.MethodPost, PathReload, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	// The host part is ignored by the unix dialer; "halvs" makes logs readable.
	req, err := http.NewRequestWithContext(ctx, method, "http://halvs"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.explain(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("control socket %s: %w", c.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
			eb = errorBody{Error: strings.TrimSpace(string(b)), Code: "http"}
		}
		return &Error{Status: resp.StatusCode, Code: eb.Code, Message: eb.Error, Details: eb.Details}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("control socket %s: bad response: %w", c.Path, err)
	}
	return nil
}

// explain turns the usual dial failures into a sentence an operator can act on.
func (c *Client) explain(err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("no halvs is running with control socket %s (is `halvs run` started, and is global.control_socket the same?): %w", c.Path, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("control socket %s is root only; run as root: %w", c.Path, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("control socket %s exists but nobody answers (halvs stopped uncleanly?): %w", c.Path, err)
	}
	return fmt.Errorf("control socket %s: %w", c.Path, err)
}

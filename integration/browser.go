//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// ChromiumBinary is the browser the page tests drive: $HALVS_CHROMIUM, or Debian's chromium.
func ChromiumBinary() string {
	if p := os.Getenv("HALVS_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Browser is a headless Chromium running inside a node's namespace (so that it reaches the
// addresses there), driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// requests on fd 3, answers and events on fd 4, each message ending in a NUL byte). The test
// owns the process; it is killed by PID when the test ends.
type Browser struct {
	t       testing.TB
	cmd     *exec.Cmd
	in      *os.File // to the browser
	out     *bufio.Reader
	id      int
	session string // the page's, after Open
	stderr  *syncBuffer
}

// StartBrowser starts Chromium in node's namespace (nil: this process's, for a page on
// loopback); it skips the test when Chromium is not installed.
func StartBrowser(t testing.TB, node *Node) *Browser {
	t.Helper()
	bin := ChromiumBinary()
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("chromium is not installed (%s; scripts/install-deps.sh installs it): %v", bin, err)
	}
	toBrowser, ourEnd, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	theirEnd, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(t.TempDir(), "chromium")
	b := &Browser{t: t, in: ourEnd, out: bufio.NewReader(theirEnd), stderr: &syncBuffer{}}
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--user-data-dir=" + profile,
		"--no-first-run", "--window-size=1400,900", "--hide-scrollbars", "about:blank"}
	if node != nil {
		b.cmd = node.NS.Command(context.Background(), bin, args...)
	} else {
		b.cmd = exec.Command(bin, args...)
	}
	b.cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fd 3, fd 4
	b.cmd.Stdout, b.cmd.Stderr = b.stderr, b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		ourEnd.Close()
		_ = b.cmd.Process.Kill()
		<-done
		theirEnd.Close()
		if t.Failed() {
			t.Logf("chromium's output:\n%s", b.stderr.String())
		}
	})
	return b
}

// call sends one request (to the page's session when session is set) and decodes its
// answer into result; events and other answers read meanwhile are dropped.
func (b *Browser) call(session, method string, params, result any) error {
	b.id++
	req := map[string]any{"id": b.id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if session != "" {
		req["sessionId"] = session
	}
	msg, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := b.in.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("chromium: %s: %w", method, err)
	}
	for {
		line, err := b.out.ReadBytes(0)
		if err != nil {
			return fmt.Errorf("chromium: %s: reading the answer: %w", method, err)
		}
		var ans struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line[:len(line)-1], &ans); err != nil {
			return fmt.Errorf("chromium: %s: %w", method, err)
		}
		if ans.ID != b.id {
			continue
		}
		if ans.Error != nil {
			return fmt.Errorf("chromium: %s: %s", method, ans.Error.Message)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(ans.Result, result)
	}
}

// Open loads url in a new page and keeps that page for Eval and Screenshot.
func (b *Browser) Open(url string) {
	b.t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": url}, &target); err != nil {
		b.t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		b.t.Fatal(err)
	}
	b.session = attached.SessionID
}

// Eval evaluates a JavaScript expression in the page and decodes its value (which must be
// JSON-serialisable) into v.
func (b *Browser) Eval(expr string, v any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res); err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("chromium: %s: %s", expr, res.ExceptionDetails.Text)
	}
	return json.Unmarshal(res.Result.Value, v)
}

// Screenshot writes the page, as far down as it goes, as a PNG.
func (b *Browser) Screenshot(path string) error {
	var size struct {
		W, H float64
	}
	if err := b.Eval(`({W: 1400, H: Math.min(document.documentElement.scrollHeight, 4000)})`, &size); err != nil {
		return err
	}
	if err := b.call(b.session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": int(size.W), "height": int(size.H), "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond) // one layout after the resize
	var shot struct {
		Data string `json:"data"`
	}
	if err := b.call(b.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

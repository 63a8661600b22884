package healthcheck

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/halvs/halvs/internal/cnum"
)

// FileSpec is a FILE_CHECK block (keepalived check_file.c, track_file.c): the file holds a
// number (read like strtol with base 0; missing or empty means 0). With weight 0, a non-zero
// number is a failure (with Reverse, zero is). Otherwise number × weight (negated by Reverse)
// is added to the real server's weight, and a product at or below −2³¹ is a failure.
type FileSpec struct {
	Path    string
	Weight  int // weight; 0: the file's value is a pass/fail flag
	Reverse bool
}

// Kind implements Spec.
func (FileSpec) Kind() Kind { return KindFile }

func (s FileSpec) resolve(resolveEnv) (Spec, error) {
	if s.Path == "" {
		return nil, fmt.Errorf("FILE_CHECK: no file")
	}
	if s.Weight < -math.MaxInt32 || s.Weight > math.MaxInt32 {
		return nil, fmt.Errorf("FILE_CHECK: weight %d out of range", s.Weight)
	}
	return s, nil
}

func (s FileSpec) newChecker() (Checker, error) { return &fileChecker{spec: s}, nil }

type fileChecker struct {
	spec FileSpec
	last int64 // keepalived keeps the previous value when the file holds garbage out of range
}

func (c *fileChecker) String() string { return "file_check " + c.spec.Path }

func (c *fileChecker) Check(context.Context) Result {
	start := time.Now()
	v, err := readTrackFile(c.spec.Path)
	if err != nil {
		v = c.last
	}
	c.last = v
	mult := int64(1)
	if c.spec.Reverse {
		mult = -1
	}
	res := Result{Latency: time.Since(start)}
	if c.spec.Weight == 0 {
		if (v != 0) == (mult == 1) {
			res.Err = fmt.Errorf("%s holds %d", c.spec.Path, v)
			return res
		}
		res.OK = true
		return res
	}
	w := v * int64(c.spec.Weight) * mult
	if w <= math.MinInt32 {
		res.Err = fmt.Errorf("%s holds %d: weight %d is a fault", c.spec.Path, v, w)
		return res
	}
	res.OK, res.WeightOffset = true, int(min(w, math.MaxInt32))
	return res
}

// readTrackFile is keepalived's process_track_file: the first 127 bytes, strtol(buf, NULL, 0);
// an unreadable or empty file is 0, a number outside [−2³¹, 2³¹] is an error.
func readTrackFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	buf := make([]byte, 127)
	n, _ := f.Read(buf)
	v, _, _ := cnum.Strtol(string(buf[:n]))
	if v < math.MinInt32 || v > math.MaxInt32+1 {
		return 0, fmt.Errorf("invalid number in %s", path)
	}
	return v, nil
}

package director

import (
	"testing"
	"time"

	"github.com/halvs/halvs/internal/clock/clocktest"
)

// testClock is the director tests' clock: adverts, master-down timers, vrrp_script runs and
// health checks happen when the test lets time pass, and never because the machine was slow.
type testClock struct{ *clocktest.Clock }

func newTestClock() testClock {
	return testClock{clocktest.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))}
}

// clockStep is how far until advances the clock between two looks at the condition: a tenth
// of the 100 ms advert interval the tests use.
const clockStep = 10 * time.Millisecond

// until lets protocol time pass, clockStep at a time, until cond holds (within about 50 s
// of it); for a condition that needs no time to pass, use eventually.
func (c testClock) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	c.Until(t, clockStep, what, cond)
}

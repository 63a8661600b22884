package director

import (
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// userLog is a UserLookup that records the names it is asked for and maps every one to the
// user the test runs as, so that the scripts run unprivileged.
type userLog struct {
	mu    sync.Mutex
	names []string
}

func (u *userLog) lookup(name, _ string) (uint32, uint32, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.names = append(u.names, name)
	return uint32(os.Getuid()), uint32(os.Getgid()), nil
}

// since returns the names asked for from the n-th lookup on.
func (u *userLog) since(n int) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.names[n:])
}

func (u *userLog) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.names)
}

// TestReloadNotifiesUnderNewSettings: the state changes a reload causes are notified under
// the new config: a removed instance's STOP reaches the new global notify_fifo as well as its
// own, its notify_stop runs as the new script_user, and a new instance's first states reach
// its notify_fifo and run its notify_master as the new script_user.
func TestReloadNotifiesUnderNewSettings(t *testing.T) {
	dir := t.TempDir()
	g1, g2 := readFIFO(t, dir+"/g1"), readFIFO(t, dir+"/g2")
	vi2, vi3 := readFIFO(t, dir+"/vi2"), readFIFO(t, dir+"/vi3")
	global := func(fifo, user string) string {
		return "global {\n  notify_fifo = \"" + dir + "/" + fifo + "\"\n  script_user = \"" + user + "\"\n}\n"
	}
	vi1 := owner("VI_1", 51, "10.0.0.1/32", "")
	before := global("g1", "alice") + vi1 + owner("VI_2", 52, "10.0.0.2/32",
		"  notify_fifo = \""+dir+"/vi2\"\n  notify_stop = \"/bin/true\"\n")
	after := global("g2", "bob") + vi1 + owner("VI_3", 53, "10.0.0.3/32",
		"  notify_fifo = \""+dir+"/vi3\"\n  notify_master = \"/bin/true\"\n")

	users := &userLog{}
	k := newKernel()
	opts := k.options(t)
	opts.Users = users.lookup
	d, err := New(parse(t, before), opts)
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	masterOf(t, d, "VI_2")
	g1.waitFor(t, "INSTANCE \"VI_1\" MASTER 255\n", "INSTANCE \"VI_2\" MASTER 255\n")

	n := users.count()
	if err := d.Reload(parse(t, after)); err != nil {
		t.Fatal(err)
	}
	// Apply waits for a removed instance to stop, so its STOP is in the pipes by now.
	vi2.waitFor(t, "INSTANCE \"VI_2\" STOP 255\n")
	g2.waitFor(t, "INSTANCE \"VI_2\" STOP 255\n")
	masterOf(t, d, "VI_3")
	vi3.waitFor(t, "INSTANCE \"VI_3\" MASTER 255\n")
	g2.waitFor(t, "INSTANCE \"VI_3\" MASTER 255\n")
	// notify_stop of VI_2 and notify_master of VI_3, each as bob.
	eventually(t, "two notify scripts after the reload", func() bool { return users.count() >= n+2 })
	if diff := cmp.Diff([]string{"bob", "bob"}, users.since(n)); diff != "" {
		t.Errorf("script_user of the notify scripts after the reload (-want +got):\n%s", diff)
	}
	if got := linesOf(g1.text(), "VI_2"); got != "INSTANCE \"VI_2\" MASTER 255\n" {
		t.Errorf("VI_2's lines in the old global notify_fifo %q, want its MASTER only", got)
	}
	if got, want := vi2.text(), "INSTANCE \"VI_2\" MASTER 255\nINSTANCE \"VI_2\" STOP 255\n"; got != want {
		t.Errorf("VI_2's notify_fifo %q, want %q", got, want)
	}
}

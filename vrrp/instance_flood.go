package vrrp

import "log/slog"

// What an instance does under a flood of adverts: it counts what it drops or does not
// answer, and logs it within the limits of its logLimiter.

// queueFull counts and logs a message the full mailbox dropped; called by the receive
// goroutine.
func (i *Instance) queueFull(p Packet) {
	i.mu.Lock()
	i.counters.Drops[DropQueueFull]++
	i.mu.Unlock()
	i.logs.Log(slog.LevelDebug, "dropped "+DropQueueFull.String(), "advert dropped", "src", p.Src, "reason", DropQueueFull)
}

// replyLimited counts a lower-priority advert the machine did not answer (ReplyLimited).
func (i *Instance) replyLimited() {
	i.mu.Lock()
	i.counters.RepliesLimited++
	i.mu.Unlock()
}

// countSuppressed counts log lines the limiter did not write.
func (i *Instance) countSuppressed(n int) {
	i.mu.Lock()
	i.counters.LogSuppressed += uint64(n)
	i.mu.Unlock()
}

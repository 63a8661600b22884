package config

import "time"

// DefaultLVSSyncPreemptDelay is lvs_sync_preempt_delay's default. With it halvs has the sync
// master resend every connection that carries a packet at least once a second
// (sync_refresh_period 1 s, sync_period 0), and the kernel's master thread sends a partly
// filled buffer within 2 s plus its 1 s check period: after 5 s as the sync backup, a director
// holds every connection that was active meanwhile (a second of slack).
const DefaultLVSSyncPreemptDelay = 5 * time.Second

// MaxLVSSyncPreemptDelay bounds lvs_sync_preempt_delay: a director holds back from taking its
// VIP that long at most, so a typo must not make it minutes.
const MaxLVSSyncPreemptDelay = time.Minute

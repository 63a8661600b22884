package vrrp

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetlinkLinkWatcher is the LinkWatcher over rtnetlink link notifications (RTNLGRP_LINK).
type NetlinkLinkWatcher struct {
	log *slog.Logger
}

var _ LinkWatcher = (*NetlinkLinkWatcher)(nil)

// NewLinkWatcher returns a NetlinkLinkWatcher that logs lost subscriptions to log (nil:
// slog.Default()).
func NewLinkWatcher(log *slog.Logger) *NetlinkLinkWatcher {
	if log == nil {
		log = slog.Default()
	}
	return &NetlinkLinkWatcher{log: log}
}

// resubscribeDelay is how long Watch waits before replacing a subscription the kernel broke
// (for instance ENOBUFS after a burst of link messages).
const resubscribeDelay = time.Second

// Watch calls fn with dev's state at once and then on every change, from one goroutine,
// until stop is closed; it returns once the subscription is in place. Up means
// operationally up (IFLA_OPERSTATE up), or, where the driver reports no operational state
// ("unknown", as loopback and some virtual devices do), IFF_UP and IFF_RUNNING together,
// keepalived's test. A missing interface is down, and is watched for should it appear.
//
// Watch follows the network namespace of the calling thread at the time of the call, also
// when it has to subscribe again after losing messages (then it re-reads the state and
// reports it if it changed).
func (w *NetlinkLinkWatcher) Watch(dev string, fn func(up bool), stop <-chan struct{}) error {
	ns, err := netns.Get()
	if err != nil {
		return fmt.Errorf("vrrp: watch %s: %w", dev, err)
	}
	// Route only: NewHandleAt without families also opens XFRM and netfilter sockets, and a
	// kernel without xfrm_user (Debian's cloud kernel, modules not loaded) refuses the lot.
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return fmt.Errorf("vrrp: watch %s: %w", dev, err)
	}
	sub, err := subscribeLinks(ns)
	if err != nil {
		h.Close()
		ns.Close()
		return fmt.Errorf("vrrp: watch %s: %w", dev, err)
	}
	go w.run(dev, fn, stop, ns, h, sub)
	return nil
}

// linkSubscription is one rtnetlink subscription; closing done ends it, after which updates
// is closed by the netlink package once its reader stops.
type linkSubscription struct {
	updates chan netlink.LinkUpdate
	done    chan struct{}
}

func subscribeLinks(ns netns.NsHandle) (*linkSubscription, error) {
	s := &linkSubscription{updates: make(chan netlink.LinkUpdate, 64), done: make(chan struct{})}
	err := netlink.LinkSubscribeWithOptions(s.updates, s.done, netlink.LinkSubscribeOptions{Namespace: &ns})
	if err != nil {
		close(s.done)
		return nil, err
	}
	return s, nil
}

// end stops the subscription and drains it so that the netlink reader goroutine, which may be
// blocked sending to updates, can finish.
func (s *linkSubscription) end() {
	close(s.done)
	for range s.updates {
	}
}

func (w *NetlinkLinkWatcher) run(dev string, fn func(bool), stop <-chan struct{}, ns netns.NsHandle, h *netlink.Handle, sub *linkSubscription) {
	defer ns.Close()
	defer h.Close()
	var st linkState
	st.dev = dev
	// The subscription already runs, so no change after this read can be missed.
	st.reset(h)
	fn(st.up)
	for {
		var lost bool
		select {
		case <-stop:
			sub.end()
			return
		case u, ok := <-sub.updates:
			if ok {
				if up, changed := st.observe(u); changed {
					fn(up)
				}
				continue
			}
			lost = true
		}
		if lost {
			w.log.Warn("link notifications lost, subscribing again", "interface", dev)
			sub = w.resubscribe(dev, stop, ns)
			if sub == nil {
				return
			}
			if was := st.up; st.reset(h) != was {
				fn(st.up)
			}
		}
	}
}

// resubscribe retries until it has a new subscription, or returns nil when stop closes.
func (w *NetlinkLinkWatcher) resubscribe(dev string, stop <-chan struct{}, ns netns.NsHandle) *linkSubscription {
	for {
		select {
		case <-stop:
			return nil
		case <-time.After(resubscribeDelay):
		}
		sub, err := subscribeLinks(ns)
		if err == nil {
			return sub
		}
		w.log.Warn("cannot subscribe to link notifications", "interface", dev, "err", err)
	}
}

// linkState follows one interface name through link notifications.
type linkState struct {
	dev   string
	index int // 0 while no interface has the name
	up    bool
}

// reset reads the interface's current state and returns it.
func (s *linkState) reset(h *netlink.Handle) bool {
	s.index, s.up = 0, false
	link, err := h.LinkByName(s.dev)
	if err == nil {
		s.index, s.up = link.Attrs().Index, linkUp(link.Attrs())
	}
	return s.up
}

// observe applies one notification and reports the state and whether it changed.
func (s *linkState) observe(u netlink.LinkUpdate) (up, changed bool) {
	a := u.Attrs()
	was := s.up
	switch {
	case a.Name == s.dev && u.Header.Type == unix.RTM_DELLINK:
		s.index, s.up = 0, false
	case a.Name == s.dev:
		s.index, s.up = a.Index, linkUp(a)
	case s.index != 0 && a.Index == s.index:
		// Renamed away (or deleted under another name): the name no longer names it.
		s.index, s.up = 0, false
	}
	return s.up, s.up != was
}

// linkUp is keepalived's idea of a usable interface.
func linkUp(a *netlink.LinkAttrs) bool {
	switch a.OperState {
	case netlink.OperUp:
		return true
	case netlink.OperUnknown:
		return a.RawFlags&unix.IFF_UP != 0 && a.RawFlags&unix.IFF_RUNNING != 0
	}
	return false
}

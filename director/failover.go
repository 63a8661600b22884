package director

import (
	"context"
	"fmt"
	"time"

	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
)

// ErrNotMaster is an error of Failover; the other is control.ErrUnknownInstance, the control
// socket's own sentinel, so that a client tells it apart without a translation.
var ErrNotMaster = vrrp.ErrNotMaster

// DefaultHold is how long Failover keeps an instance BACKUP when asked for no hold time.
const DefaultHold = 30 * time.Second

// Handover is what Failover did to one instance.
type Handover struct {
	Instance  string
	Sent      time.Time // the priority-0 advert
	HoldUntil time.Time
}

// Failover hands instance over gracefully (vrrp.Instance.Handover): it sends priority 0,
// releases the VIPs, and stays BACKUP for hold (DefaultHold when zero), after which it
// preempts back as configured. An empty instance means every instance that is MASTER here.
// It returns when the VIPs are gone. Errors: control.ErrUnknownInstance, ErrNotMaster (also when ""
// finds no MASTER), vrrp.ErrOwner for an address owner.
func (d *Director) Failover(ctx context.Context, instance string, hold time.Duration) ([]Handover, error) {
	if hold < 0 {
		return nil, fmt.Errorf("failover: negative hold %v", hold)
	}
	if hold == 0 {
		hold = DefaultHold
	}
	var targets []*vrrp.Instance
	if instance != "" {
		i := d.router.Instance(instance)
		if i == nil {
			return nil, fmt.Errorf("%w: %q", control.ErrUnknownInstance, instance)
		}
		targets = append(targets, i)
	} else {
		for _, i := range d.router.Instances() {
			if i.Status().State == vrrp.StateMaster {
				targets = append(targets, i)
			}
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("%w: no instance is MASTER here", ErrNotMaster)
		}
	}
	var out []Handover
	for _, i := range targets {
		sent, until, err := i.Handover(ctx, hold)
		if err != nil {
			return out, fmt.Errorf("%s: %w", i.Name(), err)
		}
		d.log.Info("failover: handed over", "instance", i.Name(), "hold_until", until)
		out = append(out, Handover{Instance: i.Name(), Sent: sent, HoldUntil: until})
	}
	return out, nil
}

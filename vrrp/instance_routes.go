package vrrp

import (
	"fmt"
	"slices"
)

// The instance's virtual_routes and virtual_rules, held by its vipOwner: added after the
// VIPs when it becomes MASTER (routes, then rules), removed before them when it leaves
// (rules, then routes), changed in place by a reload.

func (o *vipOwner) routeError(what, item string, err error) {
	o.count(func(c *Counters) { c.KernelErrors++ })
	o.log.Error(what+" failed", "what", item, "err", err)
}

func (o *vipOwner) addRoutes() {
	for _, r := range o.virtualRoutes {
		o.addRoute(r, "")
	}
	for _, r := range o.virtualRules {
		o.addRule(r, "")
	}
}

func (o *vipOwner) delRoutes() {
	for _, r := range slices.Backward(o.virtualRules) {
		o.delRule(r, "")
	}
	for _, r := range slices.Backward(o.virtualRoutes) {
		o.delRoute(r, "")
	}
}

func (o *vipOwner) addRoute(r Route, by string) {
	if err := o.routes.AddRoute(r); err != nil {
		o.routeError("add route", r.String(), err)
		return
	}
	o.logRoute("setting route", "route", r.String(), by)
}

func (o *vipOwner) delRoute(r Route, by string) {
	if err := o.routes.DelRoute(r); err != nil {
		o.routeError("remove route", r.String(), err)
		return
	}
	o.logRoute("removing route", "route", r.String(), by)
}

func (o *vipOwner) addRule(r Rule, by string) {
	if err := o.routes.AddRule(r); err != nil {
		o.routeError("add rule", r.String(), err)
		return
	}
	o.logRoute("setting rule", "rule", r.String(), by)
}

func (o *vipOwner) delRule(r Rule, by string) {
	if err := o.routes.DelRule(r); err != nil {
		o.routeError("remove rule", r.String(), err)
		return
	}
	o.logRoute("removing rule", "rule", r.String(), by)
}

// logRoute is keepalived's kind of line for each route or rule set or removed; by is
// "reload" for a reload's changes.
func (o *vipOwner) logRoute(msg, key, what, by string) {
	if by == "" {
		o.log.Info(msg, key, what)
		return
	}
	o.log.Info(msg, key, what, "by", by)
}

// setRoutes makes routes and rules the instance's (a reload). While MASTER, the new routes
// and then the new rules are added first, then the rules that went and then the routes
// that went are removed: as with the VIPs (setOwned), a route or rule that only changed
// an attribute is never missing, and what stays is not touched.
func (o *vipOwner) setRoutes(routes []Route, rules []Rule) {
	oldRoutes, oldRules := o.virtualRoutes, o.virtualRules
	o.virtualRoutes, o.virtualRules = routes, rules
	if !o.claimed {
		return
	}
	newRouteKeys, oldRouteKeys := routeKeys(routes), routeKeys(oldRoutes)
	newRuleKeys, oldRuleKeys := ruleKeys(rules), ruleKeys(oldRules)
	for k, r := range routes {
		if !slices.Contains(oldRouteKeys, newRouteKeys[k]) {
			o.addRoute(r, "reload")
		}
	}
	for k, r := range rules {
		if !slices.Contains(oldRuleKeys, newRuleKeys[k]) {
			o.addRule(r, "reload")
		}
	}
	for k, r := range oldRules {
		if !slices.Contains(newRuleKeys, oldRuleKeys[k]) {
			o.delRule(r, "reload")
		}
	}
	for k, r := range oldRoutes {
		if !slices.Contains(newRouteKeys, oldRouteKeys[k]) {
			o.delRoute(r, "reload")
		}
	}
}

// checkRoutes refuses instances with virtual_routes or virtual_rules when the Router has
// no RouteManager to apply them.
func (r *Router) checkRoutes(cfgs []InstanceConfig) error {
	if r.deps.Routes != nil {
		return nil
	}
	for _, c := range cfgs {
		if len(c.VirtualRoutes)+len(c.VirtualRules) > 0 {
			return fmt.Errorf("%w %q: virtual_routes and virtual_rules need Deps.Routes", ErrConfig, c.Name)
		}
	}
	return nil
}

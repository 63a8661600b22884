package vrrp

import (
	"fmt"
	"slices"
)

// The instance's virtual_routes and virtual_rules, on its kernel worker: added after the
// VIPs when it becomes MASTER (routes, then rules), removed before them when it leaves
// (rules, then routes), changed in place by a reload.

func (i *Instance) routeError(what, item string, err error) {
	i.mu.Lock()
	i.counters.KernelErrors++
	i.mu.Unlock()
	i.log.Error(what+" failed", "what", item, "err", err)
}

func (i *Instance) addRoutes() {
	for _, r := range i.routes {
		i.addRoute(r, "")
	}
	for _, r := range i.rules {
		i.addRule(r, "")
	}
}

func (i *Instance) delRoutes() {
	for _, r := range slices.Backward(i.rules) {
		i.delRule(r, "")
	}
	for _, r := range slices.Backward(i.routes) {
		i.delRoute(r, "")
	}
}

func (i *Instance) addRoute(r Route, by string) {
	if err := i.deps.Routes.AddRoute(r); err != nil {
		i.routeError("add route", r.String(), err)
		return
	}
	i.logRoute("setting route", "route", r.String(), by)
}

func (i *Instance) delRoute(r Route, by string) {
	if err := i.deps.Routes.DelRoute(r); err != nil {
		i.routeError("remove route", r.String(), err)
		return
	}
	i.logRoute("removing route", "route", r.String(), by)
}

func (i *Instance) addRule(r Rule, by string) {
	if err := i.deps.Routes.AddRule(r); err != nil {
		i.routeError("add rule", r.String(), err)
		return
	}
	i.logRoute("setting rule", "rule", r.String(), by)
}

func (i *Instance) delRule(r Rule, by string) {
	if err := i.deps.Routes.DelRule(r); err != nil {
		i.routeError("remove rule", r.String(), err)
		return
	}
	i.logRoute("removing rule", "rule", r.String(), by)
}

// logRoute is keepalived's kind of line for each route or rule set or removed; by is
// "reload" for a reload's changes.
func (i *Instance) logRoute(msg, key, what, by string) {
	if by == "" {
		i.log.Info(msg, key, what)
		return
	}
	i.log.Info(msg, key, what, "by", by)
}

// setRoutes makes routes and rules the instance's (a reload). While MASTER, the new routes
// and then the new rules are added first, then the rules that went and then the routes
// that went are removed: as with the VIPs (setOwned), a route or rule that only changed
// an attribute is never missing, and what stays is not touched.
func (i *Instance) setRoutes(routes []Route, rules []Rule) {
	oldRoutes, oldRules := i.routes, i.rules
	i.routes, i.rules = routes, rules
	if !i.claimed {
		return
	}
	newRouteKeys, oldRouteKeys := routeKeys(routes), routeKeys(oldRoutes)
	newRuleKeys, oldRuleKeys := ruleKeys(rules), ruleKeys(oldRules)
	for k, r := range routes {
		if !slices.Contains(oldRouteKeys, newRouteKeys[k]) {
			i.addRoute(r, "reload")
		}
	}
	for k, r := range rules {
		if !slices.Contains(oldRuleKeys, newRuleKeys[k]) {
			i.addRule(r, "reload")
		}
	}
	for k, r := range oldRules {
		if !slices.Contains(newRuleKeys, oldRuleKeys[k]) {
			i.delRule(r, "reload")
		}
	}
	for k, r := range oldRoutes {
		if !slices.Contains(newRouteKeys, oldRouteKeys[k]) {
			i.delRoute(r, "reload")
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

package healthcheck

import "fmt"

// Validate checks vss as New and Scheduler.Update do, building each distinct checker once and
// nothing else: a set it accepts is one New accepts. It lets a caller refuse a configuration
// before anything changes without the cost of a throwaway Scheduler (its engine, queue and
// initial state for every real server).
func Validate(vss []VirtualServer) error {
	if err := validate(vss); err != nil {
		return err
	}
	built := map[string]bool{}
	for _, vspec := range vss {
		for _, rspec := range vspec.RealServers {
			for _, c := range rspec.Checks {
				// As engine.update's first phase, which builds what it keeps.
				resolved, err := c.Spec.resolve(resolveEnv{RealServer: rspec.Addr, Timing: c.Timing})
				if err != nil {
					return fmt.Errorf("virtual server %s real server %v: %w", vspec.Name, rspec.Addr, err)
				}
				key := probeKey(resolved, c.Timing)
				if built[key] {
					continue
				}
				if _, err := resolved.newChecker(); err != nil {
					return fmt.Errorf("virtual server %s real server %v: %w", vspec.Name, rspec.Addr, err)
				}
				built[key] = true
			}
		}
	}
	return nil
}

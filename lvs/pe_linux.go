package lvs

import (
	"bytes"
	"fmt"

	"github.com/vishvananda/netlink/nl"
)

// peNames reads the persistence engine of every service that has one, with a GET_SERVICE
// dump of its own: moby/ipvs (v1.1.0) sends IPVS_SVC_ATTR_PE_NAME but never parses it.
// k.mu must be held.
func (k *Kernel) peNames() (map[ServiceKey]string, error) {
	ans, err := k.execute(k.dumpRequest(ipvsCmdGetService, nil))
	if err != nil {
		return nil, err
	}
	if ans[0].err != nil {
		return nil, fmt.Errorf("lvs: list services: %w", ans[0].err)
	}
	var out map[ServiceKey]string
	for _, m := range ans[0].data {
		key, pe, err := parseServicePE(m)
		if err != nil {
			return nil, err
		}
		if pe != "" {
			if out == nil {
				out = map[ServiceKey]string{}
			}
			out[key] = pe
		}
	}
	return out, nil
}

// peName reads the persistence engine of one service ("" for none) with a GET_SERVICE of
// its own, as peNames does for the whole table. k.mu must be held.
func (k *Kernel) peName(key ServiceKey) (string, error) {
	req := nl.NewNetlinkRequest(int(k.family), 0)
	req.AddData(&nl.Genlmsg{Command: ipvsCmdGetService, Version: ipvsGenlVersion})
	req.AddData(encoded(appendServiceAttr(nil, Service{Key: key})))
	ans, err := k.execute(req)
	if err != nil {
		return "", err
	}
	if ans[0].err != nil {
		return "", fmt.Errorf("lvs: service %s: %w", key, ans[0].err)
	}
	for _, m := range ans[0].data {
		got, pe, err := parseServicePE(m)
		if err != nil {
			return "", err
		}
		if got == key {
			return pe, nil
		}
	}
	return "", fmt.Errorf("lvs: service %s: no answer", key)
}

// parseServicePE reads one GET_SERVICE answer: the service's key and its persistence
// engine's name ("" for none).
func parseServicePE(msg []byte) (ServiceKey, string, error) {
	attrs, err := nestedAttrs(msg, ipvsCmdAttrService)
	if err != nil {
		return ServiceKey{}, "", err
	}
	key, err := serviceKeyOf(attrs)
	if err != nil {
		return ServiceKey{}, "", err
	}
	for _, a := range attrs {
		if attrType(a) == ipvsSvcAttrPEName {
			name, _, _ := bytes.Cut(a.Value, []byte{0})
			return key, string(name), nil
		}
	}
	return key, "", nil
}

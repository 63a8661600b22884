package director

import (
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
)

// announcePacing is global's garp_group blocks and vrrp_garp_interval / vrrp_gna_interval
// for the Router: every instance's gratuitous ARPs and NAs are paced per interface, a VMAC
// counting as its base interface (keepalived paces the physical interface).
func announcePacing(g config.GlobalTiming, vmacs map[string]vrrp.VMAC) vrrp.AnnouncePacing {
	p := vrrp.AnnouncePacing{ARPInterval: g.GarpInterval, NAInterval: g.GnaInterval}
	for _, gg := range g.GarpGroups {
		p.Groups = append(p.Groups, vrrp.AnnounceGroup{ARPInterval: gg.GarpInterval, NAInterval: gg.GnaInterval, Interfaces: gg.Interfaces})
	}
	for _, v := range vmacs {
		if p.Bases == nil {
			p.Bases = map[string]string{}
		}
		p.Bases[v.Name] = v.Base
	}
	return p
}

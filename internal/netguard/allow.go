package netguard

import (
	"fmt"
	"net/netip"
	"strings"
)

// allowList is PANTRYFLOW_HTTP_ALLOW read: address ranges the guard lets through, and host names whose
// connections skip the address check.
type allowList struct {
	v4, v6 []netip.Prefix
	names  map[string]bool
}

func parseAllowList(entries []string) (allowList, error) {
	l := allowList{names: map[string]bool{}}
	for _, raw := range entries {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		bare := s
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			bare = s[1 : len(s)-1] // "[::1]", as in a URL
		}
		if p, err := netip.ParsePrefix(bare); err == nil {
			l.addPrefix(p)
			continue
		}
		if ip, err := netip.ParseAddr(bare); err == nil {
			ip = ip.WithZone("")
			l.addPrefix(netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		name := normalizeName(s)
		if !validName(name) {
			return allowList{}, fmt.Errorf("netguard: PANTRYFLOW_HTTP_ALLOW: %q is neither a host name, an IP address nor a CIDR", s)
		}
		if endsInNumber(name) {
			return allowList{}, fmt.Errorf("netguard: PANTRYFLOW_HTTP_ALLOW: %q is not an IP address Pantryflow can read; write it like 10.0.0.5 or 10.0.0.0/8", s)
		}
		l.names[name] = true
	}
	return l, nil
}

func (l *allowList) addPrefix(p netip.Prefix) {
	p = p.Masked()
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if p.Addr().Is4() {
		l.v4 = append(l.v4, p)
	} else {
		l.v6 = append(l.v6, p)
	}
}

func (l allowList) hasName(host string) bool { return l.names[normalizeName(host)] }

func normalizeName(host string) string { return strings.ToLower(strings.TrimSuffix(host, ".")) }

// validName reports whether name is a DNS host name: dot-separated labels of letters, digits, '-' and '_'.
func validName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return false
			}
		}
	}
	return true
}

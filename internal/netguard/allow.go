package netguard

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// allowList is PANTRYFLOW_HTTP_ALLOW read: address ranges the guard lets through, and host names whose
// connections skip the address check, each on every port or on one.
type allowList struct {
	entries []allowEntry
}

// allowEntry is one item of the list: a range (prefix) or a host name (name), and the port it opens (0:
// every port).
type allowEntry struct {
	prefix netip.Prefix
	name   string
	port   uint16
}

// AllowListForms says what PANTRYFLOW_HTTP_ALLOW takes, for messages.
const AllowListForms = "a host name (crm.internal), an IP address (10.0.0.5), a CIDR range (10.0.0.0/8), " +
	"each alone for every port or with :PORT for one port (crm.internal:8443, 10.0.0.5:9000, 10.0.0.0/8:443, [fd00::5]:9000)"

// CheckAllowList reports the first entry of PANTRYFLOW_HTTP_ALLOW that is not one of its forms, in a
// sentence that starts with the entry; start-up checks the setting with it.
func CheckAllowList(entries []string) error {
	_, err := parseAllowList(entries)
	return err
}

func parseAllowList(entries []string) (allowList, error) {
	var l allowList
	for _, raw := range entries {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		e, err := parseAllowEntry(s)
		if err != nil {
			return allowList{}, fmt.Errorf("%q %w", s, err)
		}
		l.entries = append(l.entries, e)
	}
	return l, nil
}

// parseAllowEntry reads one entry; its errors complete a sentence that starts with the entry.
func parseAllowEntry(s string) (allowEntry, error) {
	if strings.Contains(s, "://") {
		return allowEntry{}, fmt.Errorf("is a URL; write only the host and, if you want, a port, like crm.internal or crm.internal:8443")
	}
	host, port, err := splitAllowPort(s)
	if err != nil {
		return allowEntry{}, err
	}
	e := allowEntry{port: port}
	if p, err := netip.ParsePrefix(host); err == nil {
		e.prefix = unmapPrefix(p.Masked())
		return e, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.WithZone("")
		e.prefix = unmapPrefix(netip.PrefixFrom(ip, ip.BitLen()))
		return e, nil
	}
	name := normalizeName(host)
	if !validName(name) {
		return allowEntry{}, fmt.Errorf("is neither a host name, an IP address nor a CIDR; use %s", AllowListForms)
	}
	if endsInNumber(name) {
		return allowEntry{}, fmt.Errorf("is not an IP address Pantryflow can read; write it like 10.0.0.5 or 10.0.0.0/8")
	}
	e.name = name
	return e, nil
}

// splitAllowPort takes the port off an entry: "host:9000", "10.0.0.0/8:443", "[::1]:9000" and "[::1]". A
// bare IPv6 address or range ("::1", "fd00::/8") has no port: with one it must be in brackets.
func splitAllowPort(s string) (host string, port uint16, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		inside, after, found := strings.Cut(rest, "]")
		switch {
		case !found:
			return "", 0, fmt.Errorf("opens a [ it does not close; write an IPv6 address like [fd00::5] or [fd00::5]:9000")
		case after == "":
			return inside, 0, nil
		case !strings.HasPrefix(after, ":"):
			return "", 0, fmt.Errorf("has something after ] that is not :PORT; write it like [fd00::5]:9000")
		}
		port, err := parsePort(after[1:])
		return inside, port, err
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0, nil
	}
	if strings.Contains(s[:i], ":") {
		// IPv6 without brackets: the colons are the address's own.
		if _, err := netip.ParseAddr(s); err == nil {
			return s, 0, nil
		}
		if _, err := netip.ParsePrefix(s); err == nil {
			return s, 0, nil
		}
		return "", 0, fmt.Errorf("is not an IPv6 address or range; with a port, put the address in brackets like [fd00::5]:9000")
	}
	port, err = parsePort(s[i+1:])
	return s[:i], port, err
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("has the port %q; a port is a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// allowsName reports whether connections made for host on port skip the address check.
func (l allowList) allowsName(host string, port uint16) bool {
	name := normalizeName(host)
	return slices.ContainsFunc(l.entries, func(e allowEntry) bool {
		return e.name != "" && e.name == name && (e.port == 0 || e.port == port)
	})
}

// allowsAddr reports whether ip (unmapped) on port is in an allowed range.
func (l allowList) allowsAddr(ip netip.Addr, port uint16) bool {
	return slices.ContainsFunc(l.entries, func(e allowEntry) bool {
		return e.name == "" && e.prefix.Contains(ip) && (e.port == 0 || e.port == port)
	})
}

// portsFor lists the ports an allowed range opens for ip when it opens only some, so a refusal can say so.
func (l allowList) portsFor(ip netip.Addr) []uint16 {
	var out []uint16
	for _, e := range l.entries {
		if e.name == "" && e.prefix.Contains(ip) && e.port != 0 && !slices.Contains(out, e.port) {
			out = append(out, e.port)
		}
	}
	slices.Sort(out)
	return out
}

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

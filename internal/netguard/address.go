package netguard

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"code.dny.dev/ssrf"
)

var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, …
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
}

// reason says in a few words what kind of address ip (unmapped) is, for a refusal.
func reason(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "private (loopback)"
	case slices.Contains(metadataAddrs, ip.WithZone("")):
		return "private (link-local: the cloud metadata service)"
	case ip.IsLinkLocalUnicast():
		return "private (link-local)"
	case ip.IsPrivate() && ip.Is4():
		return "private (internal network)"
	case ip.IsPrivate():
		return "private (internal network, unique local)"
	case ip.IsUnspecified():
		return "reserved (unspecified)"
	case ip.IsMulticast():
		return "reserved (multicast)"
	}
	for _, p := range slices.Concat(ssrf.IPv4DeniedPrefixes, ssrf.IPv6DeniedPrefixes) {
		if p.Contains(ip) {
			return "reserved (" + p.String() + ")"
		}
	}
	if ip.Is6() && !ssrf.IPv6GlobalUnicast.Contains(ip) {
		return "reserved (outside the public IPv6 range)"
	}
	return "reserved"
}

// endsInNumber reports whether the last label of host is a number (decimal, or hex with 0x), which makes the
// host an IPv4 address in some notation rather than a name — the rule URL parsers in browsers follow.
func endsInNumber(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// parseLooseIPv4 reads an IPv4 address the way inet_aton does: one to four parts, each decimal, octal (leading
// 0) or hex (0x); the last part fills the remaining bytes. "2130706433", "0x7f.1" and "0177.0.0.1" all read
// as 127.0.0.1. A trailing dot is ignored.
func parseLooseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := parseLooseNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v = v<<8 | n
	}
	restBits := 8 * uint(5-len(nums))
	last := nums[len(nums)-1]
	if last >= 1<<restBits {
		return netip.Addr{}, false
	}
	v = v<<restBits | last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func parseLooseNumber(s string) (uint64, bool) {
	base := 10
	switch {
	case s == "":
		return 0, false
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}

package netguard

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// The dial-time check on its own: the allowance of a host name holds for a dial made for that name, never
// for the same address reached under another name.
func TestControl(t *testing.T) {
	t.Parallel()
	c, err := New([]string{"crm.internal", "203.0.113.0/24"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Transport.(*transport).guard
	tests := []struct {
		name, host, network, address string
		blocked                      string // the refused address; "" when allowed
	}{
		{"allowed name to a private address", "crm.internal", "tcp4", "10.1.2.3:443", ""},
		{"allowed name, other spelling", "CRM.Internal.", "tcp4", "10.1.2.3:443", ""},
		{"other name to the same address", "evil.example.com", "tcp4", "10.1.2.3:443", "10.1.2.3"},
		{"a name that merely starts like the allowed one", "crm.internal.evil.example.com", "tcp4", "127.0.0.1:80", "127.0.0.1"},
		{"no name at all", "", "tcp4", "169.254.169.254:80", "169.254.169.254"},
		{"IPv4-mapped", "evil.example.com", "tcp6", "[::ffff:10.0.0.1]:80", "10.0.0.1"},
		{"allowed range", "docs.example.com", "tcp4", "203.0.113.7:443", ""},
		{"public", "api.example.com", "tcp4", "93.184.215.14:443", ""},
		{"public IPv6", "api.example.com", "tcp6", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443", ""},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.host != "" {
			ctx = context.WithValue(ctx, dialHostKey{}, tt.host)
		}
		err := g.control(ctx, tt.network, tt.address, nil)
		if tt.blocked == "" {
			if err != nil {
				t.Errorf("%s: control = %v, want allowed", tt.name, err)
			}
			continue
		}
		var be *BlockedError
		if !errors.As(err, &be) || be.Addr != netip.MustParseAddr(tt.blocked) {
			t.Errorf("%s: control = %v, want %s refused", tt.name, err, tt.blocked)
		}
	}
	if err := g.control(context.Background(), "udp4", "8.8.8.8:53", nil); err == nil {
		t.Error("control let a UDP connection through")
	}
}

func TestParseLooseIPv4(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" when it is not an address
	}{
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0X7F000001", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"0x7f.0.0.1", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"10.0x10.1", "10.16.0.1"},
		{"0x", "0.0.0.0"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"256.1", ""},
		{"1.2.3.256", ""},
		{"1.2.3.4.5", ""},
		{"09.1.1.1", ""},
		{"1..1", ""},
		{"0xg", ""},
	}
	for _, tt := range tests {
		ip, ok := parseLooseIPv4(tt.in)
		got := ""
		if ok {
			got = ip.String()
		}
		if got != tt.want {
			t.Errorf("parseLooseIPv4(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEndsInNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"2130706433", true}, {"0x7f.1", true}, {"api.example.com", false}, {"example.123", true},
		{"127.0.0.1.", true}, {"0x", true}, {"0xg", false}, {"1e5", false}, {"localhost", false}, {"", false},
	}
	for _, tt := range tests {
		if got := endsInNumber(tt.in); got != tt.want {
			t.Errorf("endsInNumber(%q) = %t, want %t", tt.in, got, tt.want)
		}
	}
}

// At dial time, after DNS, Pantryflow's own port is refused on every address of the machine, whichever
// name led there and whatever the allow list opens; entries with a port open only that port.
func TestControlSelfAndPorts(t *testing.T) {
	t.Parallel()
	self := NewSelf()
	self.interfaceAddrs = func() ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fe80::1")}, nil
	}
	for _, addr := range []string{":8080", "127.0.0.1:0"} {
		if err := self.Listen(addr); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New([]string{"crm.internal", "10.0.0.0/8", "api.internal:9000", "192.168.1.5:9000", "[fd00::5]:9000"}, 0, WithSelf(self))
	if err != nil {
		t.Fatal(err)
	}
	g := c.Transport.(*transport).guard
	tests := []struct {
		name, host, network, address string
		want                         string // "" allowed, "self", or "blocked"
	}{
		{"an allowed name resolving to the machine", "crm.internal", "tcp4", "10.1.2.3:8080", "self"},
		{"an allowed name resolving to loopback", "crm.internal", "tcp4", "127.0.0.1:8080", "self"},
		{"the allowed range on Pantryflow's port", "", "tcp4", "10.1.2.3:8080", "self"},
		{"the allowed range on another port", "", "tcp4", "10.1.2.3:8081", ""},
		{"another address of the range on Pantryflow's port", "", "tcp4", "10.9.9.9:8080", ""},
		{"the unspecified address", "", "tcp4", "0.0.0.0:8080", "self"},
		{"IPv6 loopback", "", "tcp6", "[::1]:8080", "self"},
		{"an IPv6 address of the machine, with a zone", "", "tcp6", "[fe80::1%eth0]:8080", "self"},
		{"IPv4-mapped", "", "tcp6", "[::ffff:10.1.2.3]:8080", "self"},
		{"a name with its port", "api.internal", "tcp4", "10.200.0.1:9000", ""},
		{"a name with its port, resolving to the machine", "api.internal", "tcp4", "127.0.0.1:9000", ""},
		{"a name on another port", "api.internal", "tcp4", "172.16.0.1:9001", "blocked"},
		{"an IP with its port", "", "tcp4", "192.168.1.5:9000", ""},
		{"an IP on another port", "", "tcp4", "192.168.1.5:9001", "blocked"},
		{"an IPv6 address with its port", "", "tcp6", "[fd00::5]:9000", ""},
		{"an IPv6 address on another port", "", "tcp6", "[fd00::5]:443", "blocked"},
		{"a public address on Pantryflow's port", "api.example.com", "tcp4", "93.184.215.14:8080", ""},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.host != "" {
			ctx = context.WithValue(ctx, dialHostKey{}, tt.host)
		}
		err := g.control(ctx, tt.network, tt.address, nil)
		var be *BlockedError
		blocked := errors.As(err, &be)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: control = %v, want allowed", tt.name, err)
		case tt.want == "self" && (!blocked || !be.Self):
			t.Errorf("%s: control = %v, want the refusal to call Pantryflow itself", tt.name, err)
		case tt.want == "blocked" && (!blocked || be.Self):
			t.Errorf("%s: control = %v, want an address refusal", tt.name, err)
		}
	}
	// The machine's addresses are read when they are needed: one it gains later is covered as well.
	self.interfaceAddrs = func() ([]netip.Addr, error) { return []netip.Addr{netip.MustParseAddr("10.7.7.7")}, nil }
	if err := g.control(context.Background(), "tcp4", "10.7.7.7:8080", nil); err == nil {
		t.Error("a new address of the machine on Pantryflow's port was let through")
	}
}

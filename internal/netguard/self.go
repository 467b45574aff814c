package netguard

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
)

// Self is where Pantryflow itself listens: the ports it serves on, reached through any of the machine's own
// addresses — loopback, the unspecified address (which reaches the machine itself) and the addresses of its
// network interfaces. call_api never connects there, whatever PANTRYFLOW_HTTP_ALLOW allows: a workflow
// calling Pantryflow could start itself without end, or reach what only the machine should.
type Self struct {
	mu    sync.RWMutex
	ports []uint16
	// interfaceAddrs lists the machine's addresses; it is read on each dial to a port of Pantryflow, so an
	// address the machine gains after start-up is covered too.
	interfaceAddrs func() ([]netip.Addr, error)
}

// NewSelf returns a Self with no port yet; Listen adds them.
func NewSelf() *Self { return &Self{interfaceAddrs: machineAddrs} }

// Listen records the port of addr ("host:port", as PANTRYFLOW_ADDR or a listener's address); port 0 (any
// free port) is skipped, the real one is recorded when the listener is open.
func (s *Self) Listen(addr string) error {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("netguard: Pantryflow's own address %q: %w", addr, err)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return fmt.Errorf("netguard: Pantryflow's own address %q has no port number", addr)
	}
	if n == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.ports, uint16(n)) {
		s.ports = append(s.ports, uint16(n))
	}
	return nil
}

// is reports whether a connection to ip (unmapped) on port would reach Pantryflow itself.
func (s *Self) is(ip netip.Addr, port uint16) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	listening := slices.Contains(s.ports, port)
	s.mu.RUnlock()
	if !listening {
		return false
	}
	ip = ip.WithZone("")
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	own, err := s.interfaceAddrs()
	if err != nil {
		return true // cannot tell: refusing is the safe answer on Pantryflow's own port
	}
	return slices.Contains(own, ip)
}

// machineAddrs lists the addresses of the machine's network interfaces, unmapped and without zones.
func machineAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("netguard: list the machine's addresses: %w", err)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, addr.Unmap().WithZone(""))
		}
	}
	return out, nil
}

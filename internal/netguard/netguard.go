// Package netguard builds the HTTP client Pantryflow calls other systems with (the call_api action). Every
// connection it makes — each redirect hop, each address a host name resolves to — goes through the SSRF guard
// of code.dny.dev/ssrf at dial time, so private, loopback, link-local, cloud-metadata and other special-purpose
// addresses are refused unless PANTRYFLOW_HTTP_ALLOW names them. Refusals read as sentences a sales manager can
// act on.
package netguard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// MaxRedirects is how many redirects a request may follow; each hop is checked like the first request.
const MaxRedirects = 5

// ErrTooManyRedirects ends a request that redirects more than MaxRedirects times.
var ErrTooManyRedirects = fmt.Errorf("more than %d redirects", MaxRedirects)

// Option changes what New's client refuses.
type Option func(*guard)

// WithSelf makes the client refuse Pantryflow's own listening ports on the machine's own addresses, even
// where allow would permit them.
func WithSelf(self *Self) Option { return func(g *guard) { g.self = self } }

// New returns a client that refuses what the SSRF guard refuses, except what allow permits. allow holds
// PANTRYFLOW_HTTP_ALLOW's entries: IP addresses and CIDR ranges permit those addresses; a host name permits
// whatever that name resolves to, for connections made to that name only; either permits every port, or
// only the one written after it (crm.internal:8443, 10.0.0.5:9000, [fd00::5]:9000). timeout bounds a whole
// request, redirects and body included; 0 leaves it to the request's context.
func New(allow []string, timeout time.Duration, opts ...Option) (*http.Client, error) {
	list, err := parseAllowList(allow)
	if err != nil {
		return nil, fmt.Errorf("netguard: PANTRYFLOW_HTTP_ALLOW: %w", err)
	}
	g := &guard{
		allow: list,
		// Any port: the address check is what keeps requests out of the private network, and public APIs
		// do live on ports other than 80 and 443. The allow list is applied before the guard, per port.
		ssrf: ssrf.New(ssrf.WithAnyPort()),
	}
	for _, o := range opts {
		o(g)
	}
	dialTimeout := 30 * time.Second
	if timeout > 0 && timeout < dialTimeout {
		dialTimeout = timeout
	}
	g.dialer = &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, ControlContext: g.control}
	tr := &http.Transport{
		// No proxy, not even from the environment: through one, the guard would see the proxy's address and
		// the proxy would reach whatever the URL names.
		Proxy:                  nil,
		DialContext:            g.dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport:     &transport{guard: g, next: tr},
		Timeout:       timeout,
		CheckRedirect: checkRedirect,
	}, nil
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w (the last one to %s)", ErrTooManyRedirects, req.URL.Redacted())
	}
	return nil
}

// transport checks each request's URL — the first one and every redirect hop — before the connection is made.
type transport struct {
	guard *guard
	next  http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	err := checkURL(req.URL)
	if err == nil {
		err = t.guard.checkHost(req.URL.Hostname(), urlPort(req.URL))
	}
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper closes the body, errors included
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

type guard struct {
	allow  allowList
	self   *Self // nil: no port of Pantryflow's to keep out
	ssrf   *ssrf.Guardian
	dialer *net.Dialer
}

// urlPort is the port a URL connects to: the one it names, or its scheme's.
func urlPort(u *url.URL) uint16 {
	if p := u.Port(); p != "" {
		n, _ := strconv.ParseUint(p, 10, 16) // the transport refuses a URL with a port that is no number
		return uint16(n)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

// dialHostKey carries the host name a connection is being made for from dial to control.
type dialHostKey struct{}

// dial is the transport's DialContext. addr is the request URL's host:port (there is no proxy), and the
// transport reuses a connection only for the same host:port, so the host name stored in the context for
// control is the name this very connection serves.
func (g *guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netguard: %w", err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("netguard: the port of %s is not a number", addr)
	}
	if err := g.checkHost(host, uint16(port)); err != nil {
		return nil, err
	}
	return g.dialer.DialContext(context.WithValue(ctx, dialHostKey{}, host), network, addr)
}

// control runs for every connection attempt, with the IP address about to be connected to (one call per
// address a name resolves to), so a name that resolves or re-resolves to a private address — or to
// Pantryflow itself — is caught here, after DNS, where rebinding cannot get past it.
func (g *guard) control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("netguard: %s connections are not allowed, only TCP", network)
	}
	host, _ := ctx.Value(dialHostKey{}).(string)
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: %w", err)
	}
	// An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 address; judge that one.
	ip, port := ap.Addr().Unmap(), ap.Port()
	if g.self.is(ip, port) {
		return &BlockedError{Host: host, Addr: ip, Port: port, Self: true}
	}
	if host != "" && g.allow.allowsName(host, port) {
		return nil // allowed by name: whatever it resolves to, for this dial only
	}
	return g.checkAddr(host, ip, port)
}

// checkHost refuses, before any connection, a host that is an address the guard denies, and a host that is a
// number written in a form other than plain dotted decimal ("2130706433", "0x7f.1"): resolvers differ on what
// those mean, so they never reach one. A host name passes; its addresses are checked in control.
func (g *guard) checkHost(host string, port uint16) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.checkAddr(host, ip, port)
	}
	if !endsInNumber(host) {
		return nil
	}
	ip, ok := parseLooseIPv4(host)
	if !ok {
		return &URLError{Reason: fmt.Sprintf("the host %s is not a valid IP address", host)}
	}
	if err := g.checkAddr(host, ip, port); err != nil {
		return err
	}
	return &URLError{Reason: fmt.Sprintf("the host %s is an IP address written in an unusual form; write it as %s", host, ip)}
}

// checkAddr refuses Pantryflow's own address, then lets through what the allow list opens, then what the
// SSRF guard deems public.
func (g *guard) checkAddr(host string, ip netip.Addr, port uint16) error {
	ip = ip.Unmap().WithZone("")
	switch {
	case g.self.is(ip, port):
		return &BlockedError{Host: host, Addr: ip, Port: port, Self: true}
	case g.allow.allowsAddr(ip, port):
		return nil
	}
	if err := g.ssrf.SafeAddr(ip); err != nil {
		return &BlockedError{Host: host, Addr: ip, Port: port, Reason: reason(ip), OnlyPorts: g.allow.portsFor(ip)}
	}
	return nil
}

package netguard

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// BlockedError is a connection the guard refused because of the address it would reach.
type BlockedError struct {
	Host   string     // as the URL wrote it: an address, an unusual form of one, or a host name
	Addr   netip.Addr // the address refused
	Port   uint16     // the port it was refused on (0 when not known)
	Reason string     // what the address is: "private (loopback)", "reserved (multicast)", …
	// Self is set when the address and port are Pantryflow's own: refused whatever PANTRYFLOW_HTTP_ALLOW says.
	Self bool
	// OnlyPorts are the ports PANTRYFLOW_HTTP_ALLOW opens for the address, when it opens only some.
	OnlyPorts []uint16
}

func (e *BlockedError) Error() string {
	if e.Self {
		where := netip.AddrPortFrom(e.Addr, e.Port).String()
		if e.Host != "" && e.Host != e.Addr.String() {
			where = fmt.Sprintf("%s (%s)", net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port))), where)
		}
		return "the address " + where + " is Pantryflow itself; a workflow may not call Pantryflow's own address, " +
			"whatever PANTRYFLOW_HTTP_ALLOW allows; to start another workflow from this one, give it an event trigger and let a " +
			"create_record or update_record step cause the event"
	}
	what, add := fmt.Sprintf("the address %s is %s", e.Addr, e.Reason), "it"
	switch {
	case e.Host == "" || e.Host == e.Addr.String():
	case isAddressLike(e.Host):
		what = fmt.Sprintf("the address %s means %s, which is %s", e.Host, e.Addr, e.Reason)
	default:
		what = fmt.Sprintf("the host %s resolves to %s, which is %s", e.Host, e.Addr, e.Reason)
		add = e.Host
	}
	if len(e.OnlyPorts) > 0 && e.Port != 0 {
		ports := make([]string, len(e.OnlyPorts))
		for i, p := range e.OnlyPorts {
			ports[i] = strconv.Itoa(int(p))
		}
		what += fmt.Sprintf(", and PANTRYFLOW_HTTP_ALLOW allows it only on port %s, not %d", strings.Join(ports, ", "), e.Port)
		add = net.JoinHostPort(e.Addr.String(), strconv.Itoa(int(e.Port)))
	}
	return what + "; Pantryflow refuses it to protect your network — add " + add +
		" to PANTRYFLOW_HTTP_ALLOW if it is intended"
}

// URLError is a request refused for the form of its URL (scheme, user info, host) before any connection.
type URLError struct {
	Reason string
}

func (e *URLError) Error() string { return e.Reason }

// ParseURL parses raw as a URL Pantryflow may call: http or https, a host, no user name or password.
// Addresses are not checked here (that needs the allow-list and happens on every request).
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &URLError{Reason: fmt.Sprintf("%q is not a valid URL", raw)}
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func checkURL(u *url.URL) error {
	switch {
	case u.Scheme == "":
		return &URLError{Reason: fmt.Sprintf("%q is not a full URL: it needs http:// or https:// in front", u.Redacted())}
	case u.Scheme != "http" && u.Scheme != "https":
		return &URLError{Reason: fmt.Sprintf("the URL %q uses %s; Pantryflow calls only http and https URLs", u.Redacted(), u.Scheme)}
	case u.User != nil:
		return &URLError{Reason: fmt.Sprintf("the URL %q carries a user name or password; send credentials in a header such as Authorization instead", u.Redacted())}
	case u.Hostname() == "":
		return &URLError{Reason: fmt.Sprintf("the URL %q has no host", u.Redacted())}
	}
	return nil
}

// isAddressLike reports whether host is written as an IP address, in any form.
func isAddressLike(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil || endsInNumber(host)
}

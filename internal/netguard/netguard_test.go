package netguard_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/netguard"
)

const refusal = "Pantryflow refuses it to protect your network"

type bundle struct {
	front      *httptest.Server // answers /ok, /redirect?to=URL and /hop/N (N redirects before an answer)
	frontPort  string
	target     *httptest.Server // must never be reached by a refused request
	targetPort string
	targetHits *atomic.Int64
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{targetHits: &atomic.Int64{}}
	b.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ok":
			_, _ = w.Write([]byte("ok"))
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n == 0 {
				_, _ = w.Write([]byte("arrived"))
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(b.front.Close)
	b.target = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b.targetHits.Add(1)
		_, _ = w.Write([]byte("secret"))
	}))
	t.Cleanup(b.target.Close)
	b.frontPort = port(t, b.front.URL)
	b.targetPort = port(t, b.target.URL)
	return b
}

func port(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func newClient(t *testing.T, allow ...string) *http.Client {
	t.Helper()
	c, err := netguard.New(allow, 3*time.Second)
	if err != nil {
		t.Fatalf("New(%q): %v", allow, err)
	}
	return c
}

// get requests raw and returns the answer's body, or the error.
func get(t *testing.T, c *http.Client, raw string) (string, error) {
	t.Helper()
	resp, err := c.Get(raw)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String(), nil
}

// wantBlocked checks err is the guard's refusal of addr, reading exactly msg when msg is set.
func wantBlocked(t *testing.T, err error, addr, msg string) {
	t.Helper()
	var be *netguard.BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("error = %v (%T), want a *netguard.BlockedError", err, err)
	}
	if be.Addr.String() != addr {
		t.Errorf("refused address = %s, want %s (error %q)", be.Addr, addr, err)
	}
	if !strings.Contains(be.Error(), refusal) || !strings.Contains(be.Error(), "PANTRYFLOW_HTTP_ALLOW") {
		t.Errorf("error = %q, want the explanation %q and the hint PANTRYFLOW_HTTP_ALLOW", be, refusal)
	}
	if msg != "" && be.Error() != msg {
		t.Errorf("error =\n%q, want\n%q", be, msg)
	}
}

func TestBlockedWithoutAllowList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	client := newClient(t)
	tp := b.targetPort
	tests := []struct {
		name, url, addr, msg string
	}{
		{"loopback", "http://127.0.0.1:" + tp + "/", "127.0.0.1",
			"the address 127.0.0.1 is private (loopback); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"RFC 1918", "http://10.0.0.1/", "10.0.0.1",
			"the address 10.0.0.1 is private (internal network); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"RFC 1918 172.16/12", "https://172.20.1.1/", "172.20.1.1", ""},
		{"RFC 1918 192.168/16", "http://192.168.1.1:8080/", "192.168.1.1", ""},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", "169.254.169.254",
			"the address 169.254.169.254 is private (link-local: the cloud metadata service); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"IPv6 loopback", "http://[::1]:" + tp + "/", "::1", ""},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + tp + "/", "127.0.0.1",
			"the address ::ffff:127.0.0.1 means 127.0.0.1, which is private (loopback); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"IPv4-mapped metadata", "http://[::ffff:a9fe:a9fe]/", "169.254.169.254", ""},
		{"decimal number", "http://2130706433:" + tp + "/", "127.0.0.1",
			"the address 2130706433 means 127.0.0.1, which is private (loopback); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"hex number", "http://0x7f000001:" + tp + "/", "127.0.0.1", ""},
		{"short hex", "http://0x7f.1:" + tp + "/", "127.0.0.1", ""},
		{"octal", "http://0177.0.0.1:" + tp + "/", "127.0.0.1", ""},
		{"short dotted", "http://127.1:" + tp + "/", "127.0.0.1", ""},
		{"trailing dot", "http://127.0.0.1.:" + tp + "/", "127.0.0.1", ""},
		{"decimal metadata", "http://2852039166/", "169.254.169.254", ""},
		{"name resolving to loopback", "http://localhost:" + tp + "/", "127.0.0.1",
			"the host localhost resolves to 127.0.0.1, which is private (loopback); Pantryflow refuses it to protect your network — add localhost to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"unspecified", "http://0.0.0.0:" + tp + "/", "0.0.0.0", ""},
		{"IPv6 unspecified", "http://[::]:" + tp + "/", "::", ""},
		{"unique local", "http://[fd00::1]/", "fd00::1", ""},
		{"IPv6 link-local", "http://[fe80::1]/", "fe80::1", ""},
		{"multicast", "http://224.0.0.1/", "224.0.0.1", ""},
		{"shared address space", "http://100.64.0.1/", "100.64.0.1",
			"the address 100.64.0.1 is reserved (100.64.0.0/10); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{"NAT64 of loopback", "http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := get(t, client, tt.url)
			wantBlocked(t, err, tt.addr, tt.msg)
			// The check is on the address: nothing waits for a connection that cannot be made.
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusing %s took %s", tt.url, d)
			}
		})
	}
	t.Cleanup(func() {
		if n := b.targetHits.Load(); n != 0 {
			t.Errorf("the loopback server got %d request(s) it must not get", n)
		}
	})
}

func TestRedirectsAreChecked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tp := b.targetPort
	tests := []struct {
		name  string
		allow string // how the front server is allowed
		to    string
		addr  string
	}{
		{"name-allowed server to loopback", "localhost", "http://127.0.0.1:" + tp + "/", "127.0.0.1"},
		{"name-allowed server to metadata", "localhost", "http://169.254.169.254/latest/meta-data/", "169.254.169.254"},
		{"name-allowed server to IPv6 loopback", "localhost", "http://[::1]:" + tp + "/", "::1"},
		{"name-allowed server to a decimal loopback", "localhost", "http://2130706433:" + tp + "/", "127.0.0.1"},
		{"IP-allowed server to another loopback address", "127.0.0.1", "http://127.0.0.2:" + tp + "/", "127.0.0.2"},
		{"IP-allowed server to metadata", "127.0.0.1", "http://169.254.169.254/", "169.254.169.254"},
		{"IP-allowed server to RFC 1918", "127.0.0.1", "http://10.0.0.1/", "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := newClient(t, tt.allow)
			front := "http://127.0.0.1:" + b.frontPort
			if tt.allow == "localhost" {
				front = "http://localhost:" + b.frontPort
			}
			// The allowed server itself is reachable…
			if body, err := get(t, client, front+"/ok"); err != nil || body != "ok" {
				t.Fatalf("GET %s/ok = %q, %v; want ok", front, body, err)
			}
			// …but its redirect is checked like a first request.
			_, err := get(t, client, front+"/redirect?to="+url.QueryEscape(tt.to))
			wantBlocked(t, err, tt.addr, "")
		})
	}
	t.Cleanup(func() {
		if n := b.targetHits.Load(); n != 0 {
			t.Errorf("the loopback server got %d request(s) through a redirect", n)
		}
	})
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	front := "http://127.0.0.1:" + b.frontPort
	byName := "http://localhost:" + b.frontPort
	tests := []struct {
		name      string
		allow     []string
		url       string
		want      string // the body when the request goes through
		blocked   string // the refused address otherwise
		wantError string // or a text the error holds
	}{
		{name: "an allowed IP", allow: []string{"127.0.0.1"}, url: front + "/ok", want: "ok"},
		{name: "an allowed CIDR", allow: []string{"127.0.0.0/8"}, url: front + "/ok", want: "ok"},
		{name: "an allowed IPv4-mapped IP", allow: []string{"::ffff:127.0.0.1"}, url: front + "/ok", want: "ok"},
		{name: "an allowed name", allow: []string{"localhost"}, url: byName + "/ok", want: "ok"},
		{name: "an allowed name in capitals with a dot", allow: []string{"LocalHost."}, url: byName + "/ok", want: "ok"},
		{name: "a redirect inside the allowed range", allow: []string{"127.0.0.1"},
			url: front + "/redirect?to=" + url.QueryEscape(front+"/ok"), want: "ok"},
		{name: "five redirects", allow: []string{"127.0.0.1"}, url: front + "/hop/5", want: "arrived"},
		{name: "six redirects", allow: []string{"127.0.0.1"}, url: front + "/hop/6", wantError: "more than 5 redirects"},
		{name: "the CIDR does not cover RFC 1918", allow: []string{"127.0.0.0/8"}, url: "http://10.0.0.1/", blocked: "10.0.0.1"},
		{name: "the CIDR does not cover metadata", allow: []string{"127.0.0.0/8", "10.0.0.0/8"}, url: "http://169.254.169.254/", blocked: "169.254.169.254"},
		{name: "an allowed name does not allow its address", allow: []string{"localhost"}, url: front + "/ok", blocked: "127.0.0.1"},
		{name: "an allowed IP is not allowed in an unusual form", allow: []string{"127.0.0.1"}, url: "http://2130706433:" + b.frontPort + "/ok",
			wantError: "the host 2130706433 is an IP address written in an unusual form; write it as 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := newClient(t, tt.allow...)
			body, err := get(t, client, tt.url)
			switch {
			case tt.blocked != "":
				wantBlocked(t, err, tt.blocked, "")
			case tt.wantError != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("GET %s: error %v, want one containing %q", tt.url, err, tt.wantError)
				}
				if strings.Contains(tt.wantError, "redirects") && !errors.Is(err, netguard.ErrTooManyRedirects) {
					t.Errorf("error %v is not ErrTooManyRedirects", err)
				}
			default:
				if err != nil || body != tt.want {
					t.Fatalf("GET %s = %q, %v; want %q", tt.url, body, err, tt.want)
				}
			}
		})
	}
}

func TestURLForms(t *testing.T) {
	t.Parallel()
	client := newClient(t, "127.0.0.0/8")
	tests := []struct {
		url  string
		want string
	}{
		{"ftp://example.com/file", `the URL "ftp://example.com/file" uses ftp; Pantryflow calls only http and https URLs`},
		{"file:///etc/passwd", `the URL "file:///etc/passwd" uses file; Pantryflow calls only http and https URLs`},
		{"gopher://127.0.0.1:70/", "uses gopher"},
		{"http://admin:hunter2@127.0.0.1/", `the URL "http://admin:xxxxx@127.0.0.1/" carries a user name or password; send credentials in a header such as Authorization instead`},
		{"http://1.2.3.4.5/", "the host 1.2.3.4.5 is not a valid IP address"},
		{"http://0x100000000/", "the host 0x100000000 is not a valid IP address"},
		{"http://08.0.0.1/", "the host 08.0.0.1 is not a valid IP address"},
		{"http://0x08080808/", "the host 0x08080808 is an IP address written in an unusual form; write it as 8.8.8.8"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := get(t, client, tt.url)
			var ue *netguard.URLError
			if !errors.As(err, &ue) {
				t.Fatalf("GET %s: error %v (%T), want a *netguard.URLError", tt.url, err, err)
			}
			if !strings.Contains(ue.Error(), tt.want) {
				t.Errorf("GET %s: error %q, want it to contain %q", tt.url, ue, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %q", err)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string // want is "" when the URL is fine
	}{
		{"https://api.example.com/leads?x=1", ""},
		{"HTTP://api.example.com", ""},
		{"http://10.0.0.1/", ""}, // addresses are the client's business, with its allow-list
		{"ftp://x", `the URL "ftp://x" uses ftp; Pantryflow calls only http and https URLs`},
		{"api.example.com/leads", `"api.example.com/leads" is not a full URL: it needs http:// or https:// in front`},
		{"https://user@api.example.com/", "carries a user name or password"},
		{"http:///leads", `the URL "http:///leads" has no host`},
		{"http://exa mple.com/", `"http://exa mple.com/" is not a valid URL`},
	}
	for _, tt := range tests {
		_, err := netguard.ParseURL(tt.raw)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ParseURL(%q): %v", tt.raw, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParseURL(%q) = %v, want an error containing %q", tt.raw, err, tt.want)
		}
	}
}

func TestNewReadsTheAllowList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		allow   []string
		wantErr string
	}{
		{allow: nil},
		{allow: []string{"crm.internal", "10.0.0.0/8", " 192.168.1.10 ", "", "[::1]", "fd00::/8", "fe80::1%eth0", "my_host.internal"}},
		{allow: []string{"crm.internal:8443", "10.0.0.5:9000", "10.0.0.0/8:443", "[::1]:9000", "[fd00::/8]:443", "::ffff:127.0.0.1"}},
		{allow: []string{"10.0.0.0/33"}, wantErr: `PANTRYFLOW_HTTP_ALLOW: "10.0.0.0/33" is neither a host name, an IP address nor a CIDR`},
		{allow: []string{"*.example.com"}, wantErr: `"*.example.com" is neither a host name`},
		{allow: []string{"crm.internal:0"}, wantErr: `"crm.internal:0" has the port "0"; a port is a number from 1 to 65535`},
		{allow: []string{"crm.internal:65536"}, wantErr: `has the port "65536"`},
		{allow: []string{"crm.internal:https"}, wantErr: `has the port "https"`},
		{allow: []string{"crm.internal:"}, wantErr: `has the port ""`},
		{allow: []string{"fd00::5:9000:x"}, wantErr: `put the address in brackets like [fd00::5]:9000`},
		{allow: []string{"[fd00::5"}, wantErr: `opens a [ it does not close`},
		{allow: []string{"[fd00::5]9000"}, wantErr: `has something after ] that is not :PORT`},
		{allow: []string{"https://crm.internal"}, wantErr: `"https://crm.internal" is a URL; write only the host`},
		{allow: []string{"2130706433"}, wantErr: `"2130706433" is not an IP address Pantryflow can read; write it like 10.0.0.5 or 10.0.0.0/8`},
		{allow: []string{"10.1"}, wantErr: `"10.1" is not an IP address Pantryflow can read`},
	}
	for _, tt := range tests {
		c, err := netguard.New(tt.allow, time.Second)
		if check := netguard.CheckAllowList(tt.allow); (check == nil) != (err == nil) {
			t.Errorf("CheckAllowList(%q) = %v, but New says %v", tt.allow, check, err)
		}
		if tt.wantErr == "" {
			if err != nil || c == nil {
				t.Errorf("New(%q) = %v, %v; want a client", tt.allow, c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("New(%q) error = %v, want one containing %q", tt.allow, err, tt.wantErr)
		}
	}
}

// An entry with a port opens that port only; one without opens every port, as before.
func TestAllowListPorts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fp, tp := b.frontPort, b.targetPort
	front, other := "http://127.0.0.1:"+fp+"/ok", "http://127.0.0.1:"+tp+"/"
	tests := []struct {
		name    string
		allow   []string
		url     string
		want    string // the body when the request goes through
		blocked string // the refused address otherwise
		msg     string // and the refusal's exact words, when set
	}{
		{name: "IP with its port", allow: []string{"127.0.0.1:" + fp}, url: front, want: "ok"},
		{name: "IP with another port", allow: []string{"127.0.0.1:" + fp}, url: other, blocked: "127.0.0.1",
			msg: "the address 127.0.0.1 is private (loopback), and PANTRYFLOW_HTTP_ALLOW allows it only on port " + fp + ", not " + tp +
				"; Pantryflow refuses it to protect your network — add 127.0.0.1:" + tp + " to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{name: "CIDR with its port", allow: []string{"127.0.0.0/8:" + fp}, url: front, want: "ok"},
		{name: "CIDR with another port", allow: []string{"127.0.0.0/8:" + fp}, url: other, blocked: "127.0.0.1"},
		{name: "name with its port", allow: []string{"localhost:" + fp}, url: "http://localhost:" + fp + "/ok", want: "ok"},
		{name: "name with another port", allow: []string{"localhost:" + fp}, url: "http://localhost:" + tp + "/", blocked: "127.0.0.1"},
		{name: "a bare IP opens every port", allow: []string{"127.0.0.1"}, url: other, want: "secret"},
		{name: "two ports of one IP", allow: []string{"127.0.0.1:" + fp, "127.0.0.1:" + tp}, url: other, want: "secret"},
		{name: "a redirect to another port of the allowed IP", allow: []string{"127.0.0.1:" + fp},
			url: "http://127.0.0.1:" + fp + "/redirect?to=" + url.QueryEscape(other), blocked: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, err := get(t, newClient(t, tt.allow...), tt.url)
			if tt.blocked != "" {
				wantBlocked(t, err, tt.blocked, tt.msg)
				return
			}
			if err != nil || body != tt.want {
				t.Fatalf("GET %s = %q, %v; want %q", tt.url, body, err, tt.want)
			}
		})
	}
}

// Pantryflow's own port is never reached, through any of the machine's addresses, a name, or a redirect,
// even with its host allowed; the host's other ports still are.
func TestSelfIsNeverCalled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	self := netguard.NewSelf()
	if err := self.Listen(":" + b.targetPort); err != nil {
		t.Fatal(err)
	}
	tp := b.targetPort
	client, err := netguard.New([]string{"127.0.0.1", "localhost", "0.0.0.0", "::1", "::"}, 3*time.Second, netguard.WithSelf(self))
	if err != nil {
		t.Fatal(err)
	}
	if body, err := get(t, client, "http://127.0.0.1:"+b.frontPort+"/ok"); err != nil || body != "ok" {
		t.Fatalf("another port of the allowed host = %q, %v; want ok", body, err)
	}
	urls := []string{
		"http://127.0.0.1:" + tp + "/",
		"http://localhost:" + tp + "/",
		"http://0.0.0.0:" + tp + "/",
		"http://127.0.0.2:" + tp + "/",
		"http://[::1]:" + tp + "/",
		"http://[::ffff:127.0.0.1]:" + tp + "/",
		"http://127.0.0.1:" + b.frontPort + "/redirect?to=" + url.QueryEscape("http://127.0.0.1:"+tp+"/"),
	}
	for _, raw := range urls {
		_, err := get(t, client, raw)
		var be *netguard.BlockedError
		if !errors.As(err, &be) || !be.Self || !strings.Contains(err.Error(), "is Pantryflow itself") {
			t.Errorf("GET %s: %v, want the refusal to call Pantryflow itself", raw, err)
		}
	}
	if n := b.targetHits.Load(); n != 0 {
		t.Errorf("Pantryflow's own port got %d request(s)", n)
	}
}

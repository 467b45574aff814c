package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
)

// pageClient is a browser without JavaScript: it keeps cookies, signs in through the form and reads pages.
type pageClient struct {
	t    testing.TB
	h    *harness
	http *http.Client
	csrf string // the CSRF token of the last page read
	// forwardedFor, when set, is sent as X-Forwarded-For (and X-Real-IP) with every request.
	forwardedFor string
	// retryAfter is the Retry-After header of the last answer.
	retryAfter string
}

// session signs in as email (password "correct horse battery") and returns the client; "" stays signed out.
func (h *harness) session(email string) *pageClient {
	h.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	c := &pageClient{t: h.t, h: h, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	c.get("/login")
	if email == "" {
		return c
	}
	status, _ := c.post("/login", url.Values{"email": {email}, "password": {"correct horse battery"}})
	if status != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: %d", email, status)
	}
	return c
}

// get reads a page; the document is nil when the answer is not HTML.
func (c *pageClient) get(path string) (int, *goquery.Document) {
	c.t.Helper()
	return c.do("GET", path, nil, nil)
}

// post sends a form with the current CSRF token.
func (c *pageClient) post(path string, form url.Values) (int, *goquery.Document) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", c.csrf)
	}
	return c.do("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// htmx sends a form the way htmx does: the token in a header, HX-Request set.
func (c *pageClient) htmx(method, path string, form url.Values) (int, *goquery.Document) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	return c.do(method, path, body, map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"HX-Request": "true", "X-CSRF-Token": c.csrf})
}

func (c *pageClient) do(method, path string, body io.Reader, headers map[string]string) (int, *goquery.Document) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.h.http.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if c.forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", c.forwardedFor)
		req.Header.Set("X-Real-IP", c.forwardedFor)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	c.retryAfter = res.Header.Get("Retry-After")
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		c.t.Fatalf("parse %s: %v", path, err)
	}
	if token, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && token != "" {
		c.csrf = token
	}
	return res.StatusCode, doc
}

func TestSignInOutAndSessions(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	anon := h.session("")
	if status, _ := anon.get("/inbox"); status != http.StatusSeeOther {
		t.Fatalf("anonymous /inbox = %d, want a redirect to sign in", status)
	}
	if status, doc := anon.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"wrong password!"}}); status != http.StatusUnauthorized ||
		!strings.Contains(doc.Find(".error").Text(), "wrong") {
		t.Fatalf("wrong password: %d", status)
	}
	rep := h.session("rep@example.com")
	status, doc := rep.get("/inbox")
	if status != http.StatusOK || doc.Find("h1").Text() != "Inbox" {
		t.Fatalf("signed-in /inbox = %d", status)
	}
	if nav := doc.Find("nav.nav").Text(); strings.Contains(nav, "Executions") || !strings.Contains(nav, "Leads") {
		t.Fatalf("a rep's navigation shows %q", nav)
	}
	if status, _ := rep.get("/executions"); status != http.StatusForbidden {
		t.Fatalf("a rep opening /executions = %d, want 403", status)
	}
	// Without the CSRF token a form is refused.
	if status, _ := rep.post("/logout", url.Values{"_csrf": {"forged"}}); status != http.StatusForbidden {
		t.Fatalf("sign out with a forged token = %d, want 403", status)
	}
	if status, _ := rep.post("/logout", nil); status != http.StatusSeeOther {
		t.Fatalf("sign out = %d", status)
	}
	if status, _ := rep.get("/inbox"); status != http.StatusSeeOther {
		t.Fatalf("after signing out /inbox = %d, want a redirect", status)
	}
	// An open redirect is refused: next must stay on this site.
	c := h.session("")
	req := url.Values{"email": {"manager@example.com"}, "password": {"correct horse battery"}, "next": {"https://evil.example/"}}
	status, _ = c.post("/login", req)
	if status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", status)
	}
}

func TestSignInIsThrottled(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	c := h.session("")
	for i := range 5 {
		if status, _ := c.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"guess number " + string(rune('a'+i))}}); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d", i+1, status)
		}
	}
	status, doc := c.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"correct horse battery"}})
	if msg := doc.Find(".error").Text(); status != http.StatusTooManyRequests || c.retryAfter != "60" ||
		!strings.Contains(msg, "Too many failed sign-ins for this account from your address. Wait 1 minute") {
		t.Fatalf("sixth attempt = %d (Retry-After %q) %q, want 429 saying to wait a minute, even with the right password", status, c.retryAfter, msg)
	}
	// A minute later the right password works again.
	h.clock.Advance(time.Minute)
	if status, _ := c.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"correct horse battery"}}); status != http.StatusSeeOther {
		t.Fatalf("after the wait = %d", status)
	}
}

// startBehindProxy runs Pantryflow with PANTRYFLOW_TRUSTED_PROXIES=127.0.0.1/32, so a test client (on
// loopback) stands for a proxy and its X-Forwarded-For names the client's address.
func startBehindProxy(t *testing.T, url string) *harness {
	t.Helper()
	h := start(t, url)
	h.stop()
	h.tune = func(c *config.Config, _ *server.Options) { c.TrustedProxies = "127.0.0.1/32" }
	h.open()
	return h
}

// from is a signed-out page client whose requests come through the proxy from addr.
func (h *harness) from(addr string) *pageClient {
	h.t.Helper()
	c := h.session("")
	c.forwardedFor = addr
	return c
}

// attemptAddresses are the addresses sign-in attempts were recorded with.
func (h *harness) attemptAddresses() map[string]int {
	h.t.Helper()
	ips, err := h.srv.DB.Users().SignInAddresses(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ip := range ips {
		out[ip]++
	}
	return out
}

// The attack: anyone who knows a user's email locked them out with five wrong passwords.
func TestSignInOwnerIsNotLockedOutByOthersFailing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := startBehindProxy(t, dbURL)
		const owner, password = "manager@example.com", "correct horse battery"
		home := h.from("198.51.100.7")
		if status, _ := home.post("/login", url.Values{"email": {owner}, "password": {password}}); status != http.StatusSeeOther {
			t.Fatalf("the owner signing in from home = %d", status)
		}
		// One address guesses: after five failures it waits.
		attacker := h.from("203.0.113.9")
		for i := range 8 {
			status, doc := attacker.post("/login", url.Values{"email": {owner}, "password": {"guess " + strconv.Itoa(i)}})
			want := http.StatusUnauthorized
			if i >= 5 {
				want = http.StatusTooManyRequests
				if msg := doc.Find(".error").Text(); !strings.Contains(msg, "Wait 1 minute") || attacker.retryAfter != "60" {
					t.Fatalf("guess %d: %q (Retry-After %q), want the wait said", i+1, msg, attacker.retryAfter)
				}
			}
			if status != want {
				t.Fatalf("guess %d from one address = %d, want %d", i+1, status, want)
			}
		}
		// Many addresses guess once each: after ten failures from new addresses, new addresses wait.
		for i := range 10 {
			c := h.from("203.0.113." + strconv.Itoa(100+i))
			status, doc := c.post("/login", url.Values{"email": {owner}, "password": {"guess " + strconv.Itoa(i)}})
			want := http.StatusUnauthorized
			if i >= 5 {
				want = http.StatusTooManyRequests
				if msg := doc.Find(".error").Text(); !strings.Contains(msg, "from addresses it has not signed in from before") {
					t.Fatalf("guess from new address %d: %q", i+1, msg)
				}
			}
			if status != want {
				t.Fatalf("guess from new address %d = %d, want %d", i+1, status, want)
			}
		}
		// The owner, from their own address, signs in with the right password all the same.
		if status, doc := h.from("198.51.100.7").post("/login", url.Values{"email": {owner}, "password": {password}}); status != http.StatusSeeOther {
			t.Fatalf("the owner from home while others fail = %d %q, want signed in", status, doc.Find(".error").Text())
		}
		if got := h.attemptAddresses(); got["198.51.100.7"] != 2 || got["203.0.113.9"] != 5 || got["203.0.113.100"] != 1 || got["127.0.0.1"] != 0 {
			t.Fatalf("attempts recorded by address: %v", got)
		}
		// Only the configured proxy is trusted: the nearest address it did not add counts, even a private
		// one, and whatever the client wrote before it.
		c := h.from("6.6.6.6, 10.0.0.5")
		if status, _ := c.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"wrong password!"}}); status != http.StatusUnauthorized {
			t.Fatalf("a wrong password = %d", status)
		}
		if got := h.attemptAddresses(); got["10.0.0.5"] != 1 || got["6.6.6.6"] != 0 {
			t.Fatalf("attempts recorded by address: %v, want 10.0.0.5 (the proxy's client), not 6.6.6.6", got)
		}
	})
}

// Without trusted proxies, a client's X-Forwarded-For and X-Real-IP change nothing: rotating them does not
// get around the limit per address.
func TestSignInIgnoresForwardedForFromAnUntrustedClient(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		c := h.session("")
		for i := range 20 {
			c.forwardedFor = "203.0.113." + strconv.Itoa(i+1)
			email := "someone" + strconv.Itoa(i) + "@example.com"
			if status, _ := c.post("/login", url.Values{"email": {email}, "password": {"Summer2026!"}}); status != http.StatusUnauthorized {
				t.Fatalf("spray %d = %d", i+1, status)
			}
		}
		c.forwardedFor = "198.51.100.200"
		status, doc := c.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"Summer2026!"}})
		if msg := doc.Find(".error").Text(); status != http.StatusTooManyRequests || !strings.Contains(msg, "Too many failed sign-ins from your address. Wait 15 minutes") {
			t.Fatalf("the 21st account from one address under a new X-Forwarded-For = %d %q, want 429 for the address", status, msg)
		}
		if got := h.attemptAddresses(); len(got) != 1 || got["127.0.0.1"] != 20 {
			t.Fatalf("attempts recorded by address: %v, want all 20 from 127.0.0.1", got)
		}
	})
}

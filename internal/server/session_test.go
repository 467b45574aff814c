package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// pageClient is a browser without JavaScript: it keeps cookies, signs in through the form and reads pages.
type pageClient struct {
	t    *testing.T
	h    *harness
	http *http.Client
	csrf string // the CSRF token of the last page read
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
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
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
	if status != http.StatusTooManyRequests || !strings.Contains(doc.Find(".error").Text(), "Too many failed sign-ins") {
		t.Fatalf("sixth attempt = %d, want 429 with a message, even with the right password", status)
	}
	// Fifteen minutes later the right password works again.
	h.clock.Advance(16 * 60 * 1e9)
	if status, _ := c.post("/login", url.Values{"email": {"rep@example.com"}, "password": {"correct horse battery"}}); status != http.StatusSeeOther {
		t.Fatalf("after the window = %d", status)
	}
}

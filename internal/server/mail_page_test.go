package server_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// putMail adds a mail to the outbox as if a workflow had written it, minutes after t0.
func (h *harness) putMail(to, status string, minute int) string {
	h.t.Helper()
	m := store.Mail{ID: engine.NewID(), IdempotencyKey: engine.NewID(), ToAddress: to, Subject: "Hello " + to,
		Body: "Hi,\n\nthis is for " + to + ".", Status: status, CreatedAt: t0.Add(time.Duration(minute) * time.Minute)}
	switch status {
	case store.MailSent:
		at := m.CreatedAt.Add(time.Second)
		m.SentAt, m.Attempts = &at, 1
	case store.MailFailed:
		m.Attempts, m.LastError = 10, "550 mailbox unavailable"
	case store.MailNotSent:
		m.LastError = mailer.NotConfiguredError
	}
	if err := h.srv.DB.Outbox().InsertMail(context.Background(), &m); err != nil {
		h.t.Fatal(err)
	}
	return m.ID
}

// htmxRow posts the way htmx does and reads the answer as the table row it is (parsed on its own, a <tr>
// would lose its tags).
func (c *pageClient) htmxRow(path string) (int, *goquery.Selection) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.h.http.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + string(body) + "</tbody></table>"))
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, doc.Find("tbody > tr")
}

func mailStatuses(doc *goquery.Document) []string {
	var out []string
	doc.Find("#mails tbody tr").Each(func(_ int, s *goquery.Selection) {
		st, _ := s.Attr("data-status")
		out = append(out, st)
	})
	return out
}

func TestMailPageShowsTheOutboxToManagers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL) // no SMTP server: the welcome mail is kept, not sent
		h.createWorkflow(examples("lead_nurture_sequence.json"))
		id := h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example"})
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+id, record{"status": "qualified"}, nil)
		h.putMail("queued@example.com", store.MailQueued, -3)
		h.putMail("sent@example.com", store.MailSent, -2)
		h.putMail("failed@example.com", store.MailFailed, -1)

		if status, _ := h.session("rep@example.com").get("/mail"); status != http.StatusForbidden {
			t.Fatalf("a rep opening /mail = %d, want 403", status)
		}
		if status, _ := h.session("").get("/mail"); status != http.StatusSeeOther {
			t.Fatalf("anonymous /mail = %d, want a redirect to sign in", status)
		}
		manager := h.session("manager@example.com")
		var doc *goquery.Document
		deadline := time.Now().Add(15 * time.Second)
		for {
			var status int
			status, doc = manager.get("/mail")
			if status != http.StatusOK {
				t.Fatalf("GET /mail = %d", status)
			}
			if slices.Equal(mailStatuses(doc), []string{"not_sent", "failed", "sent", "queued"}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the outbox lists %v", mailStatuses(doc))
			}
			time.Sleep(50 * time.Millisecond)
		}

		welcome := doc.Find(`#mails tr[data-status="not_sent"]`)
		if to := welcome.Find(`td[data-label="To"]`).Text(); to != "jane@acme.example" {
			t.Fatalf("the welcome mail goes to %q", to)
		}
		if subject := welcome.Find("summary").Text(); subject != "Welcome to Kitchen Pantry, Jane" || !strings.Contains(welcome.Find("details pre").Text(), "Hi Jane") {
			t.Fatalf("subject %q, body %q", subject, welcome.Find("details pre").Text())
		}
		if href, _ := welcome.Find(`td[data-label="Workflow run"] a`).Attr("href"); !strings.HasPrefix(href, "/executions/") {
			t.Fatalf("the mail links to %q, want its run", href)
		}
		if why := welcome.Find(`td[data-label="Status"]`).Text(); !strings.Contains(why, "no mail server (SMTP) was set up") {
			t.Fatalf("a not sent mail says %q", why)
		}
		if note := doc.Find(".notice").Text(); !strings.Contains(note, "1 mail could not go out because no mail server (SMTP) is set up; Pantryflow keeps it here") {
			t.Fatalf("the page's note says %q", note)
		}
		failed := doc.Find(`#mails tr[data-status="failed"]`)
		if !strings.Contains(failed.Text(), "550 mailbox unavailable") || strings.TrimSpace(failed.Find(`td[data-label="Attempts"]`).Text()) != "10" {
			t.Fatalf("the failed mail shows %q", strings.Join(strings.Fields(failed.Text()), " "))
		}
		for status, button := range map[string]bool{"not_sent": true, "failed": true, "sent": false, "queued": false} {
			if got := doc.Find(`#mails tr[data-status="`+status+`"] button`).Length() == 1; got != button {
				t.Errorf("a %s mail has a Send again button: %v, want %v", status, got, button)
			}
		}

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"?status=failed", []string{"failed"}},
			{"?status=not_sent", []string{"not_sent"}},
			{"?limit=2", []string{"not_sent", "failed"}},
			{"?limit=2&offset=2", []string{"sent", "queued"}},
		} {
			_, doc := manager.get("/mail" + tc.query)
			if got := mailStatuses(doc); !slices.Equal(got, tc.want) {
				t.Errorf("/mail%s lists %v, want %v", tc.query, got, tc.want)
			}
		}
		_, doc = manager.get("/mail?limit=2")
		if next, _ := doc.Find(".pager a").Last().Attr("href"); !strings.Contains(next, "offset=2") {
			t.Fatalf("pager links to %q", next)
		}
		if label := doc.Find(`#filter-status option[value="failed"]`).Text(); label != "Failed (1)" {
			t.Fatalf("the filter offers %q", label)
		}
		_, doc = manager.get("/mail?status=queued&offset=5")
		if msg := doc.Find("#outbox .empty").Text(); !strings.Contains(msg, "No queued mails") {
			t.Fatalf("an empty page says %q", msg)
		}
		if status, _ := manager.get("/mail?status=lost"); status != http.StatusUnprocessableEntity {
			t.Fatalf("an unknown status = %d", status)
		}
	})
}

func TestSendAgainQueuesANotSentMail(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		smtp := mailertest.Start(t, mailertest.Options{})
		h := startWith(t, dbURL, smtp.URL()) // the mail server is set up now
		kept := h.putMail("kept@example.com", store.MailNotSent, 0)
		failed := h.putMail("failed@example.com", store.MailFailed, 1)

		manager := h.session("manager@example.com")
		_, doc := manager.get("/mail")
		if doc.Find(`#mail-`+kept+` form[hx-post="/mail/`+kept+`/resend"] button`).Text() != "Send again" {
			t.Fatal("the not sent mail has no Send again button")
		}
		if status, _ := h.session("rep@example.com").htmx("POST", "/mail/"+kept+"/resend", nil); status != http.StatusForbidden {
			t.Fatalf("a rep sending again = %d, want 403", status)
		}
		status, tr := manager.htmxRow("/mail/" + kept + "/resend")
		if id, _ := tr.Attr("id"); status != http.StatusOK || id != "mail-"+kept {
			t.Fatalf("send again = %d with row %q", status, id)
		}
		if st, _ := tr.Attr("data-status"); (st != store.MailQueued && st != store.MailSent) || !strings.Contains(tr.Text(), "Queued again") {
			t.Fatalf("after Send again the row is %s: %q", st, strings.Join(strings.Fields(tr.Text()), " "))
		}
		if tr.Find("button").Length() != 0 {
			t.Fatal("a queued mail still offers Send again")
		}
		deadline := time.Now().Add(15 * time.Second)
		for len(smtp.Messages()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the mail sent again never reached the SMTP server")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if to := smtp.Messages()[0].To; len(to) != 1 || to[0] != "kept@example.com" {
			t.Fatalf("the SMTP server got a mail to %v", to)
		}

		// A second click (another tab) changes nothing and says so.
		_, tr = manager.htmxRow("/mail/" + kept + "/resend")
		if msg := tr.Find(`[role="status"]`).Text(); !strings.Contains(msg, "already queued or sent") {
			t.Fatalf("a second Send again says %q", msg)
		}
		// Without htmx the form posts and comes back to the page with a message.
		status, _ = manager.post("/mail/"+failed+"/resend", nil)
		if status != http.StatusSeeOther {
			t.Fatalf("send again without htmx = %d", status)
		}
		_, doc = manager.get("/mail")
		if flash := doc.Find(".flash").Text(); !strings.Contains(flash, "Queued again") {
			t.Fatalf("flash %q", flash)
		}
		if status, _ := manager.htmx("POST", "/mail/no-such-mail/resend", nil); status != http.StatusNotFound {
			t.Fatalf("send again of a missing mail = %d", status)
		}
		forged := manager.csrf
		manager.csrf = "forged"
		if status, _ := manager.htmx("POST", "/mail/"+failed+"/resend", nil); status != http.StatusForbidden {
			t.Fatalf("send again without a valid token = %d", status)
		}
		manager.csrf = forged
	})
}

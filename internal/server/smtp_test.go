package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// The seed's lead nurture runs from its real trigger: a lead qualified in the CRM gets the welcome mail
// over SMTP, with its first name and company in it, delivered once.
func TestQualifiedLeadGetsTheWelcomeMailOverSMTP(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		smtp := mailertest.Start(t, mailertest.Options{})
		h := startWith(t, url, smtp.URL())
		h.createWorkflow(examples("lead_nurture_sequence.json"))

		var company struct{ ID string }
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", map[string]any{"name": "Acme Diner"}, &company)
		var lead struct{ ID string }
		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", map[string]any{"firstName": "Jane", "lastName": "Doe",
			"email": "jane@acme.example", "companyId": company.ID, "assignedTo": "rep@example.com"}, &lead)
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+lead.ID, map[string]any{"status": "qualified"}, nil)

		deadline := time.Now().Add(20 * time.Second)
		for len(smtp.Messages()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no mail reached the SMTP server")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // a duplicate would arrive by now
		msgs := smtp.Messages()
		if len(msgs) != 1 {
			t.Fatalf("the SMTP server received %d mails, want the welcome mail once", len(msgs))
		}
		m, err := msgs[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "Welcome to Kitchen Pantry, Jane" || !strings.Contains(m.Body, "Hi Jane,") || !strings.Contains(m.Body, "Acme Diner") {
			t.Fatalf("mail %q:\n%s", m.Subject, m.Body)
		}
		if len(msgs[0].To) != 1 || msgs[0].To[0] != "jane@acme.example" {
			t.Fatalf("mail to %v", msgs[0].To)
		}
		sent := &store.Mail{}
		deadline = time.Now().Add(10 * time.Second)
		for sent.Status != store.MailSent {
			var err error
			if sent, err = h.srv.DB.Outbox().MailTo(context.Background(), "jane@acme.example"); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("the outbox says %s (%s)", sent.Status, sent.LastError)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

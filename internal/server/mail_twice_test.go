package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// twiceKey is the idempotency key of the mail mailDeliveredTwice queues.
const twiceKey = "exec-twice:welcome:1"

// mailDeliveredTwice runs Pantryflow on url with a mail server that stores the first delivery of a welcome
// mail and drops the connection before its 250, and queues that mail; it returns the mail's id.
func mailDeliveredTwice(t *testing.T, url string) (*harness, *mailertest.Server, string) {
	t.Helper()
	smtp := mailertest.Start(t, mailertest.Options{Drop: func(at mailertest.Moment, session int) bool {
		return at == mailertest.AfterMessage && session == 1
	}})
	h := startWith(t, url, smtp.URL())
	ctx := context.Background()
	id := engine.NewID()
	err := h.srv.DB.Tx(ctx, func(tx *store.Tx) error {
		m := &store.Mail{ID: id, IdempotencyKey: twiceKey, ToAddress: "jane@acme.example", Subject: "Welcome, Jane",
			Body: "Hi Jane", Status: store.MailQueued, CreatedAt: t0}
		if err := tx.Outbox().InsertMail(ctx, m); err != nil {
			return err
		}
		return h.srv.Engine.EnqueueTx(ctx, tx, mailer.DeliverArgs{MailID: id})
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, smtp, id
}

// The mail server stores the welcome mail and the connection ends before its 250 comes back, so the
// delivery is retried and the mail arrives twice. The outbox API and the mail page say so, with every
// attempt and how it ended; both copies carry the same Message-ID.
func TestOutboxShowsAMailThatMayHaveGoneOutTwice(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h, smtp, id := mailDeliveredTwice(t, url)

		var got struct {
			Status             string     `json:"status"`
			Attempts           int        `json:"attempts"`
			PossiblyDuplicated bool       `json:"possiblyDuplicated"`
			InterruptedAt      *time.Time `json:"interruptedAt"`
			DeliveryAttempts   []struct {
				Number          int        `json:"number"`
				StartedAt       time.Time  `json:"startedAt"`
				FinishedAt      *time.Time `json:"finishedAt"`
				Outcome         string     `json:"outcome"`
				Stage           string     `json:"stage"`
				Error           string     `json:"error"`
				ServerMayHaveIt bool       `json:"serverMayHaveIt"`
			} `json:"deliveryAttempts"`
		}
		deadline := time.Now().Add(30 * time.Second)
		for got.Status != store.MailSent {
			if time.Now().After(deadline) {
				t.Fatalf("the mail is still %q after %d attempts", got.Status, got.Attempts)
			}
			time.Sleep(50 * time.Millisecond)
			h.must(http.StatusOK, h.manager, "GET", "/api/outbox/"+id, nil, &got)
		}
		if got.Attempts != 2 || !got.PossiblyDuplicated || got.InterruptedAt == nil || len(got.DeliveryAttempts) != 2 {
			t.Fatalf("GET /api/outbox/{id} = %+v; want sent after 2 attempts, possibly duplicated", got)
		}
		first, second := got.DeliveryAttempts[0], got.DeliveryAttempts[1]
		if first.Number != 1 || first.Outcome != "interrupted" || first.Stage != "data" || !first.ServerMayHaveIt ||
			!strings.Contains(first.Error, "end of the message") || !got.InterruptedAt.Equal(first.StartedAt) {
			t.Errorf("attempt 1 = %+v, want interrupted at the data stage, the time the outbox gives", first)
		}
		if second.Number != 2 || second.Outcome != "sent" || second.Stage != "accepted" || second.FinishedAt == nil {
			t.Errorf("attempt 2 = %+v, want sent", second)
		}

		// The list says so too, without the attempts.
		var list struct {
			Items []map[string]any `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/outbox", nil, &list)
		if len(list.Items) != 1 || list.Items[0]["possiblyDuplicated"] != true || list.Items[0]["attempts"] != float64(2) ||
			list.Items[0]["interruptedAt"] == nil || list.Items[0]["deliveryAttempts"] != nil {
			t.Fatalf("GET /api/outbox = %+v", list.Items)
		}
		h.must(http.StatusForbidden, h.rep, "GET", "/api/outbox/"+id, nil, nil)
		h.must(http.StatusNotFound, h.manager, "GET", "/api/outbox/no-such-mail", nil, nil)

		// The page: a note on the row, and the attempts under it.
		_, doc := h.session("manager@example.com").get("/mail")
		row := doc.Find("#mail-" + id)
		note := strings.Join(strings.Fields(row.Find(".mail-twice").Text()), " ")
		when := got.InterruptedAt.UTC().Format("2 Jan 2006 15:04:05 MST")
		if !strings.Contains(note, "May have been sent twice") || !strings.Contains(note, "the delivery on "+when+
			" was interrupted after the mail server had the message") {
			t.Fatalf("the row's note says %q", note)
		}
		items := row.Find(".mail-attempts li")
		if items.Length() != 2 || items.First().AttrOr("data-outcome", "") != "interrupted" ||
			!strings.Contains(items.First().Text(), "interrupted after the mail server had the message") ||
			items.Last().AttrOr("data-outcome", "") != "sent" {
			t.Fatalf("the row lists the attempts %q", strings.Join(strings.Fields(items.Text()), " "))
		}

		msgs := smtp.Messages()
		if len(msgs) != 2 {
			t.Fatalf("the mail server received %d copies, want 2", len(msgs))
		}
		for _, m := range msgs {
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			if p.Header.Get("Message-ID") != "<"+mailer.MessageID(twiceKey)+">" {
				t.Fatalf("a copy has Message-ID %q, want <%s> on both", p.Header.Get("Message-ID"), mailer.MessageID(twiceKey))
			}
		}
	})
}

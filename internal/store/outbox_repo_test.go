package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

func outboxMail(id, status string) *store.Mail {
	return &store.Mail{ID: id, IdempotencyKey: "key-" + id, ToAddress: "jane@acme.example", Subject: "Hello", Body: "Hi",
		Status: status, CreatedAt: repoT0}
}

var _ = exercise("outbox/attempts", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	outbox := db.Outbox()
	if err := outbox.InsertMail(ctx, outboxMail("m1", store.MailQueued)); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Mail(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a missing mail = %v, want ErrNotFound", err)
	}
	if _, err := outbox.Progress(ctx, "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("progress of a missing mail = %v, want ErrNotFound", err)
	}
	// Attempt 1 reaches the data stage and never finishes; attempt 2 finds it, marks it interrupted, and sends.
	if ok, err := outbox.CountAttempt(ctx, "m1", 0); err != nil || !ok {
		t.Fatalf("count attempt 1: %t, %v", ok, err)
	}
	if ok, err := outbox.CountAttempt(ctx, "m1", 0); err != nil || ok {
		t.Fatalf("count attempt 1 twice: %t, %v; want false", ok, err)
	}
	if err := outbox.InsertAttempt(ctx, &store.MailAttempt{MailID: "m1", Number: 1, StartedAt: repoT0, Stage: store.StageConnect}); err != nil {
		t.Fatal(err)
	}
	if err := outbox.SetAttemptStage(ctx, "m1", 1, store.StageData); err != nil {
		t.Fatal(err)
	}
	p, err := outbox.Progress(ctx, "m1")
	if err != nil || p.Status != store.MailQueued || p.Attempts != 1 {
		t.Fatalf("progress %+v (%v), want queued with 1 attempt", p, err)
	}
	if err := outbox.InterruptUnfinished(ctx, "m1", "stopped"); err != nil {
		t.Fatal(err)
	}
	if ok, err := outbox.CountAttempt(ctx, "m1", 1); err != nil || !ok {
		t.Fatalf("count attempt 2: %t, %v", ok, err)
	}
	if err := outbox.InsertAttempt(ctx, &store.MailAttempt{MailID: "m1", Number: 2, StartedAt: repoT0, Stage: store.StageConnect}); err != nil {
		t.Fatal(err)
	}
	sent := repoT0.Add(time.Minute)
	if err := outbox.FinishAttempt(ctx, "m1", 2, store.AttemptEnd{Outcome: store.AttemptSent, Stage: store.StageAccepted, FinishedAt: sent}); err != nil {
		t.Fatal(err)
	}
	if ok, err := outbox.MarkSent(ctx, "m1", 2, sent); err != nil || !ok {
		t.Fatalf("mark sent: %t, %v", ok, err)
	}
	if ok, err := outbox.MarkSent(ctx, "m1", 2, sent); err != nil || ok {
		t.Fatalf("mark sent twice: %t, %v; want false", ok, err)
	}
	m, err := outbox.Mail(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != store.MailSent || m.SentAt == nil || !m.SentAt.Equal(sent) || !m.PossiblyDuplicated || m.Attempts != 2 {
		t.Fatalf("mail after attempt 2: %+v; want sent, possibly duplicated (attempt 1 reached the data stage)", m)
	}
	attempts, err := outbox.Attempts(ctx, "m1")
	if err != nil || len(attempts) != 2 {
		t.Fatalf("attempts %v (%v)", attempts, err)
	}
	if a := attempts[0]; a.Number != 1 || a.Outcome != store.AttemptInterrupted || a.ErrorText != "stopped" || a.Stage != store.StageData {
		t.Fatalf("attempt 1: %+v", a)
	}
	if a := attempts[1]; a.Number != 2 || a.Outcome != store.AttemptSent || a.Stage != store.StageAccepted || a.FinishedAt == nil {
		t.Fatalf("attempt 2: %+v", a)
	}

	// A mail sent once, then by a second attempt too, is marked possibly duplicated.
	if err := outbox.InsertMail(ctx, outboxMail("m2", store.MailSent)); err != nil {
		t.Fatal(err)
	}
	if ok, err := outbox.MarkSent(ctx, "m2", 1, sent); err != nil || ok {
		t.Fatalf("mark a sent mail sent: %t, %v; want false", ok, err)
	}
	if err := outbox.MarkSentTwice(ctx, "m2"); err != nil {
		t.Fatal(err)
	}
	if m, _ := outbox.Mail(ctx, "m2"); m == nil || !m.PossiblyDuplicated {
		t.Fatalf("m2 after a second send: %+v", m)
	}
})

var _ = exercise("outbox/outcomes-and-requeue", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	outbox := db.Outbox()
	for _, m := range []*store.Mail{outboxMail("queued", store.MailQueued), outboxMail("sent", store.MailSent),
		outboxMail("failed", store.MailFailed)} {
		if err := outbox.InsertMail(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := outbox.SetOutcome(ctx, "queued", "", "refused"); err != nil {
		t.Fatal(err)
	}
	if m, _ := outbox.Mail(ctx, "queued"); m.Status != store.MailQueued || m.LastError != "refused" {
		t.Fatalf("queued after an error: %s %q", m.Status, m.LastError)
	}
	if err := outbox.SetOutcome(ctx, "queued", store.MailFailed, "refused for good"); err != nil {
		t.Fatal(err)
	}
	if m, _ := outbox.Mail(ctx, "queued"); m.Status != store.MailFailed || m.LastError != "refused for good" {
		t.Fatalf("queued after its last error: %s %q", m.Status, m.LastError)
	}
	if err := outbox.SetOutcome(ctx, "sent", store.MailFailed, "late"); err != nil {
		t.Fatal(err)
	}
	if m, _ := outbox.Mail(ctx, "sent"); m.Status != store.MailSent || m.LastError != "" {
		t.Fatalf("a sent mail took an outcome: %s %q", m.Status, m.LastError)
	}
	for id, want := range map[string]bool{"failed": true, "sent": false, "nothing": false} {
		if ok, err := outbox.Requeue(ctx, id); err != nil || ok != want {
			t.Fatalf("requeue %s: %t, %v; want %t", id, ok, err, want)
		}
	}
	if m, _ := outbox.Mail(ctx, "failed"); m.Status != store.MailQueued || m.LastError != "" {
		t.Fatalf("failed after requeueing: %s %q", m.Status, m.LastError)
	}
})

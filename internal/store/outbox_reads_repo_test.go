package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

var _ = exercise("outbox/queue-and-read", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	outbox := db.Outbox()
	run := "run-1"
	first := mail("mail-1", "run-1:welcome:1", "Welcome")
	first.ExecutionID = &run
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		queued, err := tx.Outbox().QueueMail(ctx, first)
		if err == nil && !queued {
			t.Error("QueueMail of a new key queued nothing")
		}
		return err
	}))
	again := mail("mail-2", "run-1:welcome:1", "Welcome again")
	if queued, err := outbox.QueueMail(ctx, again); err != nil || queued {
		t.Fatalf("QueueMail of a key queued before = %v, %v; want false", queued, err)
	}
	other := mail("mail-3", "run-2:welcome:1", "Other")
	other.CreatedAt, other.Status = t0.Add(time.Hour), store.MailSent
	if queued, err := outbox.QueueMail(ctx, other); err != nil || !queued {
		t.Fatalf("QueueMail = %v, %v", queued, err)
	}

	rows, total, err := outbox.ListMails(ctx, store.MailFilter{Limit: 10})
	if err != nil || total != 2 || len(rows) != 2 || rows[0].ID != "mail-3" {
		t.Fatalf("ListMails = %+v (%d), %v; want newest first", rows, total, err)
	}
	if rows, total, err = outbox.ListMails(ctx, store.MailFilter{ExecutionID: run, Limit: 10}); err != nil || total != 1 || rows[0].ID != "mail-1" {
		t.Fatalf("ListMails of a run = %+v (%d), %v", rows, total, err)
	}
	if rows, total, err = outbox.ListMails(ctx, store.MailFilter{Status: store.MailSent, Limit: -1}); err != nil || total != 1 || rows[0].ID != "mail-3" {
		t.Fatalf("ListMails of the sent = %+v (%d), %v", rows, total, err)
	}
	if m, err := outbox.ReadMail(ctx, "mail-1"); err != nil || m.Subject != "Welcome" {
		t.Fatalf("ReadMail = %+v, %v", m, err)
	}
	if _, err := outbox.ReadMail(ctx, "mail-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReadMail of a mail never queued: %v, want ErrNotFound", err)
	}
	create(t, db,
		&store.MailAttempt{MailID: "mail-3", Number: 2, StartedAt: t0.Add(time.Minute), Outcome: store.AttemptSent, Stage: store.StageAccepted},
		&store.MailAttempt{MailID: "mail-3", Number: 1, StartedAt: t0, Stage: store.StageData})
	attempts, err := outbox.AttemptsOf(ctx, []string{"mail-1", "mail-3"})
	if err != nil || len(attempts) != 1 || len(attempts["mail-3"]) != 2 || attempts["mail-3"][0].Number != 1 {
		t.Fatalf("AttemptsOf = %+v, %v", attempts, err)
	}
	counts, err := outbox.CountByStatus(ctx)
	if err != nil || len(counts) != 2 || counts[store.MailQueued] != 1 || counts[store.MailSent] != 1 {
		t.Fatalf("CountByStatus = %v, %v", counts, err)
	}
})

var _ = exercise("store/idempotency-keys-and-query-hook", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for _, k := range []string{"b", "a"} {
		must(t, db.Tx(ctx, func(tx *store.Tx) error {
			return store.ClaimKeyTx(ctx, tx, &store.IdempotencyKey{Scope: "user:1", RequestKey: k, Fingerprint: "f", Status: 201, CreatedAt: t0}, t0.Add(-time.Hour))
		}))
	}
	var queries atomic.Int64
	must(t, db.OnQuery("count", func() { queries.Add(1) }))
	keys, err := db.IdempotencyKeys(ctx, "user:1")
	if err != nil || len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Fatalf("IdempotencyKeys = %v, %v", keys, err)
	}
	if none, err := db.IdempotencyKeys(ctx, "user:2"); err != nil || len(none) != 0 {
		t.Fatalf("another user's keys = %v, %v", none, err)
	}
	if n := queries.Load(); n != 2 {
		t.Fatalf("OnQuery counted %d queries, want 2", n)
	}
})

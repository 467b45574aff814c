package actions_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// enqueued records the jobs send_email enqueues, and whether its mail was visible in the transaction then.
type enqueued struct {
	mu    sync.Mutex
	calls []string // "mailID (mail visible: true)"
}

func (e *enqueued) enqueueTx(ctx context.Context, tx *store.Tx, args river.JobArgs) error {
	a, ok := args.(mailer.DeliverArgs)
	if !ok {
		return fmt.Errorf("enqueued %T, want mailer.DeliverArgs", args)
	}
	_, err := tx.Outbox().ReadMail(ctx, a.MailID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, fmt.Sprintf("%s (mail visible: %t)", a.MailID, err == nil))
	return nil
}

// sendEmail runs send_email on db with the given EnqueueTx; NewID counts id-1, id-2, ….
func sendEmail(t *testing.T, db *store.DB, enqueue func(context.Context, *store.Tx, river.JobArgs) error) actions.Action {
	t.Helper()
	n := 0
	var mu sync.Mutex
	deps := actions.Deps{Directory: db, Expr: expression.New(clock.NewFake(t0), expression.Limits{}),
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("id-%d", n)
		},
		EnqueueTx: enqueue}
	a, ok := actions.NewRegistry(actions.Builtin(deps)...).Get("send_email")
	if !ok {
		t.Fatal("no send_email action")
	}
	return a
}

var welcome = actions.Input{
	ExecutionID: "exec-1", WorkflowID: "lead_nurture_sequence", StepID: "welcome", Attempt: 1,
	IdempotencyKey: "exec-1:welcome:1",
	Params: map[string]any{"template": "welcome_qualified_lead", "recipient": "jane@acme.example",
		"data": map[string]any{"firstName": "Jane", "companyName": "Acme Diner"}},
	Now: t0,
}

// runStep runs the action and applies its effects in one transaction; fail rolls that transaction back.
func runStep(t *testing.T, db *store.DB, a actions.Action, in actions.Input, fail bool) {
	t.Helper()
	res, err := a.Run(context.Background(), in)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	errRollback := errors.New("the step failed later")
	err = db.Tx(context.Background(), func(tx *store.Tx) error {
		for _, eff := range res.Effects {
			if err := eff.Apply(context.Background(), tx); err != nil {
				return err
			}
		}
		if fail {
			return errRollback
		}
		return nil
	})
	if fail && !errors.Is(err, errRollback) || !fail && err != nil {
		t.Fatalf("step transaction: %v", err)
	}
}

func mails(t *testing.T, db *store.DB) []store.Mail {
	t.Helper()
	ms, _, err := db.Outbox().ListMails(context.Background(), store.MailFilter{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ms, func(a, b store.Mail) int { return strings.Compare(a.ID, b.ID) })
	return ms
}

// A step activation that runs twice (a retry, a job re-run after a crash) queues one mail and one job.
func TestSendEmailQueuesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rec := &enqueued{}
		a := sendEmail(t, db, rec.enqueueTx)
		runStep(t, db, a, welcome, false)
		runStep(t, db, a, welcome, false) // same idempotency key, new mail id-2

		ms := mails(t, db)
		if len(ms) != 1 || ms[0].ID != "id-1" || ms[0].IdempotencyKey != welcome.IdempotencyKey ||
			ms[0].Status != store.MailQueued || ms[0].Subject != "Welcome to Kitchen Pantry, Jane" {
			t.Fatalf("outbox = %+v, want only id-1, queued, for %s", ms, welcome.IdempotencyKey)
		}
		if want := []string{"id-1 (mail visible: true)"}; fmt.Sprint(rec.calls) != fmt.Sprint(want) {
			t.Fatalf("enqueued %v, want %v", rec.calls, want)
		}

		// Another activation of the step (a loop through it) is another mail.
		next := welcome
		next.IdempotencyKey = "exec-1:welcome:2"
		runStep(t, db, a, next, false)
		if got := len(mails(t, db)); got != 2 || len(rec.calls) != 2 {
			t.Fatalf("after a second activation: %d mails, %d jobs; want 2 and 2", got, len(rec.calls))
		}
	})
}

// The job is a real River job in the step's transaction: a rolled-back step leaves neither mail nor job.
func TestSendEmailJobCommitsWithTheStep(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		client, err := river.NewClient(db.RiverDriver(), &river.Config{Logger: storetest.Quiet()})
		if err != nil {
			t.Fatal(err)
		}
		a := sendEmail(t, db, func(ctx context.Context, tx *store.Tx, args river.JobArgs) error {
			_, err := client.InsertTx(ctx, store.SQLTx(tx), args, nil)
			return err
		})
		jobs := func() (n int64, maxAttempts int) {
			res, err := client.JobList(context.Background(), river.NewJobListParams().Kinds("deliver_mail"))
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range res.Jobs {
				maxAttempts = j.MaxAttempts
			}
			return int64(len(res.Jobs)), maxAttempts
		}

		runStep(t, db, a, welcome, true)
		if n, _ := jobs(); len(mails(t, db)) != 0 || n != 0 {
			t.Fatalf("a rolled-back step left %d mails and %d jobs", len(mails(t, db)), n)
		}
		runStep(t, db, a, welcome, false)
		runStep(t, db, a, welcome, false)
		if n, max := jobs(); len(mails(t, db)) != 1 || n != 1 || max != mailer.MaxAttempts {
			t.Fatalf("committed twice: %d mails, %d jobs with max attempts %d; want 1, 1, %d",
				len(mails(t, db)), n, max, mailer.MaxAttempts)
		}
	})
}

func TestSendEmailWithoutJobQueue(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	res, err := sendEmail(t, db, nil).Run(context.Background(), welcome)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(context.Background(), func(tx *store.Tx) error { return res.Effects[0].Apply(context.Background(), tx) })
	if err == nil || !strings.Contains(err.Error(), "no job queue") {
		t.Fatalf("Apply without EnqueueTx = %v, want an error saying there is no job queue", err)
	}
	if n := len(mails(t, db)); n != 0 {
		t.Fatalf("%d mails queued with no way to deliver them", n)
	}
}

// From the step to the wire: send_email renders the stored welcome template, its effect queues the mail and
// its job, and the mailer delivers it to a real SMTP server.
func TestSendEmailDeliveredOverSMTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := mailertest.Start(t, mailertest.Options{})
		cfg, err := mailer.ParseSMTPURL(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		m := &mailer.Mailer{DB: db, Config: cfg, From: "Kitchen Pantry <no-reply@kitchenpantry.example>",
			Clock: clock.NewFake(t0), Log: storetest.Quiet()}
		workers := river.NewWorkers()
		m.Workers(workers)
		client, err := river.NewClient(db.RiverDriver(), &river.Config{
			Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
			Workers: workers, Logger: storetest.Quiet(), TestOnly: true,
			FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
			PollOnly: db.Dialect == store.SQLite,
		})
		if err != nil {
			t.Fatal(err)
		}
		done, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
		defer cancel()
		if err := client.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			_ = client.Stop(ctx)
		})
		a := sendEmail(t, db, func(ctx context.Context, tx *store.Tx, args river.JobArgs) error {
			_, err := client.InsertTx(ctx, store.SQLTx(tx), args, nil)
			return err
		})
		runStep(t, db, a, welcome, false)
		runStep(t, db, a, welcome, false)

		select {
		case ev := <-done:
			if ev.Kind != river.EventKindJobCompleted || ev.Job.State != rivertype.JobStateCompleted {
				t.Fatalf("delivery job ended with %s (%s)", ev.Kind, ev.Job.State)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the delivery job did not finish")
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("the server received %d messages, want 1", len(msgs))
		}
		p, err := msgs[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Welcome to Kitchen Pantry, Jane" || !strings.Contains(p.Body, "Hi Jane,") ||
			!strings.Contains(p.Body, "talking with Acme Diner") || msgs[0].To[0] != "jane@acme.example" {
			t.Fatalf("received to %v subject %q body %q; want the welcome mail for Jane of Acme Diner", msgs[0].To, p.Subject, p.Body)
		}
		if ms := mails(t, db); len(ms) != 1 || ms[0].Status != store.MailSent || ms[0].Attempts != 1 {
			t.Fatalf("outbox = %+v, want one sent mail", ms)
		}
	})
}

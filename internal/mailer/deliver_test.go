package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

const from = "Kitchen Pantry <no-reply@kitchenpantry.example>"

// bundle is a mailer working jobs of a real River client on a real database.
type bundle struct {
	db     *store.DB
	mailer *mailer.Mailer
	river  *store.RiverClient
	events <-chan *river.Event
	dials  *dialCounter
}

// setup builds the mailer for smtpURL ("" for none) on db and starts a River client working its jobs.
func setup(t *testing.T, db *store.DB, smtpURL string, clk clock.Clock) *bundle {
	t.Helper()
	cfg, err := mailer.ParseSMTPURL(smtpURL)
	if err != nil {
		t.Fatalf("ParseSMTPURL(%q): %v", smtpURL, err)
	}
	b := &bundle{db: db, dials: &dialCounter{}}
	b.mailer = &mailer.Mailer{DB: db, Config: cfg, From: from, Clock: clk, Log: storetest.Quiet(),
		RetryBase: 100 * time.Millisecond, Timeout: 10 * time.Second, Dial: b.dials.dial,
		EnqueueTx: func(ctx context.Context, tx *store.Tx, args river.JobArgs) error {
			_, err := b.river.InsertTx(ctx, store.SQLTx(tx), args, nil)
			return err
		}}
	workers := river.NewWorkers()
	b.mailer.Workers(workers)
	b.river, err = river.NewClient(db.RiverDriver(), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		Logger:            storetest.Quiet(),
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		PollOnly:          db.Dialect == store.SQLite,
		TestOnly:          true,
	})
	if err != nil {
		t.Fatalf("river client: %v", err)
	}
	var cancel func()
	b.events, cancel = b.river.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	if err := b.river.Start(context.Background()); err != nil {
		t.Fatalf("start river: %v", err)
	}
	t.Cleanup(func() {
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = b.river.Stop(ctx)
		cancel()
	})
	return b
}

// dialCounter counts the connections the mailer opens.
type dialCounter struct {
	mu sync.Mutex
	n  int
}

func (d *dialCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.n++
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *dialCounter) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

func newMail(id string) *store.Mail {
	exec := "exec-" + id
	return &store.Mail{ID: id, IdempotencyKey: exec + ":welcome:1", ExecutionID: &exec, StepID: "welcome",
		Template: "welcome_qualified_lead", ToAddress: "jane@acme.example",
		Subject: "Welcome to Kitchen Pantry, Jane",
		Body:    "Hi Jane,\n\nWe are glad to be talking with Acme Diner.\n\nBest regards,\nThe Kitchen Pantry sales team",
		Status:  store.MailQueued, CreatedAt: t0}
}

// queue inserts a mail and its delivery job in one transaction, as send_email does.
func (b *bundle) queue(t *testing.T, m *store.Mail, opts *river.InsertOpts) {
	t.Helper()
	err := b.db.Tx(context.Background(), func(tx *store.Tx) error {
		if err := tx.Outbox().InsertMail(context.Background(), m); err != nil {
			return err
		}
		_, err := b.river.InsertTx(context.Background(), store.SQLTx(tx), mailer.DeliverArgs{MailID: m.ID}, opts)
		return err
	})
	if err != nil {
		t.Fatalf("queue mail %s: %v", m.ID, err)
	}
}

// wait returns the kinds of the job events up to the job's end (completed, cancelled, or failed for good).
func (b *bundle) wait(t *testing.T) []river.EventKind {
	t.Helper()
	var kinds []river.EventKind
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-b.events:
			if ev.Job.Kind != (mailer.DeliverArgs{}).Kind() {
				continue
			}
			kinds = append(kinds, ev.Kind)
			if ev.Kind != river.EventKindJobFailed || ev.Job.State == rivertype.JobStateDiscarded {
				return kinds
			}
		case <-timeout:
			t.Fatalf("the delivery job did not finish; events so far %v", kinds)
		}
	}
}

func (b *bundle) mail(t *testing.T, id string) store.Mail {
	t.Helper()
	m, err := b.db.Outbox().Mail(context.Background(), id)
	if err != nil {
		t.Fatalf("load mail %s: %v", id, err)
	}
	return *m
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := mailertest.Start(t, mailertest.Options{Username: "pantry", Password: "s3cret pass"})
		b := setup(t, db, srv.URL(), clock.NewFake(t0))
		m := newMail("m1")
		b.queue(t, m, nil)
		if kinds := b.wait(t); len(kinds) != 1 || kinds[0] != river.EventKindJobCompleted {
			t.Fatalf("job events = %v, want one completion", kinds)
		}

		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("the server received %d messages, want 1", len(msgs))
		}
		got := msgs[0]
		if got.From != "no-reply@kitchenpantry.example" || len(got.To) != 1 || got.To[0] != "jane@acme.example" {
			t.Fatalf("envelope from %q to %v, want no-reply@kitchenpantry.example to [jane@acme.example]", got.From, got.To)
		}
		p, err := got.Parse()
		if err != nil {
			t.Fatal(err)
		}
		checks := []struct{ what, got, want string }{
			{"Subject", p.Subject, "Welcome to Kitchen Pantry, Jane"},
			{"From", p.Header.Get("From"), `"Kitchen Pantry" <no-reply@kitchenpantry.example>`},
			{"To", p.Header.Get("To"), "<jane@acme.example>"},
			{"Message-ID", p.Header.Get("Message-ID"), "<" + mailer.MessageID(m.IdempotencyKey) + ">"},
			{"Date", p.Header.Get("Date"), t0.Format(time.RFC1123Z)},
			{"Body", strings.TrimSpace(p.Body), strings.TrimSpace(m.Body)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		}
		if !strings.Contains(p.Body, "Jane") || !strings.Contains(p.Body, "Acme") {
			t.Errorf("body %q lacks the first name or the company", p.Body)
		}

		row := b.mail(t, m.ID)
		if row.Status != store.MailSent || row.Attempts != 1 || row.LastError != "" ||
			row.SentAt == nil || !row.SentAt.Equal(t0) {
			t.Fatalf("mail = status %q, attempts %d, last error %q, sent at %v; want sent, 1, none, %v",
				row.Status, row.Attempts, row.LastError, row.SentAt, t0)
		}
	})
}

// While the server refuses, the mail is retried and the outbox shows why; once it accepts, the mail is
// delivered once.
func TestDeliverRetriesUntilTheServerAccepts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		type seen struct {
			status    string
			attempts  int
			lastError string
		}
		var (
			mu       sync.Mutex
			observed []seen
		)
		// Connection 1 is refused at MAIL, 2 at RCPT, 3 at DATA; the 4th goes through. At the MAIL of each
		// retry, the outbox row is read: it must show the failures so far, and count the attempt under way.
		refuseAt := map[int]mailertest.Command{1: mailertest.CmdMail, 2: mailertest.CmdRcpt, 3: mailertest.CmdData}
		srv := mailertest.Start(t, mailertest.Options{Refuse: func(cmd mailertest.Command, session int) error {
			if cmd == mailertest.CmdMail && session > 1 {
				var m store.Mail
				if got, err := db.Outbox().Mail(context.Background(), "m2"); err != nil {
					m.LastError = "could not load the mail: " + err.Error()
				} else {
					m = *got
				}
				mu.Lock()
				observed = append(observed, seen{m.Status, m.Attempts, m.LastError})
				mu.Unlock()
			}
			if refuseAt[session] == cmd {
				return mailertest.Transient(fmt.Sprintf("busy with connection %d, try later", session))
			}
			return nil
		}})
		b := setup(t, db, srv.URL(), clock.System{})
		b.queue(t, newMail("m2"), nil)
		kinds := b.wait(t)
		want := []river.EventKind{river.EventKindJobFailed, river.EventKindJobFailed, river.EventKindJobFailed, river.EventKindJobCompleted}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Fatalf("job events = %v, want %v", kinds, want)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("the server accepted %d messages, want exactly 1", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(observed) != 3 {
			t.Fatalf("observed the outbox at %d retries, want 3: %+v", len(observed), observed)
		}
		for i, o := range observed {
			wantErr := fmt.Sprintf(`451 "4.3.0 busy with connection %d, try later"`, i+1)
			if o.status != store.MailQueued || o.attempts != i+2 || !strings.Contains(o.lastError, wantErr) {
				t.Errorf("during retry %d the outbox showed %+v, want queued, %d attempts, an error with %q",
					i+1, o, i+2, wantErr)
			}
		}
		row := b.mail(t, "m2")
		if row.Status != store.MailSent || row.Attempts != 4 || row.SentAt == nil || row.LastError != "" {
			t.Fatalf("mail = status %q, attempts %d, sent at %v, last error %q; want sent after 4 attempts",
				row.Status, row.Attempts, row.SentAt, row.LastError)
		}
	})
}

// A mail stops being retried when the server rejects it for good, or when the job's attempts run out.
func TestDeliverGivesUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		refuse      error
		maxAttempts int
		wantEvents  []river.EventKind
		wantTries   int
		wantErr     string
	}{
		{name: "rejected recipient", refuse: mailertest.Rejected("no such mailbox"),
			wantEvents: []river.EventKind{river.EventKindJobCancelled}, wantTries: 1, wantErr: `RCPT TO: 550 "5.1.1 no such mailbox"`},
		{name: "attempts run out", refuse: mailertest.Transient("still busy"), maxAttempts: 3,
			wantEvents: []river.EventKind{river.EventKindJobFailed, river.EventKindJobFailed, river.EventKindJobFailed},
			wantTries:  3, wantErr: `RCPT TO: 451 "4.3.0 still busy"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				srv := mailertest.Start(t, mailertest.Options{Refuse: func(cmd mailertest.Command, _ int) error {
					if cmd == mailertest.CmdRcpt {
						return tt.refuse
					}
					return nil
				}})
				b := setup(t, db, srv.URL(), clock.System{})
				var opts *river.InsertOpts
				if tt.maxAttempts > 0 {
					opts = &river.InsertOpts{MaxAttempts: tt.maxAttempts}
				}
				b.queue(t, newMail("m3"), opts)
				if kinds := b.wait(t); fmt.Sprint(kinds) != fmt.Sprint(tt.wantEvents) {
					t.Fatalf("job events = %v, want %v", kinds, tt.wantEvents)
				}
				row := b.mail(t, "m3")
				if row.Status != store.MailFailed || row.Attempts != tt.wantTries || row.SentAt != nil ||
					!strings.Contains(row.LastError, tt.wantErr) {
					t.Fatalf("mail = status %q, attempts %d, sent at %v, last error %q; want failed, %d, never, %q",
						row.Status, row.Attempts, row.SentAt, row.LastError, tt.wantTries, tt.wantErr)
				}
				if n := len(srv.Messages()); n != 0 {
					t.Fatalf("the server accepted %d messages, want none", n)
				}
			})
		})
	}
}

func TestDeliverWithoutSMTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db, "", clock.NewFake(t0))
		b.queue(t, newMail("m4"), nil)
		if kinds := b.wait(t); len(kinds) != 1 || kinds[0] != river.EventKindJobCompleted {
			t.Fatalf("job events = %v, want one completion", kinds)
		}
		row := b.mail(t, "m4")
		if row.Status != store.MailNotSent || row.LastError != "not sent: no SMTP server configured" ||
			row.Attempts != 0 || row.SentAt != nil {
			t.Fatalf("mail = status %q, last error %q, attempts %d, sent at %v; want not_sent with the reason",
				row.Status, row.LastError, row.Attempts, row.SentAt)
		}
		if n := b.dials.count(); n != 0 {
			t.Fatalf("the mailer dialled %d times, want never", n)
		}
	})
}

// A sent mail is never sent again, even when a second job for it runs (a re-run after a crash).
func TestDeliverSkipsSentMail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := mailertest.Start(t, mailertest.Options{})
		b := setup(t, db, srv.URL(), clock.NewFake(t0))
		m := newMail("m5")
		m.Status, m.Attempts, m.SentAt = store.MailSent, 1, &t0
		b.queue(t, m, nil)
		if kinds := b.wait(t); len(kinds) != 1 || kinds[0] != river.EventKindJobCompleted {
			t.Fatalf("job events = %v, want one completion", kinds)
		}
		if n, d := len(srv.Messages()), b.dials.count(); n != 0 || d != 0 {
			t.Fatalf("a sent mail was delivered again: %d messages, %d connections", n, d)
		}
		if row := b.mail(t, "m5"); row.Status != store.MailSent || row.Attempts != 1 {
			t.Fatalf("mail = status %q, attempts %d; want it untouched", row.Status, row.Attempts)
		}
	})
}

func TestResend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := mailertest.Start(t, mailertest.Options{})
		b := setup(t, db, srv.URL(), clock.NewFake(t0))
		ctx := context.Background()
		for _, m := range []*store.Mail{newMail("failed"), newMail("sent"), newMail("not-sent")} {
			m.Status = strings.ReplaceAll(m.ID, "-", "_")
			m.LastError = "earlier trouble"
			if err := db.Outbox().InsertMail(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		errs := []struct {
			id   string
			want error
		}{{"sent", mailer.ErrNotResendable}, {"nobody", store.ErrNotFound}}
		for _, e := range errs {
			if err := b.mailer.Resend(ctx, e.id); !errors.Is(err, e.want) {
				t.Errorf("Resend(%s) = %v, want %v", e.id, err, e.want)
			}
		}
		for _, id := range []string{"failed", "not-sent"} {
			if err := b.mailer.Resend(ctx, id); err != nil {
				t.Fatalf("Resend(%s): %v", id, err)
			}
			// Queued (or sent already): a second click must not queue a second job.
			if err := b.mailer.Resend(ctx, id); !errors.Is(err, mailer.ErrNotResendable) {
				t.Fatalf("second Resend(%s) = %v, want ErrNotResendable", id, err)
			}
			if kinds := b.wait(t); len(kinds) != 1 || kinds[0] != river.EventKindJobCompleted {
				t.Fatalf("job events = %v, want one completion", kinds)
			}
			if row := b.mail(t, id); row.Status != store.MailSent || row.LastError != "" {
				t.Fatalf("resent mail %s = status %q, last error %q; want sent", id, row.Status, row.LastError)
			}
		}
		if n := len(srv.Messages()); n != 2 {
			t.Fatalf("the server received %d messages, want 2 (one per resent mail)", n)
		}
	})
}

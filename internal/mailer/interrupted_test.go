package mailer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var (
	started = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	key     = "exec-1:welcome:1"
)

// openDB opens and migrates the database at url, as a Pantryflow process does when it starts.
func openDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url, storetest.Quiet())
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background(), storetest.Quiet()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func mailerOn(t *testing.T, db *store.DB, srv *mailertest.Server, clk clock.Clock) *Mailer {
	t.Helper()
	cfg, err := ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &Mailer{DB: db, Config: cfg, From: "Kitchen Pantry <no-reply@kitchenpantry.example>", Clock: clk,
		Log: storetest.Quiet(), Timeout: 10 * time.Second}
}

func attemptsOf(t *testing.T, db *store.DB, id string) []store.MailAttempt {
	t.Helper()
	rows, err := db.Outbox().Attempts(context.Background(), id)
	if err != nil {
		t.Fatalf("load the attempts: %v", err)
	}
	return rows
}

func mailOf(t *testing.T, db *store.DB, id string) store.Mail {
	t.Helper()
	m, err := db.Outbox().Mail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return *m
}

// messageIDs are the Message-ID headers of what the server received.
func messageIDs(t *testing.T, srv *mailertest.Server) []string {
	t.Helper()
	var ids []string
	for _, m := range srv.Messages() {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.Header.Get("Message-ID"))
	}
	return ids
}

// The process delivering a mail loses its database — it dies, as far as the outbox can tell — at a moment
// of the SMTP conversation; a new process then delivers the mail. The outbox must tell the two cases apart:
// after the server's 250 to the message the mail may have arrived twice, before the final dot it cannot.
func TestDeliveryInterruptedByTheProcessDying(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// dieAt is the command whose handling on the server ends the first process: at DATA the server has
		// read the final dot and is about to answer 250; at RCPT the message was not even written.
		dieAt       mailertest.Command
		wantStage   string // the stage the first attempt is left at
		wantCopies  int
		wantFlagged bool
	}{
		{"after the server accepted the message", mailertest.CmdData, store.StageData, 2, true},
		{"before the message was sent", mailertest.CmdRcpt, store.StageConnect, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for dialect, url := range storetest.URLs(t) {
				t.Run(dialect, func(t *testing.T) {
					t.Parallel()
					testProcessDies(t, url(t), tt.dieAt, tt.wantStage, tt.wantCopies, tt.wantFlagged)
				})
			}
		})
	}
}

func testProcessDies(t *testing.T, url string, dieAt mailertest.Command, wantStage string, wantCopies int, wantFlagged bool) {
	ctx := context.Background()
	first := openDB(t, url)
	mail := &store.Mail{ID: "m1", IdempotencyKey: key, StepID: "welcome", ToAddress: "jane@acme.example",
		Subject: "Welcome to Kitchen Pantry, Jane", Body: "Hi Jane,\n\nwelcome.", Status: store.MailQueued, CreatedAt: started}
	if err := first.Outbox().InsertMail(context.Background(), mail); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		atDeath  []store.MailAttempt
		whyNoRow error
	)
	srv := mailertest.Start(t, mailertest.Options{Refuse: func(cmd mailertest.Command, session int) error {
		if session != 1 || cmd != dieAt {
			return nil
		}
		// What the outbox says at the moment of death, then the death.
		mu.Lock()
		atDeath, whyNoRow = first.Outbox().Attempts(context.Background(), "m1")
		mu.Unlock()
		_ = first.Close()
		return nil
	}})
	clk := clock.NewFake(started)
	err := mailerOn(t, first, srv, clk).deliver(ctx, "m1", false)
	if err == nil {
		t.Fatal("the first delivery succeeded although its process lost the database")
	}
	mu.Lock()
	if whyNoRow != nil {
		t.Fatalf("read the attempts when the process died: %v", whyNoRow)
	}
	if len(atDeath) != 1 || atDeath[0].Outcome != "" || atDeath[0].Stage != wantStage {
		t.Fatalf("when the process died the outbox held attempts %+v, want one at stage %s without an outcome", atDeath, wantStage)
	}
	mu.Unlock()

	clk.Advance(time.Minute)
	second := openDB(t, url) // the process that runs the job again
	if err := mailerOn(t, second, srv, clk).deliver(ctx, "m1", false); err != nil {
		t.Fatalf("the second delivery: %v", err)
	}

	ids := messageIDs(t, srv)
	if len(ids) != wantCopies {
		t.Fatalf("the server received %d copies, want %d", len(ids), wantCopies)
	}
	for _, id := range ids {
		if id != "<"+MessageID(key)+">" {
			t.Fatalf("Message-IDs %v, want every copy to carry <%s>", ids, MessageID(key))
		}
	}
	row := mailOf(t, second, "m1")
	if row.Status != store.MailSent || row.Attempts != 2 || row.PossiblyDuplicated != wantFlagged {
		t.Fatalf("mail = %s, %d attempts, possibly duplicated %t; want sent, 2 attempts, %t",
			row.Status, row.Attempts, row.PossiblyDuplicated, wantFlagged)
	}
	got := attemptsOf(t, second, "m1")
	if len(got) != 2 {
		t.Fatalf("attempts = %+v, want 2", got)
	}
	a1, a2 := got[0], got[1]
	if a1.Number != 1 || a1.Outcome != store.AttemptInterrupted || a1.Stage != wantStage || a1.FinishedAt != nil ||
		a1.ErrorText != interruptedText || !a1.StartedAt.Equal(started) {
		t.Errorf("attempt 1 = %+v, want interrupted at %s, started %v, never finished", a1, wantStage, started)
	}
	if a2.Number != 2 || a2.Outcome != store.AttemptSent || a2.Stage != store.StageAccepted || a2.FinishedAt == nil ||
		a2.ErrorText != "" || !a2.StartedAt.Equal(started.Add(time.Minute)) {
		t.Errorf("attempt 2 = %+v, want sent (accepted), started a minute later", a2)
	}
}

// The server stores the message and the connection ends before its 250 comes back: the process that saw it
// records the attempt as interrupted at the data stage, River runs the job again, and the mail is sent a
// second time with the same Message-ID and marked possibly duplicated.
func TestDeliveryCutAfterTheFinalDot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := mailertest.Start(t, mailertest.Options{Drop: func(at mailertest.Moment, session int) bool {
			return at == mailertest.AfterMessage && session == 1
		}})
		clk := clock.NewFake(started)
		m := mailerOn(t, db, srv, clk)
		mail := &store.Mail{ID: "m2", IdempotencyKey: key, ToAddress: "jane@acme.example", Subject: "Hello",
			Body: "Hi Jane", Status: store.MailQueued, CreatedAt: started}
		if err := db.Outbox().InsertMail(context.Background(), mail); err != nil {
			t.Fatal(err)
		}
		err := m.deliver(context.Background(), "m2", false)
		if err == nil || !unanswered(err) || permanent(err) {
			t.Fatalf("deliver = %v, want an unanswered end of the message, to be retried", err)
		}
		if err := m.deliver(context.Background(), "m2", false); err != nil {
			t.Fatalf("the retry: %v", err)
		}
		if ids := messageIDs(t, srv); len(ids) != 2 || ids[0] != ids[1] || ids[0] != "<"+MessageID(key)+">" {
			t.Fatalf("the server received Message-IDs %v, want the same two", ids)
		}
		got := attemptsOf(t, db, "m2")
		if len(got) != 2 || got[0].Outcome != store.AttemptInterrupted || got[0].Stage != store.StageData ||
			got[0].FinishedAt == nil || !strings.Contains(got[0].ErrorText, "end of the message") ||
			got[1].Outcome != store.AttemptSent {
			t.Fatalf("attempts = %+v, want 1 interrupted at the data stage, 2 sent", got)
		}
		row := mailOf(t, db, "m2")
		if row.Status != store.MailSent || row.Attempts != 2 || !row.PossiblyDuplicated {
			t.Fatalf("mail = %s, %d attempts, possibly duplicated %t; want sent, 2, true", row.Status, row.Attempts, row.PossiblyDuplicated)
		}
	})
}

// The mail is marked sent right after the server's 250, before QUIT: a connection lost at QUIT neither
// fails the delivery nor sends the mail again.
func TestDeliveryIsMarkedSentBeforeQuit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var dropped atomic.Bool
		srv := mailertest.Start(t, mailertest.Options{Drop: func(at mailertest.Moment, _ int) bool {
			if at != mailertest.AtQuit {
				return false
			}
			dropped.Store(true)
			return true
		}})
		m := mailerOn(t, db, srv, clock.NewFake(started))
		if err := db.Outbox().InsertMail(context.Background(), &store.Mail{ID: "m3", IdempotencyKey: key, ToAddress: "jane@acme.example",
			Subject: "Hello", Body: "Hi Jane", Status: store.MailQueued, CreatedAt: started}); err != nil {
			t.Fatal(err)
		}
		if err := m.deliver(context.Background(), "m3", false); err != nil {
			t.Fatalf("deliver = %v, want success: the server accepted the mail", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for srv.OpenConnections() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !dropped.Load() {
			t.Fatal("the mailer never sent QUIT, so the test shows nothing")
		}
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("the server received %d copies, want 1", n)
		}
		row := mailOf(t, db, "m3")
		got := attemptsOf(t, db, "m3")
		if row.Status != store.MailSent || row.Attempts != 1 || row.PossiblyDuplicated || len(got) != 1 ||
			got[0].Outcome != store.AttemptSent {
			t.Fatalf("mail = %s, %d attempts, possibly duplicated %t, attempts %+v; want sent once", row.Status,
				row.Attempts, row.PossiblyDuplicated, got)
		}
	})
}

// A failure is recorded on its attempt with the stage it happened at; the attempt is never left open.
func TestFailedAttemptsKeepTheirStage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		refuseAt := map[int]mailertest.Command{1: mailertest.CmdMail, 2: mailertest.CmdRcpt, 3: mailertest.CmdData}
		srv := mailertest.Start(t, mailertest.Options{Refuse: func(cmd mailertest.Command, session int) error {
			if refuseAt[session] == cmd {
				return mailertest.Transient("busy")
			}
			return nil
		}})
		m := mailerOn(t, db, srv, clock.NewFake(started))
		if err := db.Outbox().InsertMail(context.Background(), &store.Mail{ID: "m4", IdempotencyKey: key, ToAddress: "jane@acme.example",
			Subject: "Hello", Body: "Hi Jane", Status: store.MailQueued, CreatedAt: started}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 4; i++ {
			err := m.deliver(context.Background(), "m4", false)
			if (i < 4) != (err != nil) {
				t.Fatalf("delivery %d = %v", i, err)
			}
			var se *sendError
			if i < 4 && (!errors.As(err, &se) || unanswered(err)) {
				t.Fatalf("delivery %d = %v, want a refusal the server answered", i, err)
			}
		}
		got := attemptsOf(t, db, "m4")
		want := []struct{ outcome, stage, command string }{
			{store.AttemptFailed, store.StageMail, "MAIL FROM: 451"},
			{store.AttemptFailed, store.StageRcpt, "RCPT TO: 451"},
			{store.AttemptFailed, store.StageData, "end of the message: 451"},
			{store.AttemptSent, store.StageAccepted, ""},
		}
		if len(got) != len(want) {
			t.Fatalf("attempts = %+v, want %d", got, len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.Outcome != w.outcome || g.Stage != w.stage || g.FinishedAt == nil || !strings.Contains(g.ErrorText, w.command) {
				t.Errorf("attempt %d = %+v, want %s at %s with %q", i+1, g, w.outcome, w.stage, w.command)
			}
		}
		row := mailOf(t, db, "m4")
		if row.PossiblyDuplicated {
			t.Fatal("a mail refused three times, then sent once, is marked possibly duplicated")
		}
	})
}

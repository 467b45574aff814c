// Package mailer delivers the mail outbox over SMTP. A send_email step inserts its mail (unique on the step
// activation's idempotency key) and a DeliverArgs job in the step's transaction; the job's worker sends the
// mail with go-mail, marks it sent, and lets River retry it while the server refuses it.
//
// Delivery is at-least-once, and the outbox says when a mail may have gone out twice. Every attempt is a
// mail_attempts row, committed before the mailer talks to the server; its stage is committed again just
// before the final dot of the message (from then on the server may have it), and the mail is marked sent in
// the transaction that finishes the attempt, immediately after the server's 250 to the message and before
// QUIT. A crash (or a lost database) between that 250 and that commit, or a connection that ends after the
// final dot without an answer, leaves an attempt at the data stage without a known result; River runs the
// job again, the next attempt marks it interrupted and sends the mail once more, with the same Message-ID
// (derived from the idempotency key, so receiving systems can drop the copy), and the mail is marked
// possibly duplicated.
package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// NotConfiguredError is what a mail says when it was not sent because no SMTP server is configured.
const NotConfiguredError = "not sent: no SMTP server configured"

// Retry spacing and limits of delivery jobs.
const (
	DefaultRetryBase = 5 * time.Second
	MaxRetryDelay    = 10 * time.Minute
	MaxAttempts      = 10
	// DefaultTimeout bounds one SMTP conversation (dial, TLS, AUTH, MAIL, RCPT, DATA).
	DefaultTimeout = 30 * time.Second
)

// maxErrorLen caps the last_error stored with a mail: SMTP servers may answer with long texts.
const maxErrorLen = 1000

// ErrNotResendable says a mail cannot be queued again: it was sent, or it is queued already.
var ErrNotResendable = errors.New("only a failed or not sent mail can be sent again")

// Mailer sends the outbox. DB, Clock and Log are required; the rest have defaults.
type Mailer struct {
	DB     *store.DB
	Config Config // the zero Config: nothing is sent, mails are marked not sent
	From   string // the sender, as in "Kitchen Pantry <no-reply@kitchenpantry.example>"
	// Clock stamps sent_at and the Date header, and counts retry delays from now. River compares the next
	// retry time with real time, so outside tests this is the system clock.
	Clock clock.Clock
	Log   *slog.Logger
	// RetryBase is the delay before the first retry (DefaultRetryBase when zero); each later one doubles, up
	// to MaxRetryDelay.
	RetryBase time.Duration
	// Timeout bounds one SMTP conversation (DefaultTimeout).
	Timeout time.Duration
	// Dial opens the TCP connection to the SMTP server (a net.Dialer when nil).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// EnqueueTx inserts a River job inside tx; Resend needs it. The engine's EnqueueTx fits.
	EnqueueTx func(ctx context.Context, tx *store.Tx, args river.JobArgs) error
}

// DeliverArgs is the job that delivers one mail of the outbox.
type DeliverArgs struct {
	MailID string `json:"mailId"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "deliver_mail" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: MaxAttempts} }

// Workers adds the delivery worker to a River client's workers (the engine's, through engine.Deps.Workers).
func (m *Mailer) Workers(w *river.Workers) {
	river.AddWorker(w, &deliverWorker{m: m})
}

// RetryDelay is the wait after the given failed attempt (1-based): base, then doubling, at most MaxRetryDelay.
func RetryDelay(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		base = DefaultRetryBase
	}
	d := base
	for i := 1; i < attempt; i++ {
		d *= 2
		if d >= MaxRetryDelay {
			return MaxRetryDelay
		}
	}
	return min(d, MaxRetryDelay)
}

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	m *Mailer
}

// NextRetry spaces retries exponentially from Mailer.RetryBase instead of River's default policy.
func (w *deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return w.m.Clock.Now().Add(RetryDelay(w.m.RetryBase, job.Attempt))
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.m.deliver(ctx, job.Args.MailID, job.Attempt >= job.MaxAttempts)
}

// deliver sends one mail unless it was sent already or deliberately not sent. last says this is the job's
// last attempt: a failure then marks the mail failed.
func (m *Mailer) deliver(ctx context.Context, id string, last bool) error {
	mail, err := m.DB.Outbox().Mail(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// The row is inserted with its job, so it was deleted since: nothing to send, and never will be.
		return river.JobCancel(fmt.Errorf("deliver mail %s: %w", id, store.ErrNotFound))
	}
	if err != nil {
		return fmt.Errorf("deliver mail %s: load: %w", id, err)
	}
	if mail.Status == store.MailSent || mail.Status == store.MailNotSent {
		return nil
	}
	log := m.Log.With("mail_id", mail.ID, "execution_id", deref(mail.ExecutionID), "step_id", mail.StepID)
	if !m.Config.Configured() {
		log.Warn("mail not sent: no SMTP server configured", "to", mail.ToAddress)
		return m.update(ctx, id, store.MailNotSent, NotConfiguredError)
	}

	n, err := m.startAttempt(ctx, id)
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return err
	}
	log = log.With("attempt", n)
	conv := &conversation{
		beforeDot: func() error { return m.reachedData(ctx, id, n) },
		accepted:  func() error { return m.markSent(ctx, id, n) },
	}
	sendErr := m.send(ctx, mail, conv)
	if sendErr == nil {
		log.Info("mail sent", "to", mail.ToAddress)
		return nil
	}
	var unrecorded *unrecordedError
	if errors.As(sendErr, &unrecorded) {
		// The server has the mail; the next attempt finds this one unfinished at the data stage, sends the
		// mail again with the same Message-ID and marks it possibly duplicated.
		log.Error("mail accepted by the server but not marked sent; it will be sent again", "error", sendErr)
		return fmt.Errorf("deliver mail %s: %w", id, sendErr)
	}

	outcome := store.AttemptFailed
	if unanswered(sendErr) {
		outcome = store.AttemptInterrupted
	}
	refused := permanent(sendErr)
	final := last || refused
	if err := m.finishAttempt(ctx, id, n, conv.stage, outcome, sendErr, final); err != nil {
		return errors.Join(sendErr, err)
	}
	log.Warn("mail not delivered", "to", mail.ToAddress, "stage", conv.stage, "outcome", outcome,
		"permanent", refused, "final", final, "error", sendErr)
	if refused {
		return river.JobCancel(fmt.Errorf("deliver mail %s: %w", id, sendErr))
	}
	return fmt.Errorf("deliver mail %s: %w", id, sendErr)
}

// update writes the status and last error of a mail that is still to be delivered, in a short transaction of
// its own so the outbox shows it at once. A mail marked sent or not sent meanwhile stays as it is.
func (m *Mailer) update(ctx context.Context, id, status, lastError string) error {
	err := m.DB.Tx(ctx, func(tx *store.Tx) error {
		return tx.Outbox().SetOutcome(ctx, id, status, lastError)
	})
	if err != nil {
		return fmt.Errorf("deliver mail %s: record the outcome: %w", id, err)
	}
	return nil
}

// Resend queues a failed or not sent mail again: its status becomes queued and a new delivery job runs.
// Mails that are sent or queued already are left alone (ErrNotResendable), so two clicks send once.
func (m *Mailer) Resend(ctx context.Context, id string) error {
	if m.EnqueueTx == nil {
		return fmt.Errorf("resend mail %s: the mailer has no job queue", id)
	}
	return m.DB.Tx(ctx, func(tx *store.Tx) error {
		queued, err := tx.Outbox().Requeue(ctx, id)
		if err != nil {
			return fmt.Errorf("resend mail %s: %w", id, err)
		}
		if !queued {
			mail, err := tx.Outbox().Progress(ctx, id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("resend mail %s: %w", id, store.ErrNotFound)
			case err != nil:
				return fmt.Errorf("resend mail %s: %w", id, err)
			}
			return fmt.Errorf("resend mail %s (%s): %w", id, mail.Status, ErrNotResendable)
		}
		if err := m.EnqueueTx(ctx, tx, DeliverArgs{MailID: id}); err != nil {
			return fmt.Errorf("resend mail %s: %w", id, err)
		}
		return nil
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary so the stored text stays valid UTF-8.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

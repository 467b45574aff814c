package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Idempotency-Keys: a request that creates something (a run, an event, a CRM record, a task's completion, a
// workflow, a secret) may carry a key. The use case claims it in the very transaction that creates the
// thing and records the answer there too, so the thing and the key commit together or not at all: a retry
// after a dropped connection gets the first answer and creates nothing, and a request that failed left
// its key free for the retry.

// KeepKeys is how long a key is remembered: retries within 24 hours are promised, and keys are forgotten
// (the cleanup removes them) after 48.
const KeepKeys = 48 * time.Hour

// IdempotencyHeader is the header that carries the key.
const IdempotencyHeader = "Idempotency-Key"

// Idempotency is a request's Idempotency-Key, as the use case claims it.
type Idempotency struct {
	Scope       string // whose key it is: one user's keys never meet another's
	Key         string
	Fingerprint string // SHA-256 of what was asked (method, address, user, body): a key is for one request
	Status      int    // the status the request is answered with when it succeeds
}

type idempotencyCtxKey struct{}

// WithIdempotency gives the use cases the request's key: the one that creates something claims it in its
// transaction.
func WithIdempotency(ctx context.Context, k Idempotency) context.Context {
	return context.WithValue(ctx, idempotencyCtxKey{}, k)
}

func idempotencyOf(ctx context.Context) (Idempotency, bool) {
	k, ok := ctx.Value(idempotencyCtxKey{}).(Idempotency)
	return k, ok
}

// Answer is what a request with an Idempotency-Key was answered: its status and JSON body.
type Answer struct {
	Status int
	Body   []byte
}

// ErrKeyInUse is a request whose key another request holds and whose answer cannot be read yet.
var ErrKeyInUse = &Error{Kind: ErrConflict, Message: "a request with this Idempotency-Key is still being processed; retry in a moment"}

// errKeyReused is a key sent again with another request.
var errKeyReused = &ValidationError{
	Message: "this Idempotency-Key was already used for a different request; nothing was done",
	Details: []Detail{{Path: IdempotencyHeader, Message: "was sent before with another address or body; " +
		"send the same key only to retry the very same request, and a new key for a new request"}},
}

// Answered returns the answer recorded for the request's key, and false when the key is unused (or was
// forgotten). A key that came with another request is a 422 naming the header.
func (a *App) Answered(ctx context.Context, k Idempotency) (Answer, bool, error) {
	row, err := a.DB.IdempotencyKey(ctx, k.Scope, k.Key, a.Clock.Now().Add(-KeepKeys))
	if errors.Is(err, store.ErrNotFound) {
		return Answer{}, false, nil
	}
	if err != nil {
		return Answer{}, false, err
	}
	if row.Fingerprint != k.Fingerprint {
		return Answer{}, false, errKeyReused
	}
	return Answer{Status: row.Status, Body: []byte(row.Answer)}, true, nil
}

// createTx runs fn, which creates something and returns the answer to it, in one transaction that also
// claims the request's Idempotency-Key (when it has one) before fn and records fn's answer with it.
func (a *App) createTx(ctx context.Context, fn func(tx *store.Tx) (answer any, err error)) error {
	k, ok := idempotencyOf(ctx)
	return a.DB.Tx(ctx, func(tx *store.Tx) error {
		if !ok {
			_, err := fn(tx)
			return err
		}
		return a.claimTx(ctx, tx, k, fn)
	})
}

// claimEffects are the writes that claim the request's key in a transaction the engine runs (a task's
// completion): answer reads, in that transaction, what the request is answered.
func (a *App) claimEffects(ctx context.Context, answer func(tx *store.Tx) (any, error)) []store.Effect {
	k, ok := idempotencyOf(ctx)
	if !ok {
		return nil
	}
	return []store.Effect{keyClaim{a: a, key: k, answer: answer}}
}

type keyClaim struct {
	a      *App
	key    Idempotency
	answer func(tx *store.Tx) (any, error)
}

func (c keyClaim) Apply(ctx context.Context, tx *store.Tx) error {
	return c.a.claimTx(ctx, tx, c.key, c.answer)
}

// claimTx claims k in tx, runs fn and records its answer. On PostgreSQL a claim of the same key in another
// transaction still running makes this one wait for it; if that one commits, this one is ErrKeyInUse and
// rolls back, and the caller answers what the other request was answered.
func (a *App) claimTx(ctx context.Context, tx *store.Tx, k Idempotency, fn func(tx *store.Tx) (any, error)) error {
	now := a.Clock.Now()
	err := store.ClaimKeyTx(ctx, tx, &store.IdempotencyKey{Scope: k.Scope, RequestKey: k.Key, Fingerprint: k.Fingerprint,
		Status: k.Status, CreatedAt: now}, now.Add(-KeepKeys))
	if errors.Is(err, store.ErrKeyTaken) {
		return ErrKeyInUse
	}
	if err != nil {
		return err
	}
	answer, err := fn(tx)
	if err != nil {
		return err
	}
	body, err := encodeAnswer(answer)
	if err != nil {
		return err
	}
	return store.AnswerKeyTx(ctx, tx, k.Scope, k.Key, body)
}

// encodeAnswer writes the answer as the web layer does (encoding/json's Encoder, newline included), so a
// retry gets the same bytes as the first request.
func encodeAnswer(v any) (string, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return "", fmt.Errorf("record the answer of an idempotent request: %w", err)
	}
	return b.String(), nil
}

// KeepTestRuns is how long a finished test run is kept: test runs clean up after themselves.
const KeepTestRuns = 7 * 24 * time.Hour

// KeySweeper forgets the Idempotency-Keys older than KeepKeys and the test runs that ended more than
// KeepTestRuns ago, on the app's clock. Every instance runs one; two sweeping at once delete each row once.
type KeySweeper struct {
	db       *store.DB
	clock    clock.Clock
	log      *slog.Logger
	interval time.Duration
	stop     context.CancelFunc
	done     chan struct{}
}

// NewKeySweeper returns a sweeper that looks every interval (an hour when 0).
func NewKeySweeper(db *store.DB, clk clock.Clock, log *slog.Logger, interval time.Duration) *KeySweeper {
	if interval <= 0 {
		interval = time.Hour
	}
	return &KeySweeper{db: db, clock: clk, log: log, interval: interval}
}

// Start starts the loop; it sweeps at once, then every interval.
func (s *KeySweeper) Start(ctx context.Context) {
	if s.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.done = cancel, make(chan struct{})
	go s.loop(ctx)
}

// Stop ends the loop and waits for a sweep in progress.
func (s *KeySweeper) Stop() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
	s.stop = nil
}

func (s *KeySweeper) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("forget old idempotency keys", "error", err)
		}
		if _, err := s.SweepTestRuns(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("forget old test runs", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep forgets the keys older than KeepKeys now and says how many.
func (s *KeySweeper) Sweep(ctx context.Context) (int64, error) {
	return s.db.ForgetIdempotencyKeys(ctx, s.clock.Now().Add(-KeepKeys))
}

// SweepTestRuns deletes the test runs that ended more than KeepTestRuns ago and says how many.
func (s *KeySweeper) SweepTestRuns(ctx context.Context) (int64, error) {
	return s.db.Executions().ForgetTestRuns(ctx, s.clock.Now().Add(-KeepTestRuns))
}

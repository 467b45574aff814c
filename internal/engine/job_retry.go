package engine

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// jobRetries is River's retry policy for the engine's client: a job that failed because the database did not
// answer (store.IsInfrastructure: the commit of a step's transition lost its connection, a load hit a
// failover) is tried again within seconds — 1s doubling to a minute — instead of River's default, whose
// waits grow to minutes by the fourth error. Nothing is repeated by the quick retry: every transition's commit
// is revision-checked, so a step whose commit did land is not run again, and one whose commit did not is
// run again at the same activation (same idempotency key). Other errors keep River's default schedule.
//
// River's retry policy sees the job, not the error, so the error handler, which River calls first for the
// same failure on the same goroutine, notes the jobs whose error was the database's.
type jobRetries struct {
	fallback river.DefaultClientRetryPolicy
	// now is the wall clock: River schedules retries on it (the engine's own clock may be a test's).
	now func() time.Time

	mu    sync.Mutex
	infra map[int64]time.Time // job id → when its infrastructure error was handled
}

func newJobRetries() *jobRetries {
	return &jobRetries{now: time.Now, infra: map[int64]time.Time{}}
}

var (
	_ river.ClientRetryPolicy = (*jobRetries)(nil)
	_ river.ErrorHandler      = (*jobRetries)(nil)
)

// jobRetryWait is the wait before the nth retry of a job the database failed: 1s doubling to a minute.
func jobRetryWait(n int) time.Duration { return InfraRetryWait(n) }

// HandleError implements river.ErrorHandler.
func (p *jobRetries) HandleError(_ context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	if !store.IsInfrastructure(err) || job.Attempt >= job.MaxAttempts {
		return nil // a discarded job is not retried: nothing to note
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	// A worker with its own NextRetry (mail delivery) never asks the policy, so its notes would stay: drop
	// the ones old enough that no retry decision can still be coming for them.
	for id, at := range p.infra {
		if now.Sub(at) > time.Minute {
			delete(p.infra, id)
		}
	}
	p.infra[job.ID] = now
	return nil
}

// HandlePanic implements river.ErrorHandler.
func (p *jobRetries) HandlePanic(context.Context, *rivertype.JobRow, any, string) *river.ErrorHandlerResult {
	return nil
}

// NextRetry implements river.ClientRetryPolicy.
func (p *jobRetries) NextRetry(job *rivertype.JobRow) time.Time {
	p.mu.Lock()
	_, infra := p.infra[job.ID]
	delete(p.infra, job.ID)
	p.mu.Unlock()
	if !infra {
		return p.fallback.NextRetry(job)
	}
	// River counts this failure's error after asking, hence the + 1.
	return p.now().Add(jobRetryWait(failures(job) + 1))
}

// failures counts the job's errors that were failures: not the notes of a takeover, which say that the
// process running it died (a kill is not the database failing, and must not stretch the database's
// backoff: a run hit by two kills and two terminations waited 8 s instead of 2 s, and more after).
func failures(job *rivertype.JobRow) int {
	n := 0
	for _, e := range job.Errors {
		if !strings.HasSuffix(e.Error, store.TakeoverNote) {
			n++
		}
	}
	return n
}

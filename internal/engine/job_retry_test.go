package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river/rivertype"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

func TestJobRetriesArePromptWhenTheDatabaseFailedTheJob(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	lost := fmt.Errorf("advance execution x branch 1: update executions: %w", &pgconn.PgError{Severity: "FATAL",
		Message: "terminating connection due to administrator command", Code: "57P01"})
	tests := []struct {
		name     string
		err      error
		errors   int // errors the job had before this one
		min, max time.Duration
	}{
		{"the database, first retry", lost, 0, time.Second, time.Second},
		{"the database, fourth retry", lost, 3, 8 * time.Second, 8 * time.Second},
		{"the database, many retries", lost, 20, time.Minute, time.Minute},
		// Two kills and a termination before: only the termination was the database's.
		{"the database after kills", lost, -3, 2 * time.Second, 2 * time.Second},
		// River's default: errors⁴ seconds, ±10%.
		{"a bug, fourth retry", errors.New("execution x: step y is not in version 3"), 3, 230 * time.Second, 282 * time.Second},
		{"a cancelled context is not the database's", fmt.Errorf("advance: %w", context.Canceled), 3, 230 * time.Second, 282 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newJobRetries()
			p.now = func() time.Time { return now }
			job := &rivertype.JobRow{ID: 42, Attempt: tt.errors + 1, MaxAttempts: 25}
			if tt.errors >= 0 {
				job.Errors = make([]rivertype.AttemptError, tt.errors)
			} else { // kills around one termination
				taken := rivertype.AttemptError{Error: "the process running this job is gone; " + store.TakeoverNote}
				job.Attempt, job.Errors = 4, []rivertype.AttemptError{taken, {Error: lost.Error()}, taken}
			}
			if res := p.HandleError(context.Background(), job, tt.err); res != nil {
				t.Fatalf("HandleError = %+v, want nil (the job is retried, not cancelled)", res)
			}
			next := p.NextRetry(job)
			got := next.Sub(now)
			if tt.min != tt.max {
				got = time.Until(next) // River's default policy reads the wall clock
			}
			if got < tt.min || got > tt.max {
				t.Fatalf("next retry in %s, want %s to %s", got, tt.min, tt.max)
			}
			if len(p.infra) != 0 {
				t.Fatalf("notes left after the retry was decided: %v", p.infra)
			}
		})
	}
}

package workflow_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestTransition(t *testing.T) {
	t.Parallel()
	const (
		running   = workflow.StatusRunning
		paused    = workflow.StatusPaused
		completed = workflow.StatusCompleted
		failed    = workflow.StatusFailed
		cancelled = workflow.StatusCancelled
	)
	legal := map[workflow.ExecutionStatus][]workflow.ExecutionStatus{
		running: {running, paused, completed, failed, cancelled},
		paused:  {running, paused, completed, failed, cancelled},
		failed:  {running, paused},
	}
	if len(workflow.ExecutionStatuses) != 5 {
		t.Fatalf("ExecutionStatuses has %d entries, want 5", len(workflow.ExecutionStatuses))
	}
	cases := 0
	for _, from := range workflow.ExecutionStatuses {
		for _, to := range workflow.ExecutionStatuses {
			want := false
			for _, ok := range legal[from] {
				want = want || ok == to
			}
			cases++
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				t.Parallel()
				got, err := workflow.Transition(from, to)
				if want {
					if err != nil || got != to {
						t.Fatalf("Transition(%s, %s) = %s, %v; want %s, nil", from, to, got, err, to)
					}
					return
				}
				var ill *workflow.ErrIllegalTransition
				if !errors.As(err, &ill) || ill.From != from || ill.To != to {
					t.Fatalf("Transition(%s, %s) error = %v, want *ErrIllegalTransition{%s, %s}", from, to, err, from, to)
				}
				if got != from {
					t.Fatalf("Transition(%s, %s) = %s on error, want the old status %s", from, to, got, from)
				}
				if msg := fmt.Sprintf("an execution that is %s cannot become %s", from, to); err.Error() != msg {
					t.Fatalf("Error() = %q, want %q", err.Error(), msg)
				}
			})
		}
	}
	if cases != 25 {
		t.Fatalf("checked %d pairs, want 25", cases)
	}
	if _, err := workflow.Transition("bogus", running); err == nil {
		t.Fatalf("Transition from an unknown status succeeded")
	}
	if _, err := workflow.Transition(running, "bogus"); err == nil {
		t.Fatalf("Transition to an unknown status succeeded")
	}
}

func TestStatusPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status           workflow.ExecutionStatus
		finished, active bool
	}{
		{workflow.StatusRunning, false, true},
		{workflow.StatusPaused, false, true},
		{workflow.StatusCompleted, true, false},
		{workflow.StatusFailed, true, false},
		{workflow.StatusCancelled, true, false},
	}
	for _, tt := range tests {
		if got := tt.status.Finished(); got != tt.finished {
			t.Fatalf("%s.Finished() = %v, want %v", tt.status, got, tt.finished)
		}
		if got := tt.status.Active(); got != tt.active {
			t.Fatalf("%s.Active() = %v, want %v", tt.status, got, tt.active)
		}
	}
}

func TestErrorClass(t *testing.T) {
	t.Parallel()
	base := errors.New("smtp: 550 no such user")
	tests := []struct {
		name      string
		err       error
		class     string
		permanent bool
	}{
		{"permanent", workflow.Permanent(workflow.ClassValidation, base), workflow.ClassValidation, true},
		{"permanent wrapped twice", fmt.Errorf("step mail: %w", fmt.Errorf("attempt 2: %w", workflow.Permanent(workflow.ClassHTTP4xx, base))), workflow.ClassHTTP4xx, true},
		{"transient", workflow.Transient(workflow.ClassHTTP5xx, base), workflow.ClassHTTP5xx, false},
		{"transient wrapped", fmt.Errorf("call_api: %w", workflow.Transient(workflow.ClassNetwork, base)), workflow.ClassNetwork, false},
		{"deadline exceeded", context.DeadlineExceeded, workflow.ClassTimeout, false},
		{"deadline exceeded wrapped", fmt.Errorf("call_api: %w", context.DeadlineExceeded), workflow.ClassTimeout, false},
		{"step error class wins over the deadline it wraps", workflow.Transient(workflow.ClassNetwork, context.DeadlineExceeded), workflow.ClassNetwork, false},
		{"canceled is not a timeout", context.Canceled, workflow.ClassOther, false},
		{"plain error", base, workflow.ClassOther, false},
		{"nil", nil, workflow.ClassOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := workflow.ErrorClass(tt.err); got != tt.class {
				t.Fatalf("ErrorClass = %q, want %q", got, tt.class)
			}
			if got := workflow.IsPermanent(tt.err); got != tt.permanent {
				t.Fatalf("IsPermanent = %v, want %v", got, tt.permanent)
			}
		})
	}
}

func TestStepErrorWraps(t *testing.T) {
	t.Parallel()
	err := workflow.Permanent(workflow.ClassValidation, fmt.Errorf("reading: %w", io.ErrUnexpectedEOF))
	if err.Error() != "reading: unexpected EOF" {
		t.Fatalf("Error() = %q, want the wrapped message unchanged", err.Error())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("errors.Is does not see through a StepError")
	}
	var se *workflow.StepError
	if !errors.As(err, &se) || se.Class != workflow.ClassValidation || !se.Permanent {
		t.Fatalf("StepError = %+v, want validation, permanent", se)
	}
}

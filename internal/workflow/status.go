package workflow

import (
	"fmt"
	"time"
)

// ExecutionStatus is the seed's WorkflowExecution.status. Stored values never change meaning.
type ExecutionStatus string

// Execution statuses.
const (
	StatusRunning   ExecutionStatus = "running"
	StatusPaused    ExecutionStatus = "paused"
	StatusCompleted ExecutionStatus = "completed"
	StatusFailed    ExecutionStatus = "failed"
	StatusCancelled ExecutionStatus = "cancelled"
)

// ExecutionStatuses lists every status, for filters and validation of query parameters.
var ExecutionStatuses = []ExecutionStatus{StatusRunning, StatusPaused, StatusCompleted, StatusFailed, StatusCancelled}

// Finished reports whether nothing more will happen to an execution in this status (retry aside).
func (s ExecutionStatus) Finished() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Active reports whether an execution in this status still has work or waits.
func (s ExecutionStatus) Active() bool { return s == StatusRunning || s == StatusPaused }

var executionMoves = map[ExecutionStatus][]ExecutionStatus{
	StatusRunning: {StatusRunning, StatusPaused, StatusCompleted, StatusFailed, StatusCancelled},
	StatusPaused:  {StatusRunning, StatusPaused, StatusCompleted, StatusFailed, StatusCancelled},
	StatusFailed:  {StatusRunning, StatusPaused}, // retry from the failed step
}

// ErrIllegalTransition is returned for a status change the life cycle does not allow.
type ErrIllegalTransition struct{ From, To ExecutionStatus }

func (e *ErrIllegalTransition) Error() string {
	return fmt.Sprintf("an execution that is %s cannot become %s", e.From, e.To)
}

// Transition checks a status change and returns the new status.
func Transition(from, to ExecutionStatus) (ExecutionStatus, error) {
	for _, ok := range executionMoves[from] {
		if ok == to {
			return to, nil
		}
	}
	return from, &ErrIllegalTransition{From: from, To: to}
}

// TaskStatus is a human task's state.
type TaskStatus string

// Task statuses.
const (
	TaskOpen      TaskStatus = "open"
	TaskCompleted TaskStatus = "completed"
	TaskCancelled TaskStatus = "cancelled"
)

// LogAction is what a log entry records about a step.
type LogAction string

// Log actions (the seed's four).
const (
	LogStarted   LogAction = "started"
	LogCompleted LogAction = "completed"
	LogFailed    LogAction = "failed"
	LogSkipped   LogAction = "skipped"
)

// LogEntry is the seed's WorkflowLogEntry.
type LogEntry struct {
	Timestamp time.Time `json:"timestamp"`
	StepID    string    `json:"stepId"`
	StepName  string    `json:"stepName"`
	Action    LogAction `json:"action"`
	Message   string    `json:"message"`
	Data      any       `json:"data,omitempty"`
	// DurationMs is how long the step took (completed, failed, skipped): the attempt for an action, the
	// whole wait for a delay or human task, the branches for a parallel step.
	DurationMs *int64 `json:"durationMs,omitempty"`
	// Reason classes a failure (timeout, http_5xx, validation, …), or says why a step was skipped
	// (cancelled, halted).
	Reason string `json:"reason,omitempty"`
}

package workflow

import (
	"context"
	"errors"
)

// Failure reason classes, shared by the engine's log and the metrics.
const (
	ClassTimeout      = "timeout"
	ClassHTTP4xx      = "http_4xx"
	ClassHTTP5xx      = "http_5xx"
	ClassNetwork      = "network"
	ClassValidation   = "validation"
	ClassExpression   = "expression"
	ClassNotCompleted = "not_completed"
	ClassOther        = "other"
	// ClassInfrastructure marks an attempt the engine retried because the database did not answer (a lost
	// connection, a failover, a lock): not the step's failure, and counted apart from failures.
	ClassInfrastructure = "infrastructure"
)

// StepError is a step failure with its reason class, and whether retrying could help.
type StepError struct {
	Class     string
	Permanent bool
	Err       error
}

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Permanent marks err as a failure retrying cannot fix (a bad address, a missing record).
func Permanent(class string, err error) error {
	return &StepError{Class: class, Permanent: true, Err: err}
}

// Transient marks err as a failure that may pass on retry (a timeout, a 503).
func Transient(class string, err error) error {
	return &StepError{Class: class, Err: err}
}

// IsPermanent reports whether retrying cannot fix err.
func IsPermanent(err error) bool {
	var se *StepError
	return errors.As(err, &se) && se.Permanent
}

// ErrorClass is the reason class of a step failure.
func ErrorClass(err error) string {
	var se *StepError
	switch {
	case errors.As(err, &se):
		return se.Class
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	}
	return ClassOther
}

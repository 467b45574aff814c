// Package app holds Pantryflow's use cases — save and publish a workflow, start, cancel, wake and retry an
// execution, complete a task — and owns their transaction boundaries. The web layer calls one use case per
// request; nothing here knows about HTTP.
package app

import (
	"errors"
	"strconv"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Error kinds the web layer maps to status codes. Messages are written for the person who made the request.
var (
	ErrNotFound  = store.ErrNotFound             // 404
	ErrConflict  = errors.New("conflict")        // 409
	ErrForbidden = errors.New("not allowed")     // 403
	ErrInvalid   = errors.New("invalid request") // 400
	// ErrUnauthorized is a request that is not signed in, or a webhook delivery that is not signed right.
	ErrUnauthorized = errors.New("not authenticated") // 401
)

// Error is a use-case error with a message for people and its kind for the status code.
type Error struct {
	Kind    error
	Message string
	Details []Detail
}

// Detail points at one wrong field.
type Detail struct {
	Path    string `json:"path"`
	Message string `json:"message"`
	StepID  string `json:"stepId,omitempty"`
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, msg string) error { return &Error{Kind: kind, Message: msg} }

// ValidationError is a definition, variables or form values that do not pass validation (422).
type ValidationError struct {
	Message string
	Details []Detail
}

func (e *ValidationError) Error() string { return e.Message }

func problemsError(ps workflow.Problems) error {
	details := make([]Detail, 0, len(ps))
	for _, p := range ps {
		details = append(details, Detail{Path: p.Path, Message: p.Message, StepID: p.StepID})
	}
	msg := "the workflow has 1 problem"
	if len(ps) != 1 {
		msg = "the workflow has " + strconv.Itoa(len(ps)) + " problems"
	}
	return &ValidationError{Message: msg + "; nothing was saved", Details: details}
}

func fieldsError(what string, fe workflow.FieldErrors) error {
	details := make([]Detail, 0, len(fe))
	for _, f := range fe {
		details = append(details, Detail{Path: f.Field, Message: f.Message})
	}
	return &ValidationError{Message: what, Details: details}
}

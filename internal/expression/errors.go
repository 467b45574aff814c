package expression

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/file"
)

// Error is a problem in an expression or template, with a position in the
// ORIGINAL source the user wrote.
type Error struct {
	Source   string // the original expression/template text
	Position int    // 1-based character (rune) offset into Source where the problem is; 0 when unknown
	Message  string // plain language, e.g. `unknown name "nextSteps": it is not a declared variable`
	Hint     string // optional suggestion, e.g. `write date(lead.lastInteraction) > now() - duration("72h")`
	// limit is set when the evaluation was stopped by its budget or its caller.
	limit *LimitError
}

// Unwrap gives the *LimitError of an evaluation stopped by its budget or its caller, and nil otherwise.
func (e *Error) Unwrap() error {
	if e.limit == nil {
		return nil
	}
	return e.limit
}

// Error renders the problem as "<message> at position N (hint: ...)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Position > 0 {
		fmt.Fprintf(&b, " at position %d", e.Position)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (hint: %s)", e.Hint)
	}
	return b.String()
}

// PathError is a template error found while walking a JSON value; Path says
// where the string was, like "data.firstName" or "headers[2]".
type PathError struct {
	Path string
	Err  *Error
}

// Error renders the path followed by the underlying problem.
func (pe PathError) Error() string {
	if pe.Path == "" {
		return pe.Err.Error()
	}
	return pe.Path + ": " + pe.Err.Error()
}

// Unwrap gives access to the underlying *Error.
func (pe PathError) Unwrap() error { return pe.Err }

// shifted returns a copy of err relocated into a larger source: the
// expression started at rune offset base (0-based) of src. An unknown position
// becomes fallback (1-based, 0 for unknown).
func (e *Error) shifted(src string, base, fallback int) *Error {
	out := *e
	out.Source = src
	if out.Position > 0 {
		out.Position += base
	} else {
		out.Position = fallback
	}
	return &out
}

// fromExprError turns an error returned by expr (compile or run time) into an
// *Error positioned in the original source.
func fromExprError(err error, src string, offsets offsetMap) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &Error{Source: src, Message: err.Error()}
	}
	return &Error{
		Source:   src,
		Position: offsets.position(fe.From),
		Message:  fe.Message,
	}
}

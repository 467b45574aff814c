package workflow

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a definition: where (a JSON path, and the step when it is inside one) and what.
type Problem struct {
	Path     string `json:"path"`
	StepID   string `json:"stepId,omitempty"`
	Message  string `json:"message"`
	Position int    `json:"position,omitempty"` // 1-based character in an expression, when the problem is in one
	Hint     string `json:"hint,omitempty"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Problems is every problem found in a definition. As an error it reads as one line per problem.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, 0, len(ps))
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return fmt.Sprintf("the workflow has %d problem(s): %s", len(ps), strings.Join(lines, "; "))
}

// problemList collects problems while validating.
type problemList struct{ items Problems }

func (l *problemList) add(path, stepID, format string, args ...any) {
	l.items = append(l.items, Problem{Path: path, StepID: stepID, Message: fmt.Sprintf(format, args...)})
}

func (l *problemList) addExpr(path, stepID, what string, e *ExprError) {
	msg := what + ": " + e.Message
	if e.Position > 0 {
		msg += fmt.Sprintf(" (at position %d)", e.Position)
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	l.items = append(l.items, Problem{Path: path, StepID: stepID, Message: msg, Position: e.Position, Hint: e.Hint})
}

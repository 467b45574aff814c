package crm

import (
	"fmt"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/words"
)

// Problem is one thing wrong with a record's data: the field (its JSON name) and a message for a sales rep.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ValidationError lists everything wrong with the data of a create, an update or a list filter. Nothing
// was written when it is returned.
type ValidationError struct {
	Entity   Entity
	Problems []Problem
	Filter   bool // the problems are with a list's filter, not a record's data
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		parts = append(parts, p.Path+": "+p.Message)
	}
	what := "data"
	if e.Filter {
		what = "list filter"
	}
	return fmt.Sprintf("the %s %s is not valid: %s", e.Entity, what, strings.Join(parts, "; "))
}

// Summary is a one-line headline for the problems, for an API answer that lists them as details.
func (e *ValidationError) Summary() string {
	switch {
	case e.Filter:
		return "the list cannot be filtered that way"
	case len(e.Problems) == 1:
		return fmt.Sprintf("the %s has 1 problem; nothing was saved", e.Entity)
	}
	return fmt.Sprintf("the %s has %d problems; nothing was saved", e.Entity, len(e.Problems))
}

// NotFoundError is a record that does not exist. It matches store.ErrNotFound.
type NotFoundError struct {
	Entity Entity
	ID     string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("there is no %s with id %q", e.Entity, e.ID)
}

// Unwrap lets errors.Is(err, store.ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return store.ErrNotFound }

// InUseError is a delete refused because other records still point at the record.
type InUseError struct {
	Entity Entity
	ID     string
	Label  string // the record as people know it: "Acme Diner"
	Uses   []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s is still the %s of %s; move or delete them first", e.Label, e.Entity, words.List(e.Uses))
}

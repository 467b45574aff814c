package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// maxTermLength bounds one search term: a key's value is searchable by its first 200 characters.
const maxTermLength = 200

// SearchTerms are what a run is found by: each value whole and each of its words, folded to lower case,
// each at most maxTermLength long, without repeats. A search matches a term by prefix (ListExecutions).
func SearchTerms(values ...string) []string {
	var out []string
	add := func(t string) {
		t = strings.TrimSpace(t)
		if len(t) > maxTermLength {
			t = t[:maxTermLength]
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, v := range values {
		add(strings.ToLower(v))
		for _, w := range queryWords(v) {
			add(w)
		}
	}
	return out
}

// queryWords are the words of a text (a search, or a value searched by), folded as the terms are: split at
// spaces and commas, lower case, each at most maxTermLength long.
func queryWords(q string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
		if len(w) > maxTermLength {
			w = w[:maxTermLength]
		}
		out = append(out, w)
	}
	return out
}

// afterPrefix is above every string that starts with a prefix, in byte order (term is COLLATE "C" on
// PostgreSQL, BINARY on SQLite): a prefix search is the range [prefix, prefix+afterPrefix).
const afterPrefix = "\U0010FFFF"

// SubjectUpdate sets the record and business keys of an execution and replaces its search terms, in the
// transaction of the change that altered them (an edit of its variables, a refresh of its record).
type SubjectUpdate struct {
	// OnlyIfUnset changes nothing when the row's keys were worked out already (a backfill beside a start).
	OnlyIfUnset              bool
	ExecutionID              string
	Entity, SubjectID, Label string
	Keys                     JSON
	Terms                    []string
}

// Apply implements Effect.
func (u SubjectUpdate) Apply(ctx context.Context, tx *Tx) error {
	r := tx.Executions()
	q := r.q(ctx).Model(&Execution{}).Where("id = ?", u.ExecutionID)
	if u.OnlyIfUnset {
		q = q.Where("business_keys IS NULL")
	}
	res := q.Updates(map[string]any{"subject_entity": u.Entity, "subject_id": u.SubjectID, "subject_label": u.Label, "business_keys": u.Keys})
	if res.Error != nil {
		return fmt.Errorf("execution %s: set its record and keys: %w", u.ExecutionID, res.Error)
	}
	if u.OnlyIfUnset && res.RowsAffected == 0 {
		return nil
	}
	if err := r.q(ctx).Where("execution_id = ?", u.ExecutionID).Delete(&ExecutionTerm{}).Error; err != nil {
		return fmt.Errorf("execution %s: replace its search terms: %w", u.ExecutionID, err)
	}
	return r.insertTerms(ctx, u.ExecutionID, u.Terms)
}

func (r Executions) insertTerms(ctx context.Context, id string, terms []string) error {
	if len(terms) == 0 {
		return nil
	}
	rows := make([]ExecutionTerm, len(terms))
	for i, t := range terms {
		rows[i] = ExecutionTerm{Term: t, ExecutionID: id}
	}
	if err := r.q(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("execution %s: store its search terms: %w", id, err)
	}
	return nil
}

// LogRunChange is a change a person made to a run, inserted with it (Effect).
type LogRunChange struct{ Change ExecutionChange }

// Apply implements Effect.
func (c LogRunChange) Apply(ctx context.Context, tx *Tx) error {
	ch := c.Change
	if err := tx.Executions().q(ctx).Create(&ch).Error; err != nil {
		return fmt.Errorf("execution %s: log the change: %w", ch.ExecutionID, err)
	}
	return nil
}

// Changes reads the changes people made to an execution, oldest first.
func (r Executions) Changes(ctx context.Context, executionID string) ([]ExecutionChange, error) {
	var out []ExecutionChange
	if err := r.q(ctx).Where("execution_id = ?", executionID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read the changes of execution %s: %w", executionID, err)
	}
	return out, nil
}

// SetExecutionVersion moves an execution to another version of its workflow, in the commit that moved its
// branches (engine.MoveRun).
type SetExecutionVersion struct {
	ExecutionID string
	Version     int
}

// Apply implements Effect.
func (s SetExecutionVersion) Apply(ctx context.Context, tx *Tx) error {
	err := tx.Executions().q(ctx).Model(&Execution{}).Where("id = ?", s.ExecutionID).Update("workflow_version", s.Version).Error
	if err != nil {
		return fmt.Errorf("execution %s: move to version %d: %w", s.ExecutionID, s.Version, err)
	}
	return nil
}

// MoveTaskStep gives the open tasks of an execution at step From the step To (a run moved to a version
// whose step has another id).
type MoveTaskStep struct {
	ExecutionID, From, To string
}

// Apply implements Effect.
func (m MoveTaskStep) Apply(ctx context.Context, tx *Tx) error {
	err := tx.Executions().q(ctx).Model(&HumanTask{}).Where("execution_id = ? AND step_id = ? AND status = ?", m.ExecutionID, m.From, "open").
		Update("step_id", m.To).Error
	if err != nil {
		return fmt.Errorf("execution %s: move its tasks to step %s: %w", m.ExecutionID, m.To, err)
	}
	return nil
}

// WithoutSubject lists up to limit executions whose record and keys were never worked out (stored before
// the columns), with what working them out needs.
func (r Executions) WithoutSubject(ctx context.Context, limit int) ([]Execution, error) {
	var rows []Execution
	err := r.q(ctx).Select("id", "workflow_id", "workflow_version", "variables").Where("business_keys IS NULL").
		Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find runs without their record: %w", err)
	}
	return rows, nil
}

package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// keyBudget bounds the work of one run's business keys: they are rendered on the start's request.
const keyBudget = 200 * time.Millisecond

// Subject is the record a run is about and its business keys, as a run's row and search terms hold them.
type Subject struct {
	Entity, ID, Label, Email string
	Keys                     map[string]string
}

// SubjectOf works out the record of a run from its variables (the workflow's record variable: the event's
// record, or one chosen on a manual start) and renders its business keys. A key whose template fails on
// these variables (an empty record field, say) is left out: a start never fails on a key.
func SubjectOf(ctx context.Context, plan *workflow.Plan, vars map[string]any) Subject {
	var s Subject
	if card := workflow.CardOf(workflow.RecordOf(plan.Def), vars); card != nil {
		s.Entity, s.ID, s.Label, s.Email = card.Kind, card.ID, card.Label, card.Email
	}
	if len(plan.Keys) == 0 {
		return s
	}
	ctx, cancel := context.WithTimeout(ctx, keyBudget)
	defer cancel()
	env := map[string]any{"steps": map[string]any{}}
	for k, v := range vars {
		env[k] = v
	}
	for _, k := range plan.Keys {
		v, err := k.Value.Render(ctx, env)
		if err != nil || v == nil {
			continue
		}
		text := fmt.Sprint(v)
		if text == "" || text == "<nil>" {
			continue
		}
		if s.Keys == nil {
			s.Keys = map[string]string{}
		}
		s.Keys[k.Name] = text
	}
	return s
}

// terms are the subject's search terms.
func (s Subject) terms() []string {
	values := []string{s.Label, s.Email}
	for _, v := range s.Keys {
		values = append(values, v)
	}
	return store.SearchTerms(values...)
}

// keysJSON is the keys as the row holds them: {} for none (NULL means not worked out yet: a run older than
// the column, which backfillSubjects works out).
func (s Subject) keysJSON() store.JSON {
	if len(s.Keys) == 0 {
		return store.JSON("{}")
	}
	b, _ := json.Marshal(s.Keys)
	return store.JSON(b)
}

// backfillSubjects works out the record and keys of the runs stored before runs had them (business_keys
// NULL), 500 at a time, until none is left or the engine stops. Instances beside it skip the rows one of
// them did (SubjectUpdate.OnlyIfUnset).
func (e *Engine) backfillSubjects(ctx context.Context) {
	defer e.loops.Done()
	done := 0
	for ctx.Err() == nil {
		rows, err := e.db.Executions().WithoutSubject(ctx, 500)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("could not work out the records of older runs; trying again at the next start", "error", err)
			}
			return
		}
		if len(rows) == 0 {
			if done > 0 {
				e.log.Info("worked out the records and keys of older runs", "runs", done)
			}
			return
		}
		for _, row := range rows {
			var s Subject
			if plan, err := e.plans.get(ctx, e.db.Workflows(), row.WorkflowID, row.WorkflowVersion); err == nil {
				var vars map[string]any
				if row.Variables.Decode(&vars) == nil {
					s = SubjectOf(ctx, plan, vars)
				}
			}
			u := s.update(row.ID)
			u.OnlyIfUnset = true
			if err := e.db.Tx(ctx, func(tx *store.Tx) error { return u.Apply(ctx, tx) }); err != nil {
				if ctx.Err() == nil {
					e.log.Warn("could not work out the record of an older run", "execution_id", row.ID, "error", err)
				}
				return
			}
			done++
		}
	}
}

// update is the effect that stores the subject of execution id.
func (s Subject) update(id string) store.SubjectUpdate {
	return store.SubjectUpdate{ExecutionID: id, Entity: s.Entity, SubjectID: s.ID, Label: s.Label, Keys: s.keysJSON(), Terms: s.terms()}
}

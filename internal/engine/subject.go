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

func (s Subject) keysJSON() store.JSON {
	if len(s.Keys) == 0 {
		return nil
	}
	b, _ := json.Marshal(s.Keys)
	return store.JSON(b)
}

// update is the effect that stores the subject of execution id.
func (s Subject) update(id string) store.SubjectUpdate {
	return store.SubjectUpdate{ExecutionID: id, Entity: s.Entity, SubjectID: s.ID, Label: s.Label, Keys: s.keysJSON(), Terms: s.terms()}
}

package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// CreateRecord creates a CRM record. The record, the CRM's events about it and the step commit together.
type CreateRecord struct{ deps Deps }

// Spec implements Action.
func (a CreateRecord) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"entity", "id", "record"},
		Name:    "create_record", Title: "Create a CRM record",
		Description: "Creates a lead, contact, company, opportunity or CRM task from the given fields.",
		Params: []workflow.ParamSpec{
			entityParam(a.deps),
			{Name: "data", Kind: workflow.ParamObject, Required: true,
				Description: `the record's fields, for example {"firstName": "{{firstName}}", "assignedTo": "{{lead.assignedTo}}"}`},
		},
	}
}

// Run implements Action.
func (a CreateRecord) Run(ctx context.Context, in Input) (Result, error) {
	const action = "create_record"
	entity, data, err := recordParams(action, a.deps, in.Params)
	if err != nil {
		return Result{}, err
	}
	if err := a.deps.Records.Check(ctx, entity, "", data); err != nil {
		return Result{}, stepError(action, err)
	}
	id := a.deps.NewID()
	w := recordWrite{records: a.deps.Records, action: action, entity: entity, id: id, data: data, by: actor(in)}
	if in.Test {
		return recorded(Result{Message: fmt.Sprintf("would create a %s", entity)}, recordOutput(entity, id, data)), nil
	}
	return Result{
		Output:  recordOutput(entity, id, data),
		Message: fmt.Sprintf("Created %s %s", entity, id),
		Effects: []store.Effect{w},
	}, nil
}

// entityParam is the entity parameter: one of the CRM's record kinds.
func entityParam(d Deps) workflow.ParamSpec {
	var kinds []string
	if d.Records != nil {
		kinds = d.Records.Entities()
	}
	return workflow.ParamSpec{Name: "entity", Kind: workflow.ParamEnum, Required: true, Options: kinds,
		Description: "the kind of record: " + strings.Join(kinds, ", ")}
}

// recordParams reads the entity and data parameters.
func recordParams(action string, d Deps, params map[string]any) (string, map[string]any, error) {
	if d.Records == nil {
		return "", nil, workflow.Permanent(workflow.ClassOther, fmt.Errorf("%s: this server has no CRM", action))
	}
	entity, err := requiredText(action, params, "entity")
	if err != nil {
		return "", nil, err
	}
	if kinds := d.Records.Entities(); !slices.Contains(kinds, entity) {
		return "", nil, workflow.Permanent(workflow.ClassValidation,
			fmt.Errorf("%s: entity %q is not a kind of CRM record; use %s", action, entity, strings.Join(kinds, ", ")))
	}
	data, ok := params["data"].(map[string]any)
	if !ok {
		return "", nil, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: data must be an object of the record's fields", action))
	}
	return entity, data, nil
}

// stepError names the action in an error of the CRM, keeping whether it is permanent: bad data and missing
// records are (retrying cannot fix them), a database that does not answer is not.
func stepError(action string, err error) error {
	if workflow.IsPermanent(err) || errors.Is(err, store.ErrNotFound) {
		return workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: %w", action, err))
	}
	return workflow.Transient(workflow.ClassOther, fmt.Errorf("%s: %w", action, err))
}

// actor is who the CRM records as having made a workflow's change.
func actor(in Input) string { return "workflow " + in.WorkflowID }

// recordOutput is the step's output: what is known before the commit, the fields written and the id. The
// whole record, expanded, is in the CRM's event.
func recordOutput(entity, id string, data map[string]any) map[string]any {
	record := map[string]any{} // not maps.Clone: it keeps a nil map nil
	maps.Copy(record, data)
	record["id"] = id
	return map[string]any{"entity": entity, "id": id, "record": record}
}

// recordWrite creates or updates a record inside the step's transaction. A write the CRM refuses (the
// record is gone, the data no longer fits) fails the step permanently instead of being retried for ever.
type recordWrite struct {
	records            RecordStore
	action, entity, id string
	data               map[string]any
	by                 string
	update             bool
	// origin is the run and step, recorded with the fields an update changed.
	origin store.ChangeOrigin
}

// Apply implements store.Effect.
func (w recordWrite) Apply(ctx context.Context, tx *store.Tx) error {
	var err error
	if w.update {
		_, err = w.records.UpdateTx(store.WithChangeOrigin(ctx, w.origin), tx, w.entity, w.id, w.data, w.by)
	} else {
		_, err = w.records.CreateTx(ctx, tx, w.entity, w.id, w.data, w.by)
	}
	if err == nil {
		return nil
	}
	if workflow.IsPermanent(err) || errors.Is(err, store.ErrNotFound) {
		return workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: %w", w.action, err))
	}
	return fmt.Errorf("%s: %s %s: %w", w.action, w.entity, w.id, err)
}

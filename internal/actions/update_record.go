package actions

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// UpdateRecord changes fields of a CRM record. The change, the CRM's events about it and the step commit
// together; a record that does not exist fails the step.
type UpdateRecord struct{ deps Deps }

// Spec implements Action.
func (a UpdateRecord) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"entity", "id", "record"},
		Name:    "update_record", Title: "Update a CRM record",
		Description: "Changes the given fields of a lead, contact, company, opportunity or CRM task; the others stay as they are.",
		Params: []workflow.ParamSpec{
			entityParam(a.deps),
			{Name: "id", Kind: workflow.ParamText, Required: true, Description: "the record's id, for example {{lead.id}}"},
			{Name: "data", Kind: workflow.ParamObject, Required: true,
				Description: `the fields to change, for example {"status": "contacted"}`},
		},
	}
}

// Run implements Action.
func (a UpdateRecord) Run(ctx context.Context, in Input) (Result, error) {
	const action = "update_record"
	entity, data, err := recordParams(action, a.deps, in.Params)
	if err != nil {
		return Result{}, err
	}
	id := text(in.Params, "id")
	if id == "" {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: id is empty (the variable it comes from has no value)", action))
	}
	if err := a.deps.Records.Check(ctx, entity, id, data); err != nil {
		return Result{}, stepError(action, err)
	}
	fields := make([]string, 0, len(data))
	for k := range data {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	w := recordWrite{records: a.deps.Records, action: action, entity: entity, id: id, data: data, by: actor(in), update: true,
		origin: store.ChangeOrigin{ExecutionID: in.ExecutionID, StepID: in.StepID}}
	if in.Test {
		return recorded(Result{Message: fmt.Sprintf("would update %s %s: %s", entity, id, strings.Join(fields, ", "))},
			recordOutput(entity, id, data)), nil
	}
	return Result{
		Output:  recordOutput(entity, id, data),
		Message: fmt.Sprintf("Updated %s %s: %s", entity, id, strings.Join(fields, ", ")),
		Effects: []store.Effect{w},
	}, nil
}

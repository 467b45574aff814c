package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// GetRecord reads a CRM record as it is now, so later steps decide on fresh data (a lead's variable holds
// the lead as it was when the workflow started).
type GetRecord struct{ deps Deps }

// Spec implements Action.
func (a GetRecord) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"entity", "id", "record"},
		Name:    "get_record", Title: "Look up a CRM record",
		Description: "Reads a lead, contact, company, opportunity or CRM task as it is now; later steps use steps.<this step>.record.",
		Params: []workflow.ParamSpec{
			entityParam(a.deps),
			{Name: "id", Kind: workflow.ParamText, Required: true, Description: "the record's id, for example {{opportunity.id}}"},
		},
	}
}

// Run implements Action.
func (a GetRecord) Run(ctx context.Context, in Input) (Result, error) {
	const action = "get_record"
	if a.deps.Records == nil {
		return Result{}, workflow.Permanent(workflow.ClassOther, fmt.Errorf("%s: this server has no CRM", action))
	}
	entity, err := requiredText(action, in.Params, "entity")
	if err != nil {
		return Result{}, err
	}
	if kinds := a.deps.Records.Entities(); !slices.Contains(kinds, entity) {
		return Result{}, workflow.Permanent(workflow.ClassValidation,
			fmt.Errorf("%s: entity %q is not a kind of CRM record; use %s", action, entity, strings.Join(kinds, ", ")))
	}
	id, err := requiredText(action, in.Params, "id")
	if err != nil {
		return Result{}, err
	}
	rec, err := a.deps.Records.Lookup(ctx, entity, id)
	if err != nil {
		return Result{}, stepError(action, err)
	}
	return Result{Output: map[string]any{"entity": entity, "id": id, "record": rec},
		Message: fmt.Sprintf("Read %s %s", entity, id)}, nil
}

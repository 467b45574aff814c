package actions

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Finding records: how many a step may read at once, and how many when it does not say.
const (
	DefaultFindLimit = 100
	MaxFindLimit     = 1000
)

// FindRecords reads the CRM records that match a filter, so a later step can go through them ("for each
// contact of the company").
type FindRecords struct{ deps Deps }

// Spec implements Action.
func (a FindRecords) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"entity", "items", "count", "total"},
		Name:    "find_records", Title: "Find CRM records",
		Description: "Lists the leads, contacts, companies, opportunities or CRM tasks that match, newest first; later steps use steps.<this step>.items.",
		Params: []workflow.ParamSpec{
			entityParam(a.deps),
			{Name: "where", Kind: workflow.ParamObject, Description: "the values fields must have, for example companyId: {{company.id}} or status: qualified"},
			{Name: "q", Kind: workflow.ParamText, Description: "words to look for in names and email addresses"},
			{Name: "limit", Kind: workflow.ParamNumber, Description: fmt.Sprintf("how many records at most: %d by default, at most %d", DefaultFindLimit, MaxFindLimit)},
		},
	}
}

// Run implements Action.
func (a FindRecords) Run(ctx context.Context, in Input) (Result, error) {
	const action = "find_records"
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
	where := map[string]string{}
	switch w := in.Params["where"].(type) {
	case nil:
	case map[string]any:
		for field, v := range w {
			if v == nil {
				return Result{}, workflow.Permanent(workflow.ClassValidation,
					fmt.Errorf("%s: where.%s is empty (the variable it comes from has no value)", action, field))
			}
			where[field] = text(w, field)
		}
	default:
		return Result{}, workflow.Permanent(workflow.ClassValidation,
			fmt.Errorf("%s: where must be a set of field names and values, not %s", action, text(in.Params, "where")))
	}
	limit, err := findLimit(action, in.Params)
	if err != nil {
		return Result{}, err
	}
	items, total, err := a.deps.Records.Find(ctx, entity, where, text(in.Params, "q"), limit)
	if err != nil {
		return Result{}, stepError(action, err)
	}
	list := make([]any, len(items))
	for i, rec := range items {
		list[i] = rec
	}
	return Result{Output: map[string]any{"entity": entity, "items": list, "count": len(list), "total": total},
		Message: fmt.Sprintf("Found %d %s (of %d)", len(list), entity, total)}, nil
}

// findLimit reads limit: a whole number from 1 to MaxFindLimit, DefaultFindLimit when it is not given.
func findLimit(action string, params map[string]any) (int, error) {
	s := text(params, "limit")
	if s == "" {
		return DefaultFindLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxFindLimit {
		return 0, workflow.Permanent(workflow.ClassValidation,
			fmt.Errorf("%s: limit %q is not a whole number from 1 to %d", action, s, MaxFindLimit))
	}
	return n, nil
}

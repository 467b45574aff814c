package actions

import (
	"context"
	"fmt"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// SetVariable sets one declared variable to a value.
type SetVariable struct{}

// Spec implements Action.
func (SetVariable) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Name: "set_variable", Title: "Set a variable",
		Description: "Stores a value in one of the workflow's variables.",
		Params: []workflow.ParamSpec{
			{Name: "name", Kind: workflow.ParamVariable, Required: true, Description: "the declared variable to set"},
			{Name: "value", Kind: workflow.ParamAny, Description: "the value: text, a number or a {{ expression }}"},
		},
	}
}

// Run implements Action.
func (SetVariable) Run(_ context.Context, in Input) (Result, error) {
	name, err := requiredText("set_variable", in.Params, "name")
	if err != nil {
		return Result{}, err
	}
	if _, declared := in.Vars[name]; !declared {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("set_variable: %q is not a variable of this workflow", name))
	}
	v := in.Params["value"]
	return Result{
		Output:  map[string]any{name: v},
		Vars:    map[string]any{name: v},
		Message: fmt.Sprintf("Set %s", name),
	}, nil
}

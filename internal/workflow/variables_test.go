package workflow_test

import (
	"reflect"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func variablesDef() *workflow.Definition {
	return &workflow.Definition{Variables: []workflow.Variable{
		{Name: "lead", Type: "object", Required: true},
		{Name: "score", Type: "number"},
		{Name: "active", Type: "boolean"},
		{Name: "tags", Type: "array"},
		{Name: "due", Type: "date"},
		{Name: "owner", Type: "string", Default: "sales@example.com"},
		{Name: "note", Type: "string"},
	}}
}

func TestCheckVariablesValid(t *testing.T) {
	t.Parallel()
	lead := map[string]any{"email": "a@example.com"}
	tests := []struct {
		name  string
		given map[string]any
		want  map[string]any
	}{
		{"only the required one: defaults applied, the rest nil",
			map[string]any{"lead": lead},
			map[string]any{"lead": lead, "score": nil, "active": nil, "tags": nil, "due": nil, "owner": "sales@example.com", "note": nil}},
		{"every type",
			map[string]any{"lead": lead, "score": 5.0, "active": false, "tags": []any{"vip"}, "due": "2026-12-01", "owner": "me@example.com", "note": ""},
			map[string]any{"lead": lead, "score": 5.0, "active": false, "tags": []any{"vip"}, "due": "2026-12-01", "owner": "me@example.com", "note": ""}},
		{"date as RFC 3339 and null replaced by the default",
			map[string]any{"lead": lead, "due": "2026-12-01T09:00:00Z", "owner": nil},
			map[string]any{"lead": lead, "score": nil, "active": nil, "tags": nil, "due": "2026-12-01T09:00:00Z", "owner": "sales@example.com", "note": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, errs := workflow.CheckVariables(variablesDef(), tt.given)
			if errs != nil {
				t.Fatalf("unexpected errors: %v", errs)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("CheckVariables = %#v, want %#v", got, tt.want)
			}
			if _, present := got["note"]; !present {
				t.Fatalf("unset declared variable note is missing from the result")
			}
		})
	}
}

func TestCheckVariablesErrors(t *testing.T) {
	t.Parallel()
	lead := map[string]any{"email": "a@example.com"}
	tests := []struct {
		name    string
		given   map[string]any
		field   string
		message string
	}{
		{"required missing", map[string]any{}, "lead", `variable "lead" is required`},
		{"required null", map[string]any{"lead": nil}, "lead", `variable "lead" is required`},
		{"object given a list", map[string]any{"lead": []any{}}, "lead", `variable "lead" must be an object, not a list`},
		{"number given text", map[string]any{"lead": lead, "score": "5"}, "score", `variable "score" must be a number, not text`},
		{"boolean given text", map[string]any{"lead": lead, "active": "true"}, "active", `variable "active" must be true or false, not text`},
		{"array given an object", map[string]any{"lead": lead, "tags": map[string]any{}}, "tags", `variable "tags" must be a list, not an object`},
		{"date given a number", map[string]any{"lead": lead, "due": 5.0}, "due", `variable "due" must be a date like 2026-12-01, not a number`},
		{"date given words", map[string]any{"lead": lead, "due": "soon"}, "due", `variable "due" must be a date like 2026-12-01, not "soon"`},
		{"string given a boolean", map[string]any{"lead": lead, "note": true}, "note", `variable "note" must be text, not true/false`},
		{"undeclared variable", map[string]any{"lead": lead, "ghost": 1.0}, "ghost", `"ghost" is not a variable of this workflow`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, errs := workflow.CheckVariables(variablesDef(), tt.given)
			if len(errs) != 1 {
				t.Fatalf("got %d error(s) %v, want 1", len(errs), errs)
			}
			if errs[0].Field != tt.field || errs[0].Message != tt.message {
				t.Fatalf("error = %s: %q, want %s: %q", errs[0].Field, errs[0].Message, tt.field, tt.message)
			}
			if v, present := got[tt.field]; present && v != nil {
				t.Fatalf("rejected value came back as %v", v)
			}
		})
	}
}

func TestCheckVariablesReportsAll(t *testing.T) {
	t.Parallel()
	_, errs := workflow.CheckVariables(variablesDef(), map[string]any{"score": "x", "zz": 1.0, "aa": 2.0})
	want := []string{"lead", "score", "aa", "zz"}
	if len(errs) != len(want) {
		t.Fatalf("got %d error(s) %v, want %d", len(errs), errs, len(want))
	}
	for i, f := range want {
		if errs[i].Field != f {
			t.Fatalf("error %d is for %q, want %q (%v)", i, errs[i].Field, f, errs)
		}
	}
}

package app

import (
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/forms"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// RunFields is the form that starts a workflow by hand: one field per declared variable.
func RunFields(def *workflow.Definition) []workflow.FormField {
	vars := def.StartVariables()
	fields := make([]workflow.FormField, 0, len(vars))
	for _, v := range vars {
		f := workflow.FormField{Name: v.Name, Required: v.Required, Help: v.Description}
		switch v.Type {
		case "number":
			f.Type = workflow.FieldNumber
		case "boolean":
			f.Type = workflow.FieldCheckbox
			f.Required = false // unticked is a value: false
		case "date":
			f.Type = workflow.FieldDate
		case "object", "array":
			f.Type = workflow.FieldTextarea
			if f.Help == "" {
				f.Help = "JSON, for example " + map[string]string{"object": `{"email": "jane@acme.example"}`, "array": `["a", "b"]`}[v.Type]
			}
		default:
			f.Type = workflow.FieldText
		}
		fields = append(fields, f)
	}
	return fields
}

// RunValues reads the run form's text into typed variables; every field's problem is reported.
func RunValues(def *workflow.Definition, raw map[string]string) (map[string]any, workflow.FieldErrors) {
	out := map[string]any{}
	var errs workflow.FieldErrors
	for _, v := range def.StartVariables() {
		s := strings.TrimSpace(raw[v.Name])
		label := workflow.FieldLabel(workflow.FormField{Name: v.Name})
		if v.Type == "boolean" {
			out[v.Name] = forms.Checked(s)
			continue
		}
		if s == "" {
			if v.Required {
				errs = append(errs, workflow.FieldError{Field: v.Name, Message: label + " is required"})
			}
			continue
		}
		switch v.Type {
		case "number":
			n, msg := forms.Float(label, s)
			if msg != "" {
				errs = append(errs, workflow.FieldError{Field: v.Name, Message: msg})
				continue
			}
			out[v.Name] = n
		case "object", "array":
			val, msg := forms.JSON(label, s)
			if msg != "" {
				errs = append(errs, workflow.FieldError{Field: v.Name, Message: msg})
				continue
			}
			out[v.Name] = val
		default:
			out[v.Name] = s
		}
	}
	return out, errs
}

package views

import (
	"github.com/a-h/templ"

	"github.com/kitchenpantry/pantryflow/internal/forms"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// inputAttrs are the input's required, aria-invalid and aria-describedby, with the field's own attributes.
func inputAttrs(f forms.Field) templ.Attributes {
	a := templ.Attributes{}
	for k, v := range f.Attrs {
		a[k] = v
	}
	if f.Required && !f.Draft && f.Kind != forms.Checkbox {
		a["required"] = true
	}
	if f.Bad() {
		a["aria-invalid"] = "true"
	}
	if d := f.DescribedBy(); d != "" {
		a["aria-describedby"] = d
	}
	return a
}

// answerField is the input of a human task's form field (or of a variable on the Run form), with the text
// entered and its problem.
func answerField(ff workflow.FormField, value, problem string) forms.Field {
	f := forms.Field{Name: ff.Name, Label: workflow.FieldLabel(ff), Kind: answerKinds[ff.Type], Required: ff.Required,
		Help: ff.Help, Value: value, Checked: forms.Checked(value)}
	if f.Kind == "" {
		f.Kind = forms.Text
	}
	if f.Kind == forms.Select {
		f.Choices = append([]forms.Choice{{Value: "", Label: "Choose…"}}, forms.ChoicesOf(ff.Options...)...)
	}
	f.Errors = problems(problem)
	return f
}

// answerKinds are the inputs of the form field types (workflow.Field*).
var answerKinds = map[string]forms.Kind{
	workflow.FieldText: forms.Text, workflow.FieldTextarea: forms.Textarea, workflow.FieldNumber: forms.Number,
	workflow.FieldEmail: forms.Email, workflow.FieldDate: forms.Date, workflow.FieldDatetime: forms.DateTime,
	workflow.FieldSelect: forms.Select, workflow.FieldCheckbox: forms.Checkbox,
}

// problems is a field's one problem as its list of problems.
func problems(msg string) []string {
	if msg == "" {
		return nil
	}
	return []string{msg}
}

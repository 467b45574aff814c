// Package forms is the one form kit of the pages, the designer's panels and the Run forms: the description of
// a field that views.Field draws (its kind, value, choices, help and problems), a form's values with its
// problems by field name, and the readers that turn a form's text into typed values with errors a person can
// act on. It knows nothing of workflows or HTML: app decides which fields a form has, views draws them.
package forms

import "strings"

// Kind is how a field is entered.
type Kind string

// The kinds of field. Number is the browser's number input; Decimal is a text input with a decimal keypad,
// for fields that also take a template or keep what was typed while it is wrong (the designer's panels).
const (
	Text     Kind = "text"
	Textarea Kind = "textarea"
	Code     Kind = "code" // a monospaced textarea: expressions and JSON
	Number   Kind = "number"
	Decimal  Kind = "decimal"
	Email    Kind = "email"
	Password Kind = "password"
	Date     Kind = "date"
	DateTime Kind = "datetime"
	Select   Kind = "select"
	Checkbox Kind = "checkbox"
)

// Choice is one option of a select.
type Choice struct {
	Value string // what the form sends
	Label string // what people see
}

// ChoicesOf are choices whose labels are their values.
func ChoicesOf(values ...string) []Choice {
	out := make([]Choice, 0, len(values))
	for _, v := range values {
		out = append(out, Choice{Value: v, Label: v})
	}
	return out
}

// KeepChoice adds the current value when the choices do not hold it (a disabled user, a template since
// removed, a value typed in JSON), so that saving the form does not change it unasked.
func KeepChoice(choices []Choice, value string) []Choice {
	if value == "" {
		return choices
	}
	for _, c := range choices {
		if c.Value == value {
			return choices
		}
	}
	return append(choices, Choice{Value: value, Label: value})
}

// Field is one input with its label, help and problems.
type Field struct {
	Name  string
	ID    string // the input's id; "f-" + Name when empty
	Label string
	Kind  Kind
	Value string
	// Checked is a checkbox's state; CheckValue what it sends when ticked ("on" when empty).
	Checked    bool
	CheckValue string
	// Required marks the label and, unless Draft, makes the browser ask for a value.
	Required bool
	// Draft is set on the designer's panels: a field may stay empty while the workflow is being built (saving
	// lists what is missing), so the browser does not insist.
	Draft        bool
	Choices      []Choice // a select's options, in order (an empty first choice included when it has one)
	Help         string
	Placeholder  string
	List         string // the id of a datalist of suggestions
	Autocomplete string
	Rows         int // a textarea's height in lines
	Errors       []string
	// Attrs are further attributes of the input (the panels' hx-post and friends).
	Attrs map[string]any
}

// InputID is the id of the field's input.
func (f Field) InputID() string {
	if f.ID != "" {
		return f.ID
	}
	return ID("f-", f.Name)
}

// HelpID and ErrorID are the ids of the help and of the problems, which the input names in aria-describedby.
func (f Field) HelpID() string  { return f.InputID() + "-help" }
func (f Field) ErrorID() string { return f.InputID() + "-error" }

// Bad reports whether the field has a problem.
func (f Field) Bad() bool { return len(f.Errors) > 0 }

// DescribedBy is the input's aria-describedby: its help and its problems.
func (f Field) DescribedBy() string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, f.HelpID())
	}
	if f.Bad() {
		ids = append(ids, f.ErrorID())
	}
	return strings.Join(ids, " ")
}

// SendsWhenTicked is the value a ticked checkbox sends.
func (f Field) SendsWhenTicked() string {
	if f.CheckValue == "" {
		return "on"
	}
	return f.CheckValue
}

// InputType is the HTML type of an <input> of the field's kind.
func (f Field) InputType() string {
	switch f.Kind {
	case DateTime:
		return "datetime-local"
	case Number, Email, Date, Password:
		return string(f.Kind)
	}
	return "text"
}

// ID is an element id made of a prefix and a field name, with the characters of row names ("field.0.name",
// "up:2") that CSS selectors would trip over replaced.
func ID(prefix, name string) string {
	return prefix + idReplacer.Replace(name)
}

var idReplacer = strings.NewReplacer(".", "-", ":", "-")

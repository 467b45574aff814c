package forms

import "net/url"

// Errors are a form's problems by field name; a field may have several.
type Errors map[string][]string

// Add records a problem of a field.
func (e Errors) Add(field, message string) { e[field] = append(e[field], message) }

// First is a field's first problem, or "".
func (e Errors) First(field string) string {
	if msgs := e[field]; len(msgs) > 0 {
		return msgs[0]
	}
	return ""
}

// Form is what a form shows: the values, as text by field name, and the problems.
type Form struct {
	Values url.Values
	Errors Errors
}

// Value is a field's text.
func (f Form) Value(name string) string { return f.Values.Get(name) }

// Errs are a field's problems.
func (f Form) Errs(name string) []string { return f.Errors[name] }

// Bad reports whether a field has a problem.
func (f Form) Bad(name string) bool { return len(f.Errors[name]) > 0 }

// Ticked reports whether a checkbox that sends "on" was ticked.
func (f Form) Ticked(name string) bool { return Checked(f.Values.Get(name)) }

package workflow

import (
	"fmt"
	"math"
	"net/mail"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FieldError is a problem with one submitted form value.
type FieldError struct {
	Field   string `json:"path"`
	Message string `json:"message"`
}

// FieldErrors is every problem of a submitted form.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, 0, len(fe))
	for _, e := range fe {
		parts = append(parts, e.Field+": "+e.Message)
	}
	return "the form has errors: " + strings.Join(parts, "; ")
}

// For returns the message for a field, or "".
func (fe FieldErrors) For(field string) string {
	for _, e := range fe {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

const maxFieldLength = 10000

// zonelessLayouts are the ways a date and time may be written without a zone.
var zonelessLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"}

// InZone reads the dates and times of a submission written without a zone ("2026-12-03T15:30", as a
// browser's datetime-local field sends them) in loc, as RFC 3339 with loc's offset; every other value is
// left as it is. The values are copied, not changed in place.
func InZone(fields []FormField, values map[string]any, loc *time.Location) map[string]any {
	if loc == nil || loc == time.UTC {
		return values
	}
	out := make(map[string]any, len(values))
	for k, v := range values {
		out[k] = v
	}
	for _, f := range fields {
		s, ok := values[f.Name].(string)
		if f.Type != FieldDatetime || !ok {
			continue
		}
		for _, layout := range zonelessLayouts {
			if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), loc); err == nil {
				out[f.Name] = t.Format(time.RFC3339)
				break
			}
		}
	}
	return out
}

// CheckFormValues validates submitted values against a task's fields and returns them normalised: numbers as
// float64, checkboxes as bool, dates as 2006-01-02, date-times as RFC 3339 in UTC. Values may arrive as JSON
// types or as the strings of an HTML form.
func CheckFormValues(fields []FormField, values map[string]any) (map[string]any, FieldErrors) {
	out := make(map[string]any, len(fields))
	var errs FieldErrors
	for _, f := range fields {
		v, err := normaliseField(f, values[f.Name])
		if err != "" {
			errs = append(errs, FieldError{Field: f.Name, Message: err})
			continue
		}
		if v != nil {
			out[f.Name] = v
		} else if f.Type == FieldCheckbox {
			out[f.Name] = false
		}
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.ContainsFunc(fields, func(f FormField) bool { return f.Name == k }) {
			errs = append(errs, FieldError{Field: k, Message: "this form has no field " + strconv.Quote(k)})
		}
	}
	return out, errs
}

// FieldLabel is what a person sees for a field: its label, or its name made readable.
func FieldLabel(f FormField) string {
	if f.Label != "" {
		return f.Label
	}
	var b strings.Builder
	for i, r := range f.Name {
		switch {
		case r == '_':
			b.WriteRune(' ')
		case i > 0 && r >= 'A' && r <= 'Z':
			b.WriteRune(' ')
			b.WriteRune(r + ('a' - 'A'))
		case i == 0 && r >= 'a' && r <= 'z':
			b.WriteRune(r - ('a' - 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func normaliseField(f FormField, raw any) (any, string) {
	label := FieldLabel(f)
	if s, ok := raw.(string); ok {
		raw = strings.TrimSpace(s)
	}
	if raw == nil || raw == "" {
		if f.Required {
			if f.Type == FieldCheckbox {
				return nil, label + " must be ticked"
			}
			return nil, label + " is required"
		}
		return nil, ""
	}
	switch f.Type {
	case FieldText, FieldTextarea:
		s, ok := raw.(string)
		if !ok {
			return nil, label + " must be text"
		}
		if len(s) > maxFieldLength {
			return nil, fmt.Sprintf("%s is %d characters long; the limit is %d", label, len(s), maxFieldLength)
		}
		return s, ""
	case FieldNumber:
		switch n := raw.(type) {
		case float64:
			return n, ""
		case string:
			f64, err := strconv.ParseFloat(n, 64)
			if err != nil || math.IsNaN(f64) || math.IsInf(f64, 0) { // ParseFloat accepts "NaN" and "Inf"; JSON cannot hold them
				return nil, fmt.Sprintf("%s must be a number, not %q", label, n)
			}
			return f64, ""
		}
		return nil, label + " must be a number"
	case FieldEmail:
		s, ok := raw.(string)
		if !ok {
			return nil, label + " must be an email address"
		}
		addr, err := mail.ParseAddress(s)
		if err != nil || addr.Address != s {
			return nil, fmt.Sprintf("%s: %q is not an email address", label, s)
		}
		return s, ""
	case FieldDate:
		s, ok := raw.(string)
		if !ok {
			return nil, label + " must be a date like 2026-12-01"
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC().Format(time.DateOnly), ""
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Sprintf("%s must be a date like 2026-12-01, not %q", label, s)
		}
		return t.Format(time.DateOnly), ""
	case FieldDatetime:
		s, ok := raw.(string)
		if !ok {
			return nil, label + " must be a date and time like 2026-12-01T14:30"
		}
		for _, layout := range append([]string{time.RFC3339Nano}, zonelessLayouts...) {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC().Format(time.RFC3339), ""
			}
		}
		return nil, fmt.Sprintf("%s must be a date and time like 2026-12-01T14:30, not %q", label, s)
	case FieldSelect:
		s, ok := raw.(string)
		if !ok || !slices.Contains(f.Options, s) {
			return nil, fmt.Sprintf("%s must be one of %s", label, strings.Join(f.Options, ", "))
		}
		return s, ""
	case FieldCheckbox:
		switch b := raw.(type) {
		case bool:
			if f.Required && !b {
				return nil, label + " must be ticked"
			}
			return b, ""
		case string:
			switch strings.ToLower(b) {
			case "on", "true", "yes", "1":
				return true, ""
			case "false", "off", "no", "0":
				if f.Required {
					return nil, label + " must be ticked"
				}
				return false, ""
			}
		}
		return nil, label + " must be ticked or not"
	}
	return nil, fmt.Sprintf("%s has an unknown type %q", label, f.Type)
}

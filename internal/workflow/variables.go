package workflow

import (
	"fmt"
	"sort"
	"time"
)

// CheckVariables checks the variables an execution starts with against the declared ones: required ones
// present, types right, nothing undeclared. It returns the starting variables with defaults filled in and every
// declared variable present (nil when unset), so expressions can tell "unset" from "unknown".
func CheckVariables(def *Definition, given map[string]any) (map[string]any, FieldErrors) {
	all := def.AllVariables() // the implied ones too: an event's record, a form's answers (ImpliedVariables)
	out := make(map[string]any, len(all))
	var errs FieldErrors
	declared := map[string]bool{}
	for _, v := range all {
		declared[v.Name] = true
		val, ok := given[v.Name]
		if !ok || val == nil {
			if v.Default != nil {
				out[v.Name] = v.Default
				continue
			}
			if v.Required {
				errs = append(errs, FieldError{Field: v.Name, Message: fmt.Sprintf("variable %q is required", v.Name)})
			}
			out[v.Name] = nil
			continue
		}
		if msg := checkType(v.Type, val); msg != "" {
			errs = append(errs, FieldError{Field: v.Name, Message: fmt.Sprintf("variable %q %s", v.Name, msg)})
			continue
		}
		out[v.Name] = val
	}
	names := make([]string, 0, len(given))
	for k := range given {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !declared[k] {
			errs = append(errs, FieldError{Field: k, Message: fmt.Sprintf("%q is not a variable of this workflow", k)})
		}
	}
	return out, errs
}

func checkType(typ string, v any) string {
	switch typ {
	case "string":
		if _, ok := v.(string); !ok {
			return "must be text, not " + jsonKind(v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return "must be a number, not " + jsonKind(v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return "must be true or false, not " + jsonKind(v)
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return "must be an object, not " + jsonKind(v)
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return "must be a list, not " + jsonKind(v)
		}
	case "date":
		s, ok := v.(string)
		if !ok {
			return "must be a date like 2026-12-01, not " + jsonKind(v)
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				return fmt.Sprintf("must be a date like 2026-12-01, not %q", s)
			}
		}
	}
	return ""
}

// CheckEdits checks the variables a manager sets on a run that has started: each is a variable of the
// workflow, of its type; a required one cannot be emptied. The others keep their values.
func CheckEdits(def *Definition, values map[string]any) FieldErrors {
	byName := map[string]Variable{}
	for _, v := range def.AllVariables() {
		byName[v.Name] = v
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs FieldErrors
	for _, k := range names {
		v, ok := byName[k]
		val := values[k]
		switch {
		case !ok:
			errs = append(errs, FieldError{Field: k, Message: fmt.Sprintf("%q is not a variable of this workflow", k)})
		case val == nil && v.Required:
			errs = append(errs, FieldError{Field: k, Message: fmt.Sprintf("variable %q is required, so it cannot be emptied", k)})
		case val != nil:
			if msg := checkType(v.Type, val); msg != "" {
				errs = append(errs, FieldError{Field: k, Message: fmt.Sprintf("variable %q %s", k, msg)})
			}
		}
	}
	return errs
}

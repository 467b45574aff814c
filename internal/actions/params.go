package actions

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// text reads a rendered parameter as text; nil is "".
func text(params map[string]any, name string) string {
	switch v := params[name].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", v), "0"), ".")
	default:
		return fmt.Sprint(v)
	}
}

// requiredText reads a rendered parameter that must not be empty.
func requiredText(action string, params map[string]any, name string) (string, error) {
	s := text(params, name)
	if s == "" {
		return "", workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: %s is empty", action, name))
	}
	return s, nil
}

// emailAddress checks a rendered recipient or assignee.
func emailAddress(action, param string, params map[string]any) (string, error) {
	s := text(params, param)
	if s == "" {
		return "", workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: %s is empty (the variable it comes from has no value)", action, param))
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: %s %q is not an email address", action, param, s))
	}
	return strings.ToLower(addr.Address), nil
}

// ExpressionFailure classifies a failed evaluation of a step's templates or expressions. An evaluation
// stopped by its budget is permanent: the same data would stop it the same way. The time limit is a
// timeout; an evaluation stopped by its caller (the run was cancelled, the server is stopping, the step ran
// out of time) is transient, and the engine decides what it means. Anything else is a mistake in the
// expression or the data.
func ExpressionFailure(err error) error {
	var le *expression.LimitError
	if errors.As(err, &le) {
		switch le.Limit {
		case expression.LimitStopped:
			return workflow.Transient(workflow.ClassTimeout, err)
		case expression.LimitTime:
			return workflow.Permanent(workflow.ClassTimeout, err)
		}
	}
	return workflow.Permanent(workflow.ClassExpression, err)
}

// boolParam reads a rendered yes-or-no parameter: true or false, or their words from a template; missing
// is false.
func boolParam(action string, params map[string]any, name string) (bool, error) {
	switch v := params[name].(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "false", "no":
			return false, nil
		case "true", "yes":
			return true, nil
		}
	}
	return false, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("%s: %s is %q; use true or false", action, name, text(params, name)))
}

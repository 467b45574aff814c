package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/secrets"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// SecretSource opens the secrets a step uses (secrets.Vault).
type SecretSource interface {
	Values(ctx context.Context, names []string) (map[string]string, error)
}

// stepSecrets opens the secrets a step names, read afresh for every run of the step, so a rotated secret is
// used from its next run on. A step gets the secrets it names and no others.
func (e *Engine) stepSecrets(ctx context.Context, names []string) (map[string]string, error) {
	if e.secrets == nil {
		return nil, workflow.Permanent(workflow.ClassOther, secrets.ErrNoKey)
	}
	values, err := e.secrets.Values(ctx, names)
	var missing *secrets.MissingError
	switch {
	case err == nil:
		return values, nil
	case errors.As(err, &missing):
		return nil, workflow.Permanent(workflow.ClassValidation, err)
	case errors.Is(err, secrets.ErrNoKey), errors.Is(err, secrets.ErrWrongKey):
		return nil, workflow.Permanent(workflow.ClassOther, err)
	}
	return nil, workflow.Transient(workflow.ClassOther, fmt.Errorf("read the step's secrets: %w", err))
}

// scrubber hides secret values wherever a step's result would carry them — its output (an API that echoes
// the request), its message, its error, a test run's record — in the forms a request carries them in: as
// written, URL-encoded and JSON-escaped. Each becomes [secret NAME].
type scrubber struct{ r *strings.Replacer }

func newScrubber(values map[string]string) *scrubber {
	type pair struct{ from, to string }
	var pairs []pair
	for name, v := range values {
		quoted, _ := json.Marshal(v)
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), string(quoted[1 : len(quoted)-1])} {
			pairs = append(pairs, pair{form, "[secret " + name + "]"})
		}
	}
	// Longer forms first: the replacer tries its pairs in order at each position.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].from) > len(pairs[j].from) })
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		if p.from != "" {
			args = append(args, p.from, p.to)
		}
	}
	return &scrubber{r: strings.NewReplacer(args...)}
}

func (s *scrubber) text(v string) string { return s.r.Replace(v) }

// value returns a copy of v with every string scrubbed.
func (s *scrubber) value(v any) any {
	switch x := v.(type) {
	case string:
		return s.text(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[s.text(k)] = s.value(item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = s.value(item)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, item := range x {
			out[i] = s.text(item)
		}
		return out
	case map[string][]string:
		out := make(map[string][]string, len(x))
		for k, item := range x {
			out[k] = s.value(item).([]string)
		}
		return out
	}
	return v
}

func (s *scrubber) values(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return s.value(m).(map[string]any)
}

// err keeps an error's class and whether retrying can help, with its text scrubbed.
func (s *scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	text := s.text(err.Error())
	if text == err.Error() {
		return err
	}
	scrubbed := errors.New(text)
	var se *workflow.StepError
	if errors.As(err, &se) {
		return &workflow.StepError{Class: se.Class, Permanent: se.Permanent, Err: scrubbed}
	}
	return scrubbed
}

// result scrubs what an action returned.
func (s *scrubber) result(res actions.Result, err error) (actions.Result, error) {
	res.Output = s.value(res.Output)
	res.Vars = s.values(res.Vars)
	res.Message = s.text(res.Message)
	return res, s.err(err)
}

package analytics

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// ErrNotApplicable means a suggestion has no mechanical change.
var ErrNotApplicable = errors.New("this suggestion cannot be applied automatically")

// Apply returns a copy of def with the fix made. def itself is not changed. The caller validates the result
// (saving a version does).
func Apply(def *workflow.Definition, fix *Fix) (*workflow.Definition, error) {
	if fix == nil {
		return nil, ErrNotApplicable
	}
	out, err := clone(def)
	if err != nil {
		return nil, err
	}
	for _, id := range fix.Steps {
		if _, ok := out.StepByID(id); !ok {
			return nil, fmt.Errorf("apply %s: the definition has no step %q", fix.Kind, id)
		}
	}
	switch fix.Kind {
	case RuleParallelize:
		err = parallelize(out, fix.Steps, fix.ParallelStepID)
	case RuleRetry:
		s, _ := out.StepByID(fix.Steps[0])
		s.ErrorHandling = &workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: fix.RetryCount,
			RetryDelay: fix.RetryDelay, Backoff: fix.Backoff}
	case RuleTimeout:
		s, _ := out.StepByID(fix.Steps[0])
		params, _ := s.Configuration["parameters"].(map[string]any)
		if params == nil {
			params = map[string]any{}
			s.Configuration["parameters"] = params
		}
		params["timeout"] = fix.Timeout
	case RuleDueDate:
		s, _ := out.StepByID(fix.Steps[0])
		s.Configuration["dueDate"] = fix.DueDate
	default:
		return nil, fmt.Errorf("apply: unknown change %q", fix.Kind)
	}
	if err != nil {
		return nil, err
	}
	// A round trip through JSON gives the configuration maps the shapes a decoded definition has.
	return clone(out)
}

func clone(def *workflow.Definition) (*workflow.Definition, error) {
	b, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("copy the definition: %w", err)
	}
	out, err := workflow.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("copy the definition: %w", err)
	}
	return out, nil
}

// parallelize makes the group's steps the branches of a new parallel step that takes the first one's place:
// every edge to the first step now leads to it, each branch ends after its step, and the parallel step's
// nextSteps are what followed the last step of the group.
func parallelize(def *workflow.Definition, group []string, id string) error {
	if len(group) < 2 {
		return errors.New("apply parallelize: a group needs two steps or more")
	}
	if _, taken := def.StepByID(id); taken || id == "" {
		return fmt.Errorf("apply parallelize: the step id %q is taken", id)
	}
	first, _ := def.StepByID(group[0])
	last, _ := def.StepByID(group[len(group)-1])
	names := make([]string, len(group))
	branches := make([]any, len(group))
	for i, g := range group {
		s, _ := def.StepByID(g)
		names[i] = s.Name
		branches[i] = g
	}
	p := workflow.Step{
		ID: id, Name: "Run " + joinPlain(names) + " in parallel", Type: workflow.StepParallel,
		Configuration: map[string]any{"parallelSteps": branches},
		NextSteps:     slices.Clone(last.NextSteps),
	}
	if first.Position != nil {
		// Left of the first branch, where the designer draws a step before the ones it leads to.
		p.Position = &workflow.Position{X: first.Position.X - 200, Y: first.Position.Y}
	}
	if p.NextSteps == nil {
		p.NextSteps = []string{}
	}
	redirect := func(ids []string) []string {
		for i, s := range ids {
			if s == group[0] {
				ids[i] = id
			}
		}
		return ids
	}
	for i := range def.Steps {
		s := &def.Steps[i]
		if slices.Contains(group, s.ID) {
			s.NextSteps = []string{}
			continue
		}
		s.NextSteps = redirect(s.NextSteps)
		for _, key := range []string{"trueSteps", "falseSteps", "parallelSteps"} {
			if list, ok := s.Configuration[key].([]any); ok {
				for j, v := range list {
					if v == group[0] {
						list[j] = id
					}
				}
			}
		}
	}
	at := slices.IndexFunc(def.Steps, func(s workflow.Step) bool { return s.ID == group[0] })
	def.Steps = slices.Insert(def.Steps, at, p)
	return nil
}

func joinPlain(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

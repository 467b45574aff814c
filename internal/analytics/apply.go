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
		err = setTimeout(out, fix)
	case RuleDueDate:
		s, _ := out.StepByID(fix.Steps[0])
		cfg, ok := s.Config().(*workflow.HumanTaskConfig)
		if !ok {
			return nil, fmt.Errorf("apply %s: step %q is not a human task", fix.Kind, s.ID)
		}
		cfg.DueDate = fix.DueDate
		s.SetConfig(cfg)
	default:
		return nil, fmt.Errorf("apply: unknown change %q", fix.Kind)
	}
	if err != nil {
		return nil, err
	}
	// A round trip through JSON gives the configuration maps the shapes a decoded definition has.
	return clone(out)
}

// setTimeout sets a call_api step's timeout parameter.
func setTimeout(def *workflow.Definition, fix *Fix) error {
	s, _ := def.StepByID(fix.Steps[0])
	cfg, ok := s.Config().(*workflow.ActionConfig)
	if !ok {
		return fmt.Errorf("apply %s: step %q is not an action", fix.Kind, s.ID)
	}
	if cfg.Parameters == nil {
		cfg.Parameters = workflow.NewParams(cfg.Action)
	}
	p, ok := cfg.Parameters.(*workflow.CallAPIParams)
	if !ok {
		return fmt.Errorf("apply %s: step %q runs %s, which has no timeout", fix.Kind, s.ID, cfg.Action)
	}
	p.Timeout = fix.Timeout
	s.SetConfig(cfg)
	return nil
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
	for i, g := range group {
		s, _ := def.StepByID(g)
		names[i] = s.Name
	}
	p := workflow.Step{
		ID: id, Name: "Run " + joinPlain(names) + " in parallel", Type: workflow.StepParallel,
		NextSteps: slices.Clone(last.NextSteps),
	}
	p.SetConfig(&workflow.ParallelConfig{ParallelSteps: slices.Clone(group)})
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
		switch cfg := s.Config().(type) {
		case *workflow.ConditionConfig:
			if slices.Contains(cfg.TrueSteps, group[0]) || slices.Contains(cfg.FalseSteps, group[0]) {
				cfg.TrueSteps, cfg.FalseSteps = redirect(cfg.TrueSteps), redirect(cfg.FalseSteps)
				s.SetConfig(cfg)
			}
		case *workflow.ParallelConfig:
			if slices.Contains(cfg.ParallelSteps, group[0]) {
				cfg.ParallelSteps = redirect(cfg.ParallelSteps)
				s.SetConfig(cfg)
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

package analytics

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/kitchenpantry/pantryflow/internal/words"
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
		ID: id, Name: "Run " + words.List(names) + " in parallel", Type: workflow.StepParallel,
		NextSteps: slices.Clone(last.NextSteps),
	}
	p.SetConfig(&workflow.ParallelConfig{ParallelSteps: slices.Clone(group)})
	if first.Position != nil {
		makeRoom(def, &p, group, *first.Position)
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

// The designer's boxes and the gaps its layout leaves between them (static/js/designer.js: NODE_W, NODE_H,
// dagre's nodesep and ranksep), with room for a name on two lines.
const (
	boxWidth  = 220
	boxHeight = 90
	columnGap = 50
	rowGap    = 70
	row       = boxHeight + rowGap
)

// makeRoom places a new parallel step where the designer draws it, top to bottom: in the first branch's
// place, its branches side by side in the row below it, and every other step that was at or below that
// place moved as one so that its top row comes right below the branches. Steps above stay where they are,
// so nothing new overlaps and the order from top to bottom is kept.
func makeRoom(def *workflow.Definition, p *workflow.Step, group []string, at workflow.Position) {
	p.Position = &workflow.Position{X: at.X, Y: at.Y}
	for i, id := range group {
		s, _ := def.StepByID(id)
		offset := (float64(i) - float64(len(group)-1)/2) * (boxWidth + columnGap)
		s.Position = &workflow.Position{X: at.X + offset, Y: at.Y + row}
	}
	below := func(s *workflow.Step) bool {
		return s.Position != nil && s.Position.Y >= at.Y && !slices.Contains(group, s.ID)
	}
	top, found := 0.0, false
	for i := range def.Steps {
		if s := &def.Steps[i]; below(s) && (!found || s.Position.Y < top) {
			top, found = s.Position.Y, true
		}
	}
	shift := at.Y + 2*row - top
	for i := range def.Steps {
		if s := &def.Steps[i]; found && below(s) {
			s.Position = &workflow.Position{X: s.Position.X, Y: s.Position.Y + shift}
		}
	}
}

// Applied says whether def has the fix made already: applying it again would change nothing (a parallelize
// fix: its parallel step holds the group).
func Applied(def *workflow.Definition, fix *Fix) bool {
	if fix == nil {
		return false
	}
	if fix.Kind == RuleParallelize {
		s, ok := def.StepByID(fix.ParallelStepID)
		if !ok || s.Type != workflow.StepParallel {
			return false
		}
		cfg, ok := s.Config().(*workflow.ParallelConfig)
		return ok && slices.Equal(cfg.ParallelSteps, fix.Steps)
	}
	after, err := Apply(def, fix)
	return err == nil && Same(def, after)
}

// Same says whether two definitions say the same, whatever their ids, versions, metadata and enabled flags.
func Same(a, b *workflow.Definition) bool {
	content := func(d *workflow.Definition) string {
		c := *d
		c.ID, c.Version, c.Metadata, c.Enabled = "", 0, workflow.Metadata{}, false
		j, err := json.Marshal(c)
		if err != nil {
			return ""
		}
		// Through a map, so key order and number shapes are the same on both sides.
		var m any
		if json.Unmarshal(j, &m) != nil {
			return ""
		}
		j, _ = json.Marshal(m)
		return string(j)
	}
	ca, cb := content(a), content(b)
	return ca != "" && ca == cb
}

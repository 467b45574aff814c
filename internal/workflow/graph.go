package workflow

import (
	"fmt"
	"slices"
	"strings"
)

// edgeList is one list of successor ids of a step, with the JSON path it came from.
type edgeList struct {
	path string
	ids  []string
}

func (c *compiler) edgeLists(i int, ps *PlanStep) []edgeList {
	base := fmt.Sprintf("steps[%d]", i)
	lists := []edgeList{{base + ".nextSteps", ps.Next}}
	if ps.Condition != nil {
		lists = append(lists,
			edgeList{base + ".configuration.trueSteps", ps.Condition.TrueSteps},
			edgeList{base + ".configuration.falseSteps", ps.Condition.FalseSteps})
	}
	if ps.Parallel != nil {
		lists = append(lists, edgeList{base + ".configuration.parallelSteps", ps.Parallel})
	}
	return lists
}

// Successors lists every step a step can lead to, in order, without duplicates.
func (p *Plan) Successors(id string) []string {
	ps := p.Steps[id]
	if ps == nil {
		return nil
	}
	var out []string
	add := func(ids []string) {
		for _, s := range ids {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	add(ps.Parallel)
	if ps.Condition != nil {
		add(ps.Condition.TrueSteps)
		add(ps.Condition.FalseSteps)
	}
	add(ps.Next)
	return out
}

func (c *compiler) graph() {
	if len(c.plan.Steps) == 0 {
		return
	}
	for i := range c.def.Steps {
		ps := c.plan.Steps[c.def.Steps[i].ID]
		if ps == nil || ps.Index != i {
			continue
		}
		for _, l := range c.edgeLists(i, ps) {
			for j, id := range l.ids {
				p := fmt.Sprintf("%s[%d]", l.path, j)
				switch {
				case id == "":
					c.problems.add(p, ps.ID, "an empty step id")
				case slices.Index(l.ids, id) != j:
					c.problems.add(p, ps.ID, "step %q is listed twice", c.def.StepName(id))
				case c.plan.Steps[id] == nil:
					if _, exists := c.stepIDs[id]; !exists {
						c.problems.add(p, ps.ID, "step %q leads to %q, which does not exist", c.def.StepName(ps.ID), id)
					}
				}
			}
		}
	}
	c.reachability()
	c.loops()
}

func (c *compiler) reachability() {
	entry := c.def.Steps[0].ID
	if c.plan.Steps[entry] == nil {
		return
	}
	seen := map[string]bool{entry: true}
	queue := []string{entry}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, next := range c.plan.Successors(id) {
			if !seen[next] && c.plan.Steps[next] != nil {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for i, s := range c.def.Steps {
		if s.ID != "" && !seen[s.ID] && c.stepIDs[s.ID] == i {
			c.problems.add(fmt.Sprintf("steps[%d]", i), s.ID, "step %q can never run: no step leads to it from the first step %q", stepName(s), c.def.StepName(entry))
		}
	}
}

// loops reports cycles that contain no delay or human task: such a loop would run forever without pause.
func (c *compiler) loops() {
	for _, scc := range c.stronglyConnected() {
		if len(scc) == 1 && !slices.Contains(c.plan.Successors(scc[0]), scc[0]) {
			continue
		}
		paused := false
		for _, id := range scc {
			if t := c.plan.Steps[id].Type; t == StepDelay || t == StepHumanTask {
				paused = true
			}
		}
		if !paused {
			slices.SortFunc(scc, func(a, b string) int { return c.plan.Steps[a].Index - c.plan.Steps[b].Index })
			first := c.plan.Steps[scc[0]]
			c.problems.add(fmt.Sprintf("steps[%d]", first.Index), first.ID,
				"steps %s form a loop without a delay or human task, so it would run forever; add a delay or a way out",
				strings.Join(scc, " → "))
		}
	}
}

// stronglyConnected is Tarjan's algorithm over the planned steps, in definition order.
func (c *compiler) stronglyConnected() [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var visit func(id string)
	visit = func(id string) {
		index[id], low[id] = next, next
		next++
		stack = append(stack, id)
		onStack[id] = true
		for _, w := range c.plan.Successors(id) {
			if c.plan.Steps[w] == nil {
				continue
			}
			if _, seen := index[w]; !seen {
				visit(w)
				low[id] = min(low[id], low[w])
			} else if onStack[w] {
				low[id] = min(low[id], index[w])
			}
		}
		if low[id] == index[id] {
			var scc []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				scc = append(scc, w)
				if w == id {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for _, s := range c.def.Steps {
		if c.plan.Steps[s.ID] != nil {
			if _, seen := index[s.ID]; !seen {
				visit(s.ID)
			}
		}
	}
	return out
}

// Edge kinds: what makes a step lead to another.
const (
	EdgeParallel = "parallel" // a branch of a parallel step
	EdgeTrue     = "true"     // a condition's trueSteps
	EdgeFalse    = "false"    // a condition's falseSteps
	EdgeNext     = "next"     // nextSteps
)

// Edge is an arrow of the workflow's graph.
type Edge struct {
	From, To string
	Kind     string
}

// Edges lists the plan's arrows in definition order: for each step its parallel branches, its condition's
// true and false steps, then its nextSteps; only arrows to steps the plan has, each as often as it is listed.
func (p *Plan) Edges() []Edge {
	var out []Edge
	for i, s := range p.Def.Steps {
		ps := p.Steps[s.ID]
		if ps == nil || ps.Index != i {
			continue
		}
		add := func(ids []string, kind string) {
			for _, id := range ids {
				if p.Steps[id] != nil {
					out = append(out, Edge{From: ps.ID, To: id, Kind: kind})
				}
			}
		}
		add(ps.Parallel, EdgeParallel)
		if ps.Condition != nil {
			add(ps.Condition.TrueSteps, EdgeTrue)
			add(ps.Condition.FalseSteps, EdgeFalse)
		}
		add(ps.Next, EdgeNext)
	}
	return out
}

// Outline is the shape of a definition that need not compile (a draft, or an old version naming a secret or
// template that has since gone): every step with its typed configuration and the steps it leads to, nothing
// compiled and nothing checked. Pages draw it; the engine runs only what Compile returns.
func Outline(def *Definition) *Plan {
	p := &Plan{Def: def, Steps: map[string]*PlanStep{}}
	for i := range def.Steps {
		s := &def.Steps[i]
		if s.ID == "" || p.Steps[s.ID] != nil {
			continue
		}
		ps := &PlanStep{ID: s.ID, Name: s.Name, Type: s.Type, Index: i, Next: s.NextSteps, Config: s.Config()}
		switch cfg := ps.Config.(type) {
		case *ConditionConfig:
			ps.Condition = &ConditionPlan{Source: cfg.Condition, TrueSteps: cfg.TrueSteps, FalseSteps: cfg.FalseSteps}
		case *ParallelConfig:
			ps.Parallel = cfg.ParallelSteps
		}
		p.Steps[s.ID] = ps
	}
	if len(def.Steps) > 0 {
		p.Entry = def.Steps[0].ID
	}
	return p
}

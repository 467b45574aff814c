package analytics

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// What a step reads and writes decides whether two steps may run at the same time. Resources are named
// "var:<name>" (a variable), "step:<id>" (a step's output, read as steps.<id>), "crm" (CRM records),
// "http:<host>" (another system); "var:*", "step:*" and "http:*" stand for every one of their kind, when
// the definition does not say which (a templated variable name, a dynamic steps[...] lookup, a templated URL).
type access struct {
	reads, writes map[string]bool
}

func newAccess() access { return access{reads: map[string]bool{}, writes: map[string]bool{}} }

// Actions whose effects the definition alone does not show. send_email renders its email template over
// every variable; the record actions change CRM records that get_record (and the next update) read.
var (
	readsAllVariables = map[string]bool{"send_email": true}
	writesCRM         = map[string]bool{"create_record": true, "update_record": true, "create_task": true}
	readsCRM          = map[string]bool{"get_record": true, "find_records": true}
)

var (
	templateRE = regexp.MustCompile(`\{\{(.*?)\}\}`)
	stepsRE    = regexp.MustCompile(`\bsteps\b`)
	// staticStepRef is what may follow "steps" for the reference to name one step.
	staticStepRef = regexp.MustCompile(`^\s*(\?\.|\.)\s*[A-Za-z0-9_]|^\s*\[\s*("[^"]+"|'[^']+')\s*\]`)
)

// stepAccess analyses an action step: its parameters' compiled expressions say which variables and step
// outputs it reads; set_variable writes the variable its literal name parameter names; every step writes its
// own output.
func stepAccess(s *workflow.Step, ps *workflow.PlanStep) access {
	a := newAccess()
	a.writes["step:"+ps.ID] = true
	if ps.Action == nil {
		// Only action steps are analysed; anything else conflicts with everything.
		a.reads["var:*"], a.reads["step:*"], a.writes["var:*"] = true, true, true
		return a
	}
	if ps.Action.Params != nil {
		for _, n := range ps.Action.Params.Names() {
			a.reads["var:"+n] = true
		}
		for _, id := range ps.Action.Params.StepRefs() {
			a.reads["step:"+id] = true
		}
	}
	params, _ := s.Configuration["parameters"].(map[string]any)
	walkStrings(params, func(str string) {
		for _, m := range templateRE.FindAllStringSubmatch(str, -1) {
			expr := m[1]
			if strings.Contains(expr, "$env") {
				a.reads["var:*"], a.reads["step:*"] = true, true
			}
			for _, loc := range stepsRE.FindAllStringIndex(expr, -1) {
				if !staticStepRef.MatchString(expr[loc[1]:]) {
					a.reads["step:*"] = true // steps[someExpression] or steps as a whole
				}
			}
		}
	})
	name := ps.Action.Name
	switch {
	case name == "set_variable":
		if v, ok := params["name"].(string); ok && v != "" && !strings.Contains(v, "{{") {
			a.writes["var:"+v] = true
		} else {
			a.writes["var:*"] = true
		}
	case name == "call_api":
		raw, _ := params["url"].(string)
		host := literalHost(raw)
		method, _ := params["method"].(string)
		switch strings.ToUpper(method) {
		case "", "GET", "HEAD":
			a.reads["http:"+host] = true
		default:
			if strings.Contains(method, "{{") {
				a.writes["http:*"] = true
			} else {
				a.writes["http:"+host] = true
			}
		}
	}
	if readsAllVariables[name] {
		a.reads["var:*"] = true
	}
	if writesCRM[name] {
		a.writes["crm"] = true
	}
	if readsCRM[name] {
		a.reads["crm"] = true
	}
	return a
}

// literalHost is the host of a URL parameter when the definition fixes it, else "*".
func literalHost(raw string) string {
	prefix := raw
	if i := strings.Index(raw, "{{"); i >= 0 {
		prefix = raw[:i]
		_, rest, ok := strings.Cut(prefix, "://")
		if !ok || !strings.Contains(rest, "/") {
			return "*"
		}
	}
	u, err := url.Parse(strings.TrimSpace(prefix))
	if err != nil || u.Host == "" {
		return "*"
	}
	return strings.ToLower(u.Host)
}

func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

// overlaps reports whether two resource names may be the same thing.
func overlaps(a, b string) bool {
	if a == b {
		return true
	}
	ka, na, _ := strings.Cut(a, ":")
	kb, nb, _ := strings.Cut(b, ":")
	return ka == kb && (na == "*" || nb == "*")
}

func anyOverlap(x, y map[string]bool) bool {
	for a := range x {
		for b := range y {
			if overlaps(a, b) {
				return true
			}
		}
	}
	return false
}

// independent reports whether steps x and y (x first) may run at the same time without changing what
// either sees or leaves behind: y reads nothing x writes, x reads nothing y writes, and they write nothing
// in common.
func independent(x, y access) bool {
	return !anyOverlap(x.writes, y.reads) && !anyOverlap(x.reads, y.writes) && !anyOverlap(x.writes, y.writes)
}

// predecessors counts the edges into each step (nextSteps, condition branches, parallel branches).
func predecessors(plan *workflow.Plan) map[string]int {
	n := map[string]int{}
	for _, ps := range plan.Steps {
		lists := [][]string{ps.Next, ps.Parallel}
		if ps.Condition != nil {
			lists = append(lists, ps.Condition.TrueSteps, ps.Condition.FalseSteps)
		}
		for _, l := range lists {
			for _, id := range l {
				n[id]++
			}
		}
	}
	return n
}

// ParallelGroups finds runs of consecutive action steps (each the only successor of the one before, and
// reached from nowhere else) whose members are pairwise independent, in definition order. Each group has
// at least two steps.
func ParallelGroups(def *workflow.Definition, plan *workflow.Plan) [][]string {
	preds := predecessors(plan)
	isAction := func(id string) bool { ps := plan.Steps[id]; return ps != nil && ps.Type == workflow.StepAction }
	// continues says a step only ever runs right after one action step, as its single successor.
	continues := map[string]bool{}
	for _, ps := range plan.Steps {
		if ps.Type == workflow.StepAction && len(ps.Next) == 1 && isAction(ps.Next[0]) && preds[ps.Next[0]] == 1 && ps.Next[0] != ps.ID {
			continues[ps.Next[0]] = true
		}
	}
	accesses := map[string]access{}
	for i := range def.Steps {
		s := &def.Steps[i]
		if ps := plan.Steps[s.ID]; ps != nil && ps.Type == workflow.StepAction {
			accesses[s.ID] = stepAccess(s, ps)
		}
	}
	var groups [][]string
	for _, s := range def.Steps {
		if !isAction(s.ID) || continues[s.ID] {
			continue
		}
		chain := []string{s.ID}
		seen := map[string]bool{s.ID: true}
		for cur := plan.Steps[s.ID]; len(cur.Next) == 1 && continues[cur.Next[0]] && !seen[cur.Next[0]]; cur = plan.Steps[cur.Next[0]] {
			chain = append(chain, cur.Next[0])
			seen[cur.Next[0]] = true
		}
		for i := 0; i < len(chain); {
			j := i
			for j+1 < len(chain) && independentOfAll(accesses, chain[i:j+1], chain[j+1]) {
				j++
			}
			if j > i {
				groups = append(groups, chain[i:j+1])
			}
			i = j + 1
		}
	}
	return groups
}

func independentOfAll(accesses map[string]access, group []string, next string) bool {
	for _, g := range group {
		if !independent(accesses[g], accesses[next]) {
			return false
		}
	}
	return true
}

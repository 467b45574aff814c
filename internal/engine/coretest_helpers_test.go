package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The helpers of the core's table tests: a real compile environment, small definition builders, and a driver
// that plays the shell (it feeds outcomes to Advance and follows Continue and Ready) in a chosen order.

var coreNow = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

type coreBundle struct {
	env Environment
}

func setupCore(tb testing.TB) *coreBundle {
	tb.Helper()
	clk := clock.NewFake(coreNow)
	expr := expression.New(clk, expression.Limits{})
	reg := actions.NewRegistry(actions.Builtin(actions.Deps{Expr: expr, NewID: func() string { return "x" }})...)
	return &coreBundle{env: Environment{Actions: reg, Expr: expr, Clock: clk}}
}

// compile builds a manual workflow of the given steps (the first is the entry) and compiles it for real.
func (cb *coreBundle) compile(tb testing.TB, steps ...workflow.Step) *workflow.Plan {
	tb.Helper()
	def := &workflow.Definition{
		ID: "wf-core", Name: "Core test", Version: 3, Enabled: true,
		Trigger: workflow.Trigger{Type: workflow.TriggerManual},
		Steps:   steps,
		Variables: []workflow.Variable{
			{Name: "x", Type: "number"},
			{Name: "decision", Type: "string"},
		},
	}
	plan, problems := workflow.Compile(def, cb.env)
	if problems != nil {
		tb.Fatalf("compile: %v", problems)
	}
	return plan
}

// startVars are the variables a checked start gives: every declared one present.
func startVars() map[string]any { return map[string]any{"x": nil, "decision": nil} }

func anyList(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func defAction(id string, next ...string) workflow.Step {
	return workflow.Step{ID: id, Name: "Step " + id, Type: workflow.StepAction, NextSteps: next,
		Configuration: map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "x", "value": 1.0}}}
}

func defCondition(id, cond string, trueSteps, falseSteps []string) workflow.Step {
	return workflow.Step{ID: id, Name: "Step " + id, Type: workflow.StepCondition,
		Configuration: map[string]any{"condition": cond, "trueSteps": anyList(trueSteps), "falseSteps": anyList(falseSteps)}}
}

func defParallel(id string, branches []string, next ...string) workflow.Step {
	return workflow.Step{ID: id, Name: "Step " + id, Type: workflow.StepParallel, NextSteps: next,
		Configuration: map[string]any{"parallelSteps": anyList(branches)}}
}

func defDelay(id string, seconds float64, next ...string) workflow.Step {
	return workflow.Step{ID: id, Name: "Step " + id, Type: workflow.StepDelay, NextSteps: next,
		Configuration: map[string]any{"duration": seconds}}
}

func defTask(id string, next ...string) workflow.Step {
	return workflow.Step{ID: id, Name: "Step " + id, Type: workflow.StepHumanTask, NextSteps: next,
		Configuration: map[string]any{
			"assignee": "rep@example.com", "title": "Call the lead",
			"formFields": []any{map[string]any{"name": "decision", "type": "text", "required": true}},
		}}
}

func withErrors(s workflow.Step, eh workflow.ErrorHandling) workflow.Step {
	s.ErrorHandling = &eh
	return s
}

func errTransient() error {
	return workflow.Transient(workflow.ClassHTTP5xx, errors.New("503 Service Unavailable"))
}

func errPermanent() error {
	return workflow.Permanent(workflow.ClassValidation, errors.New("no such lead"))
}

func failWith(err error) func(int) Outcome {
	return func(int) Outcome { return Outcome{Kind: Failed, Err: err} }
}

func mustAdvance(tb testing.TB, plan *workflow.Plan, r *Run, branchID int, o Outcome, now time.Time) Transition {
	tb.Helper()
	tr, err := Advance(plan, r, branchID, o, now)
	if err != nil {
		tb.Fatalf("advance branch %d: %v", branchID, err)
	}
	return tr
}

// logLines renders a log as "step action" lines, the shape most assertions compare.
func logLines(log []workflow.LogEntry) []string {
	out := make([]string, len(log))
	for i, e := range log {
		out[i] = e.StepID + " " + string(e.Action)
	}
	return out
}

func wantLog(tb testing.TB, log []workflow.LogEntry, want ...string) {
	tb.Helper()
	if got := logLines(log); !slices.Equal(got, want) {
		tb.Fatalf("log:\n  got  %s\n  want %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

func countLog(log []workflow.LogEntry, step string, action workflow.LogAction) int {
	n := 0
	for _, e := range log {
		if e.StepID == step && e.Action == action {
			n++
		}
	}
	return n
}

// indexLog is the position of the first entry for step and action, or -1.
func indexLog(log []workflow.LogEntry, step string, action workflow.LogAction) int {
	return slices.IndexFunc(log, func(e workflow.LogEntry) bool { return e.StepID == step && e.Action == action })
}

func readyIDs(r *Run) []int {
	var out []int
	for _, b := range r.State.Branches {
		if b.State == BranchReady {
			out = append(out, b.ID)
		}
	}
	slices.Sort(out)
	return out
}

// chooser picks which of the branches announced ready (in announcement order) the shell runs next.
type chooser func(ready []Branch) int

func chooseFIFO(ready []Branch) int { return 0 }

// chooseLIFO always runs the branch announced last: a job that keeps its Continue branch going.
func chooseLIFO(ready []Branch) int { return len(ready) - 1 }

// chooseRoundRobin runs the branch with the next higher id after the one run last, wrapping around.
func chooseRoundRobin() chooser {
	last := 0
	return func(ready []Branch) int {
		best := -1
		for i, b := range ready {
			if b.ID > last && (best < 0 || b.ID < ready[best].ID) {
				best = i
			}
		}
		if best < 0 {
			for i, b := range ready {
				if best < 0 || b.ID < ready[best].ID {
					best = i
				}
			}
		}
		last = ready[best].ID
		return best
	}
}

// chooseByStep runs the ready branch whose step comes first in order (steps not listed come last).
func chooseByStep(order ...string) chooser {
	return func(ready []Branch) int {
		rank := func(b Branch) int {
			if i := slices.Index(order, b.Step); i >= 0 {
				return i
			}
			return len(order)
		}
		best := 0
		for i, b := range ready {
			if rank(b) < rank(ready[best]) {
				best = i
			}
		}
		return best
	}
}

func chooseRandom(seed uint64) chooser {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(ready []Branch) int { return rng.IntN(len(ready)) }
}

// replay enumerates every sequence of choices depth first: each run replays a prefix of choices and takes the
// first option after it; next moves to the following sequence.
type replay struct {
	path, counts []int
	pos          int
}

func (rp *replay) choose(ready []Branch) int {
	if rp.pos == len(rp.path) {
		rp.path = append(rp.path, 0)
		rp.counts = append(rp.counts, 0)
	}
	rp.counts[rp.pos] = len(ready)
	c := rp.path[rp.pos]
	rp.pos++
	return c
}

func (rp *replay) next() bool {
	rp.path, rp.counts = rp.path[:rp.pos], rp.counts[:rp.pos]
	rp.pos = 0
	for i := len(rp.path) - 1; i >= 0; i-- {
		if rp.path[i]+1 < rp.counts[i] {
			rp.path[i]++
			rp.path, rp.counts = rp.path[:i+1], rp.counts[:i+1]
			return true
		}
	}
	return false
}

// forEachInterleaving calls run once per distinct order of choices and returns how many orders there were.
func forEachInterleaving(tb testing.TB, limit int, run func(choose chooser)) int {
	tb.Helper()
	rp := &replay{}
	for n := 1; ; n++ {
		run(rp.choose)
		if !rp.next() {
			return n
		}
		if n >= limit {
			tb.Fatalf("more than %d interleavings", limit)
		}
	}
}

// coreDriver plays the shell: it runs ready branches in the order its chooser picks, feeding Advance the
// scripted outcome of each step (or the outcome the step type gives by default), and follows Continue and
// Ready. After every transition it checks that the branches announced ready are exactly the ready ones and
// that activations only grow.
type coreDriver struct {
	tb     testing.TB
	plan   *workflow.Plan
	run    *Run
	script map[string]func(attempt int) Outcome
	choose chooser
	now    time.Time
	// fireTimers moves the clock to the earliest wake time and fires the timers when nothing is ready.
	fireTimers bool
	// roundTrip stores and reloads the state as JSON after every transition, as the shell does.
	roundTrip bool

	log      []workflow.LogEntry
	pending  []int
	statuses []workflow.ExecutionStatus // the status after each transition
	seenAct  map[int64]string           // activation → the step it entered
	maxAct   int64
}

func newDriver(tb testing.TB, plan *workflow.Plan, r *Run, script map[string]func(int) Outcome, choose chooser) *coreDriver {
	tb.Helper()
	d := &coreDriver{tb: tb, plan: plan, run: r, script: script, choose: choose, now: coreNow, seenAct: map[int64]string{}}
	if choose == nil {
		d.choose = chooseFIFO
	}
	d.pending = readyIDs(r)
	d.noteActivations()
	return d
}

// runToIdle advances until no branch is ready (and, with fireTimers, no timer is left to fire).
func (d *coreDriver) runToIdle() {
	d.tb.Helper()
	for steps := 0; ; steps++ {
		if steps > 1000 {
			d.tb.Fatalf("the run does not settle: %s", strings.Join(logLines(d.log), ", "))
		}
		if len(d.pending) == 0 {
			if at := d.run.State.WaitingUntil(); d.fireTimers && d.run.Status.Active() && at != nil {
				d.now = *at
				d.absorb(FireTimers(d.plan, d.run, d.now), 0)
				continue
			}
			return
		}
		d.stepOnce()
	}
}

// stepOnce advances the pending branch the chooser picks.
func (d *coreDriver) stepOnce() {
	d.tb.Helper()
	ready := make([]Branch, len(d.pending))
	for i, id := range d.pending {
		ready[i] = *d.run.State.Branch(id)
	}
	i := d.choose(ready)
	id := d.pending[i]
	d.pending = slices.Delete(d.pending, i, i+1)
	tr, err := Advance(d.plan, d.run, id, d.outcome(ready[i]), d.now)
	if err != nil {
		d.tb.Fatalf("advance branch %d at %s: %v", id, ready[i].Step, err)
	}
	d.absorb(tr, id)
}

func (d *coreDriver) completeTask(taskID string, values map[string]any, by string) Transition {
	d.tb.Helper()
	tr, err := CompleteTask(d.plan, d.run, taskID, values, by, d.now)
	if err != nil {
		d.tb.Fatalf("complete task %s: %v", taskID, err)
	}
	d.absorb(tr, 0)
	return tr
}

func (d *coreDriver) outcome(b Branch) Outcome {
	d.tb.Helper()
	if b.Phase == PhaseResume {
		return Outcome{Kind: Completed, Message: "Waited"}
	}
	if f := d.script[b.Step]; f != nil {
		return f(b.Attempt)
	}
	step := d.plan.Step(b.Step)
	switch step.Type {
	case workflow.StepAction:
		return Outcome{Kind: Completed, Output: map[string]any{"step": b.Step}}
	case workflow.StepParallel:
		return Outcome{Kind: Forked}
	case workflow.StepDelay:
		return Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: d.now.Add(step.Delay.Duration)}
	case workflow.StepHumanTask:
		return Outcome{Kind: Waiting, Wait: WaitTask, TaskID: fmt.Sprintf("task-%s-%d", b.Step, b.Activation)}
	}
	d.tb.Fatalf("no script for step %s of type %s", b.Step, step.Type)
	return Outcome{}
}

// absorb records a transition the way a shell would: Continue and Ready become pending work.
func (d *coreDriver) absorb(tr Transition, advanced int) {
	d.tb.Helper()
	d.log = append(d.log, tr.Log...)
	d.statuses = append(d.statuses, d.run.Status)
	if tr.Continue != 0 && tr.Continue != advanced {
		d.tb.Fatalf("Continue is branch %d, but branch %d was advanced", tr.Continue, advanced)
	}
	for _, id := range tr.Ready {
		if id == tr.Continue || slices.Contains(d.pending, id) {
			d.tb.Fatalf("branch %d announced twice (Ready %v, Continue %d, pending %v)", id, tr.Ready, tr.Continue, d.pending)
		}
		d.pending = append(d.pending, id)
	}
	if tr.Continue != 0 {
		d.pending = append(d.pending, tr.Continue)
	}
	if !d.run.Status.Active() {
		d.pending = nil // a job for a branch of a finished run finds nothing to do
	}
	if d.roundTrip {
		data, err := json.Marshal(d.run.State)
		if err != nil {
			d.tb.Fatalf("encode state: %v", err)
		}
		var st State
		if err := json.Unmarshal(data, &st); err != nil {
			d.tb.Fatalf("decode state: %v", err)
		}
		d.run.State = st
	}
	if got, want := slices.Sorted(slices.Values(d.pending)), readyIDs(d.run); !slices.Equal(got, want) {
		d.tb.Fatalf("branches announced ready %v, branches ready in the state %v", got, want)
	}
	for _, b := range d.run.State.Branches {
		if b.Frame != 0 && d.run.State.frame(b.Frame) == nil {
			d.tb.Fatalf("branch %d is in frame %d, which does not exist", b.ID, b.Frame)
		}
	}
	d.noteActivations()
}

// noteActivations checks that an activation always names the same step and that new ones are larger than
// every earlier one.
func (d *coreDriver) noteActivations() {
	d.tb.Helper()
	prevMax := d.maxAct
	for _, b := range d.run.State.Branches {
		if step, seen := d.seenAct[b.Activation]; seen {
			if step != b.Step {
				d.tb.Fatalf("activation %d was step %s, now branch %d has it at step %s", b.Activation, step, b.ID, b.Step)
			}
			continue
		}
		if b.Activation <= prevMax {
			d.tb.Fatalf("branch %d entered %s with activation %d, not above the earlier %d", b.ID, b.Step, b.Activation, prevMax)
		}
		d.seenAct[b.Activation] = b.Step
		d.maxAct = max(d.maxAct, b.Activation)
	}
}

// planShape copies every edge list of a plan and the definition's JSON, to prove the core never writes them.
func planShape(tb testing.TB, plan *workflow.Plan) string {
	tb.Helper()
	var b strings.Builder
	ids := make([]string, 0, len(plan.Steps))
	for id := range plan.Steps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := plan.Steps[id]
		fmt.Fprintf(&b, "%s next=%q parallel=%q", id, s.Next, s.Parallel)
		if s.Condition != nil {
			fmt.Fprintf(&b, " true=%q false=%q", s.Condition.TrueSteps, s.Condition.FalseSteps)
		}
		b.WriteString("\n")
	}
	def, err := json.Marshal(plan.Def)
	if err != nil {
		tb.Fatalf("encode definition: %v", err)
	}
	b.Write(def)
	return b.String()
}

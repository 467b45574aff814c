package analytics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Suggestion types and levels, as in the seed's OptimizationSuggestion.
const (
	TypePerformance    = "performance"
	TypeReliability    = "reliability"
	TypeUserExperience = "user_experience"

	High   = "high"
	Medium = "medium"
	Low    = "low"

	Easy    = "easy"
	Complex = "complex"
)

// Rules.
const (
	RuleParallelize = "parallelize"
	RuleRetry       = "retry"
	RuleTimeout     = "timeout"
	RuleDueDate     = "due_date"
	RuleTaskOverdue = "task_overdue"
	RuleBranch      = "branch_never_taken"
	RuleContinue    = "continue_failing"
)

// Thresholds of the rules. A rule judges a step only on enough data, and fires only on a clear signal.
const (
	// MinAttempts is how many ended attempts a step needs in the window before any rule judges it, and
	// MinRuns how many completed executions the parallelize rule needs to know how long a run takes.
	MinAttempts = 10
	MinRuns     = 10
	// Parallelize: running the group side by side must save at least this much of a run's median…
	MinSavingMs    = 250
	MinSavingShare = 0.10
	// Retry and timeout: the step fails at least this often, in at least MinFailures attempts, and more
	// than half of the failures are transient (retry) or timeouts (timeout).
	MinFailureRate = 2.0 // percent
	MinFailures    = 3
	// Human tasks: half of them wait longer than this (slow), or this share of the ones with a due date
	// were done late or are overdue now, out of at least MinDueTasks.
	SlowTaskWait    = 24 * time.Hour
	OverdueShare    = 0.20
	MinDueTasks     = 5
	MaxTimeoutSecs  = 60 // call_api's largest timeout
	defaultTimeout  = 10 // call_api's default, in seconds
	BranchWindow    = 50 // a condition's most recent evaluations looked at
	ContinueFailing = 10.0
)

// Suggestion is the seed's OptimizationSuggestion with an id, the rule that made it, the numbers behind it
// and, when it can be applied mechanically, the change (Fix).
type Suggestion struct {
	ID                   string     `json:"id"`
	Type                 string     `json:"type"`
	StepID               string     `json:"stepId"`
	Suggestion           string     `json:"suggestion"`
	PotentialImpact      string     `json:"potentialImpact"`
	ImplementationEffort string     `json:"implementationEffort"`
	Rule                 string     `json:"rule"`
	Steps                []string   `json:"steps"`
	Evidence             []Evidence `json:"evidence"`
	Applicable           bool       `json:"applicable"`
	// Fix is the change applying makes; NotApplicable says why there is none.
	Fix           *Fix   `json:"fix,omitempty"`
	NotApplicable string `json:"notApplicable,omitempty"`
	// AppliedIn is the first version after the active one that has the fix made already (0: none).
	AppliedIn int `json:"appliedIn,omitempty"`
	// RunsURL is where the runs behind the suggestion are, one click away.
	RunsURL string `json:"runsUrl,omitempty"`
}

// Evidence is one number behind a suggestion.
type Evidence struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// Fix is a mechanical change to a definition.
type Fix struct {
	Kind           string   `json:"kind"` // parallelize, retry, timeout, due_date
	Steps          []string `json:"steps"`
	ParallelStepID string   `json:"parallelStepId,omitempty"`
	RetryCount     int      `json:"retryCount,omitempty"`
	RetryDelay     float64  `json:"retryDelay,omitempty"` // seconds
	Backoff        string   `json:"backoff,omitempty"`
	Timeout        float64  `json:"timeout,omitempty"` // seconds
	DueDate        string   `json:"dueDate,omitempty"`
}

// OpenTasks are a human task step's tasks still open now.
type OpenTasks struct {
	Step    string
	Open    int64
	WithDue int64
	Overdue int64 // open past their due date
}

// SuggestInput is what the rules look at: one version's definition and plan, and its aggregates over the
// window (step cells by hour).
type SuggestInput struct {
	Def  *workflow.Definition
	Plan *workflow.Plan
	Agg  *Aggregates
	Open []OpenTasks
	// Failures are the version's failed runs in the window by step and reason (words.Reason of the error).
	Failures []FailureReason
}

// FailureReason is how many runs failed at a step for one reason.
type FailureReason struct {
	Step, Reason string
	Runs         int64
}

// Suggest runs every rule, most impactful suggestions first.
func Suggest(in SuggestInput) []Suggestion {
	r := &rules{in: in, totals: StepTotals(in.Agg), runs: Summarize(in.Agg.Runs), open: map[string]OpenTasks{}}
	for _, o := range in.Open {
		r.open[o.Step] = o
	}
	r.parallelize()
	for i := range in.Def.Steps {
		s := &in.Def.Steps[i]
		ps := in.Plan.Steps[s.ID]
		if ps == nil {
			continue
		}
		r.retry(ps)
		r.timeout(s, ps)
		r.humanTask(s, ps)
		r.branch(ps)
		r.continueFailing(ps)
		r.guard(ps)
	}
	rank := map[string]int{High: 0, Medium: 1, Low: 2}
	slices.SortStableFunc(r.out, func(a, b Suggestion) int {
		if d := rank[a.PotentialImpact] - rank[b.PotentialImpact]; d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return r.out
}

type rules struct {
	in     SuggestInput
	totals map[string]*StepCell
	runs   RunSummary
	open   map[string]OpenTasks
	out    []Suggestion
}

func (r *rules) cell(id string) *StepCell {
	if c := r.totals[id]; c != nil {
		return c
	}
	return &StepCell{}
}

func (r *rules) name(id string) string {
	if ps := r.in.Plan.Steps[id]; ps != nil && ps.Name != "" {
		return "“" + ps.Name + "”"
	}
	return "“" + id + "”"
}

func (r *rules) add(s Suggestion) {
	if s.Steps == nil {
		s.Steps = []string{s.StepID}
	}
	s.Applicable = s.Fix != nil
	r.out = append(r.out, s)
}

// parallelize: consecutive independent action steps (see ParallelGroups) whose side-by-side run saves at
// least MinSavingMs and MinSavingShare of the median run. Saving = Σ p50 − max p50 of the group.
func (r *rules) parallelize() {
	median, ok := r.runs.Durations.Percentile(50)
	if !ok || r.runs.Durations.Count() < MinRuns {
		return
	}
	for _, group := range ParallelGroups(r.in.Def, r.in.Plan) {
		var sum, longest int64
		enough, reliable := true, true
		for _, id := range group {
			c := r.cell(id)
			p50, ok := c.Durations.Percentile(50)
			if !ok || c.Attempts() < MinAttempts {
				enough = false
				break
			}
			sum += p50
			longest = max(longest, p50)
			if Rate(c.Failures(), c.Attempts()) >= 1 {
				reliable = false
			}
		}
		saving := sum - longest
		if !enough || saving < MinSavingMs || float64(saving) < MinSavingShare*float64(median) {
			continue
		}
		share := float64(saving) / float64(max(median, 1))
		impact := Low
		switch {
		case share >= 0.30:
			impact = High
		case share >= 0.15:
			impact = Medium
		}
		effort := Easy
		if !reliable {
			effort = Medium // with failing members, a failure no longer stops the later steps first
		}
		names := make([]string, len(group))
		for i, id := range group {
			names[i] = r.name(id)
		}
		r.add(Suggestion{
			ID: RuleParallelize + "." + strings.Join(group, "."), Type: TypePerformance, StepID: group[0],
			Rule: RuleParallelize, Steps: group, PotentialImpact: impact, ImplementationEffort: effort,
			Suggestion: fmt.Sprintf("Run %s at the same time: none of them uses what another one produces (checked from what each step reads and writes), and one after another they take %s of a %s median run. Side by side, a run should take about %s less.",
				words.List(names), words.Ms(sum), words.Ms(median), words.Ms(saving)),
			Evidence: []Evidence{{"stepsP50Sum", float64(sum), "ms"}, {"longestStepP50", float64(longest), "ms"},
				{"estimatedSaving", float64(saving), "ms"}, {"medianRun", float64(median), "ms"},
				{"completedRuns", float64(r.runs.Durations.Count()), ""}},
			Fix: &Fix{Kind: RuleParallelize, Steps: group, ParallelStepID: parallelStepID(r.in.Def, group)},
		})
	}
}

// failureImpact grades the share of attempts a problem touches.
func failureImpact(rate float64) string {
	switch {
	case rate >= 10:
		return High
	case rate >= 3:
		return Medium
	}
	return Low
}

// retry: an action step without retry or continue whose failures (at least MinFailures, MinFailureRate of
// its attempts) are mostly transient.
func (r *rules) retry(ps *workflow.PlanStep) {
	c := r.cell(ps.ID)
	if ps.Type != workflow.StepAction || ps.OnError == workflow.OnErrorRetry || ps.OnError == workflow.OnErrorContinue {
		return
	}
	failures, rate := c.Failures(), Rate(c.Failures(), c.Attempts())
	if c.Attempts() < MinAttempts || failures < MinFailures || rate < MinFailureRate || 2*c.Transient <= failures {
		return
	}
	share := float64(c.Transient) / float64(failures)
	effort := Easy
	if share < 0.8 {
		effort = Medium // a fifth or more of the failures will still fail: look at those too
	}
	delay := 10.0
	switch top := topTransient(c.Reasons); top {
	case "timeout":
		delay = 30
	case "http_4xx": // 429: the other side asks us to slow down
		delay = 60
	}
	r.add(Suggestion{
		ID: RuleRetry + "." + ps.ID, Type: TypeReliability, StepID: ps.ID, Rule: RuleRetry,
		PotentialImpact: failureImpact(rate), ImplementationEffort: effort,
		Suggestion: fmt.Sprintf("Retry %s with exponential backoff: it fails in %s of its attempts (%d of %d), and %d of those %d failures (%s) were transient (timeouts, 5xx answers, network errors, 429 or 408), which a retry a little later usually gets past. Failures by reason: %s.",
			r.name(ps.ID), words.Pct(rate), failures, c.Attempts(), c.Transient, failures, words.Pct(100*share), reasonList(c.Reasons)),
		Evidence: []Evidence{{"attempts", float64(c.Attempts()), ""}, {"failures", float64(failures), ""},
			{"failureRate", rate, "%"}, {"transientFailures", float64(c.Transient), ""}, {"transientShare", Rate(c.Transient, failures), "%"}},
		Fix: &Fix{Kind: RuleRetry, Steps: []string{ps.ID}, RetryCount: 3, RetryDelay: delay, Backoff: "exponential"},
	})
}

// topTransient is the most frequent transient reason class.
func topTransient(reasons map[string]int64) string {
	m := map[string]int64{}
	for k, v := range reasons {
		if k == "timeout" || k == "http_5xx" || k == "network" || k == "http_4xx" {
			m[k] = v
		}
	}
	return topReason(m)
}

// timeout: a call_api step whose failures (at least MinFailures, MinFailureRate) are mostly timeouts.
func (r *rules) timeout(s *workflow.Step, ps *workflow.PlanStep) {
	if ps.Action == nil || ps.Action.Name != "call_api" {
		return
	}
	c := r.cell(ps.ID)
	failures, timeouts := c.Failures(), c.Reasons["timeout"]
	rate := Rate(failures, c.Attempts())
	if c.Attempts() < MinAttempts || failures < MinFailures || rate < MinFailureRate || 2*timeouts <= failures {
		return
	}
	sg := Suggestion{
		ID: RuleTimeout + "." + ps.ID, Type: TypeReliability, StepID: ps.ID, Rule: RuleTimeout,
		PotentialImpact: failureImpact(Rate(timeouts, c.Attempts())), ImplementationEffort: Easy,
		Evidence: []Evidence{{"attempts", float64(c.Attempts()), ""}, {"failures", float64(failures), ""},
			{"timeouts", float64(timeouts), ""}, {"timeoutShare", Rate(timeouts, failures), "%"}},
	}
	params, _ := s.Configuration["parameters"].(map[string]any)
	current := float64(defaultTimeout)
	switch v := params["timeout"].(type) {
	case float64:
		current = v
	case string:
		sg.NotApplicable = "the timeout is an expression; change it in the designer"
	}
	sg.Evidence = append(sg.Evidence, Evidence{"timeout", current, "s"})
	raised := math.Min(MaxTimeoutSecs, math.Max(2*current, current+1))
	switch {
	case sg.NotApplicable != "":
		sg.Suggestion = fmt.Sprintf("Raise the timeout of %s: %d of its %d failures were timeouts.", r.name(ps.ID), timeouts, failures)
	case current >= MaxTimeoutSecs:
		sg.NotApplicable = fmt.Sprintf("the timeout is already the largest allowed (%d s)", MaxTimeoutSecs)
		sg.Suggestion = fmt.Sprintf("%s times out in %d of its %d failures although it waits the longest allowed (%d s): the API it calls needs attention, or a job on its side that Pantryflow polls.",
			r.name(ps.ID), timeouts, failures, MaxTimeoutSecs)
		sg.ImplementationEffort = Complex
	default:
		sg.Suggestion = fmt.Sprintf("Raise the timeout of %s from %s to %s: %d of its %d failures (%s) were timeouts.",
			r.name(ps.ID), words.Seconds(current), words.Seconds(raised), timeouts, failures, words.Pct(Rate(timeouts, failures)))
		sg.Fix = &Fix{Kind: RuleTimeout, Steps: []string{ps.ID}, Timeout: raised}
	}
	r.add(sg)
}

// humanTask: a task that half the time waits longer than SlowTaskWait and has no due date gets one; a task
// whose tasks with a due date are late or overdue OverdueShare of the time needs a reminder or another
// assignee.
func (r *rules) humanTask(s *workflow.Step, ps *workflow.PlanStep) {
	if ps.Type != workflow.StepHumanTask {
		return
	}
	c := r.cell(ps.ID)
	hasDue := ps.Human != nil && ps.Human.DueDate != nil
	if p50, ok := c.Durations.Percentile(50); ok && c.Completed >= MinAttempts && !hasDue && p50 >= SlowTaskWait.Milliseconds() {
		days := int(math.Ceil(float64(p50) / float64(24*time.Hour.Milliseconds())))
		p95, _ := c.Durations.Percentile(95)
		impact := Medium
		if p50 >= 3*SlowTaskWait.Milliseconds() {
			impact = High
		}
		due := fmt.Sprintf("+%d days", days)
		if days == 1 {
			due = "+1 day"
		}
		r.add(Suggestion{
			ID: RuleDueDate + "." + ps.ID, Type: TypeUserExperience, StepID: ps.ID, Rule: RuleDueDate,
			PotentialImpact: impact, ImplementationEffort: Easy,
			Suggestion: fmt.Sprintf("Give %s a due date (%s): half of its tasks wait longer than %s (the slowest 5 %% over %s), and without a due date nothing shows the assignee that a task is late.",
				r.name(ps.ID), due, words.Ms(p50), words.Ms(p95)),
			Evidence: []Evidence{{"completedTasks", float64(c.Completed), ""}, {"waitP50", float64(p50), "ms"}, {"waitP95", float64(p95), "ms"}},
			Fix:      &Fix{Kind: RuleDueDate, Steps: []string{ps.ID}, DueDate: due},
		})
	}
	o := r.open[ps.ID]
	withDue, late := c.TasksWithDue+o.WithDue, c.TasksLate+o.Overdue
	if withDue < MinDueTasks || float64(late) < OverdueShare*float64(withDue) {
		return
	}
	share := Rate(late, withDue)
	impact := Medium
	if share >= 50 {
		impact = High
	}
	r.add(Suggestion{
		ID: RuleTaskOverdue + "." + ps.ID, Type: TypeUserExperience, StepID: ps.ID, Rule: RuleTaskOverdue,
		PotentialImpact: impact, ImplementationEffort: Medium,
		Suggestion: fmt.Sprintf("%s is often late: %d of %d tasks with a due date (%s) were done after it or are overdue now. Send the assignee a reminder before the due date, or give the task to another assignee (a team queue or a round robin).",
			r.name(ps.ID), late, withDue, words.Pct(share)),
		Evidence: []Evidence{{"tasksWithDueDate", float64(withDue), ""}, {"lateOrOverdue", float64(late), ""},
			{"lateShare", share, "%"}, {"overdueNow", float64(o.Overdue), ""}},
		NotApplicable: "a reminder or another assignee is a decision to make in the designer",
	})
}

// branch: a condition whose most recent evaluations (whole hours, newest first, until at least
// BranchWindow of them) never took one side.
func (r *rules) branch(ps *workflow.PlanStep) {
	if ps.Condition == nil {
		return
	}
	var hours []int64
	byHour := map[int64]*StepCell{}
	for k, c := range r.in.Agg.Steps {
		if k.Step != ps.ID {
			continue
		}
		if byHour[k.Hour] == nil {
			byHour[k.Hour] = &StepCell{}
			hours = append(hours, k.Hour)
		}
		byHour[k.Hour].Merge(c)
	}
	slices.Sort(hours)
	var yes, no int64
	for i := len(hours) - 1; i >= 0 && yes+no < BranchWindow; i-- {
		yes += byHour[hours[i]].ConditionTrue
		no += byHour[hours[i]].ConditionFalse
	}
	if yes+no < BranchWindow || (yes > 0 && no > 0) {
		return
	}
	side, taken, steps := "false", "true", ps.Condition.FalseSteps
	if yes == 0 {
		side, taken, steps = "true", "false", ps.Condition.TrueSteps
	}
	impact, what := Low, "it leads to no step"
	if len(steps) > 0 {
		impact = Medium
		names := make([]string, len(steps))
		for i, id := range steps {
			names[i] = r.name(id)
		}
		what = "so " + words.List(names) + " never ran"
	}
	r.add(Suggestion{
		ID: RuleBranch + "." + ps.ID + "." + side, Type: TypeReliability, StepID: ps.ID, Rule: RuleBranch,
		PotentialImpact: impact, ImplementationEffort: Medium,
		Suggestion: fmt.Sprintf("The %s branch of %s was not taken in its last %d evaluations (every one was %s), %s. Check the condition (%s): it may be wrong, or the branch may not be needed.",
			side, r.name(ps.ID), yes+no, taken, what, ps.Condition.Source),
		Evidence:      []Evidence{{"evaluations", float64(yes + no), ""}, {"true", float64(yes), ""}, {"false", float64(no), ""}},
		NotApplicable: "whether the condition or the branch is wrong needs a person to decide",
	})
}

// continueFailing: a step set to continue on error that fails in at least ContinueFailing % of MinAttempts
// or more attempts: those runs go on without its result.
func (r *rules) continueFailing(ps *workflow.PlanStep) {
	if ps.OnError != workflow.OnErrorContinue {
		return
	}
	c := r.cell(ps.ID)
	rate := Rate(c.Failures(), c.Attempts())
	if c.Attempts() < MinAttempts || rate < ContinueFailing {
		return
	}
	impact := Low
	switch {
	case rate >= 50:
		impact = High
	case rate >= 25:
		impact = Medium
	}
	r.add(Suggestion{
		ID: RuleContinue + "." + ps.ID, Type: TypeReliability, StepID: ps.ID, Rule: RuleContinue,
		PotentialImpact: impact, ImplementationEffort: Medium,
		Suggestion: fmt.Sprintf("%s fails in %s of its attempts (%d of %d, mostly %s) but is set to continue, so those runs go on without its result and nobody is told. Find out why it fails, or let it fail the run.",
			r.name(ps.ID), words.Pct(rate), c.Failures(), c.Attempts(), topReason(c.Reasons)),
		Evidence:      []Evidence{{"attempts", float64(c.Attempts()), ""}, {"failures", float64(c.Failures()), ""}, {"failureRate", rate, "%"}},
		NotApplicable: "why the step fails needs a person to find out",
	})
}

// RuleGuard: a step that fails for one permanent reason (an empty field, a wrong value) in at least
// MinFailures runs and MinFailureRate of them: retrying cannot help; a condition before it, or the data, can.
const RuleGuard = "guard"

// guard suggests a condition before a step whose runs fail, mostly not transiently, for the same reason.
func (r *rules) guard(ps *workflow.PlanStep) {
	c := r.cell(ps.ID)
	runs := r.runs.Statuses.Total()
	if c.Attempts() < MinAttempts || runs == 0 || 2*c.Transient > c.Failures() {
		return
	}
	var top FailureReason
	for _, f := range r.in.Failures {
		if f.Step == ps.ID && f.Runs > top.Runs {
			top = f
		}
	}
	rate := Rate(top.Runs, runs)
	if top.Runs < MinFailures || rate < MinFailureRate {
		return
	}
	r.add(Suggestion{
		ID: RuleGuard + "." + ps.ID, Type: TypeReliability, StepID: ps.ID, Rule: RuleGuard,
		PotentialImpact: failureImpact(rate), ImplementationEffort: Easy,
		Suggestion: fmt.Sprintf("%s fails in %s of runs (%d of %d) because %s: a retry cannot fix that. Add a condition before it for the records it cannot handle, or fix those records and retry their runs.",
			r.name(ps.ID), words.Pct(rate), top.Runs, runs, top.Reason),
		Evidence:      []Evidence{{"runs", float64(runs), ""}, {"failedRuns", float64(top.Runs), ""}, {"failureRate", rate, "%"}},
		NotApplicable: "which records to leave out is a decision: add the condition in the designer",
		RunsURL:       "/incidents",
	})
}

// parallelStepID is a new step id for a group, not used in def, and within the id rule's length (a step id
// near the limit is shortened, leaving room for a number).
func parallelStepID(def *workflow.Definition, group []string) string {
	base := "parallel_" + group[0]
	if len(base) > workflow.MaxIDLength-4 {
		base = strings.TrimRight(base[:workflow.MaxIDLength-4], "_-")
	}
	id := base
	for n := 2; ; n++ {
		if _, taken := def.StepByID(id); !taken {
			return id
		}
		id = fmt.Sprintf("%s_%d", base, n)
	}
}

// reasonList writes reason counts, most frequent first: "30 timeout, 5 http_5xx".
func reasonList(reasons map[string]int64) string {
	keys := make([]string, 0, len(reasons))
	for k, v := range reasons {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if reasons[a] != reasons[b] {
			return cmpDesc(float64(reasons[a]), float64(reasons[b]))
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", reasons[k], k)
	}
	return strings.Join(parts, ", ")
}

package analytics_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

var now = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// environment is the real validation environment: the built-in actions and the expression engine.
func environment() workflow.Environment {
	clk := clock.NewFake(now)
	return engine.Environment{Actions: actions.NewRegistry(actions.Builtin(actions.Deps{})...),
		Expr: expression.New(clk, expression.Limits{}), Clock: clk}
}

func compile(t *testing.T, src string) (*workflow.Definition, *workflow.Plan) {
	t.Helper()
	def, err := workflow.Decode([]byte(src))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	plan, problems := workflow.Compile(def, environment())
	if problems != nil {
		t.Fatalf("the definition does not compile: %v", problems)
	}
	return def, plan
}

// history builds aggregates of version 1 of workflow "wf", through the same fold the rollups use.
type history struct {
	agg  *analytics.Aggregates
	hour time.Time
}

func newHistory() *history {
	return &history{agg: analytics.NewAggregates(), hour: now.Add(-time.Hour)}
}

// at makes the following entries belong to executions started h hours ago.
func (h *history) at(hoursAgo int) *history {
	h.hour = now.Add(-time.Duration(hoursAgo) * time.Hour)
	return h
}

// log adds n entries.
func (h *history) log(n int, step, action string, ms int64, reason string) *history {
	for range n {
		d := ms
		h.agg.AddLog(analytics.LogEntry{Workflow: "wf", Version: 1, ExecutionStarted: h.hour, Step: step, Action: action,
			DurationMs: &d, Reason: reason})
	}
	return h
}

func (h *history) condition(step string, result bool, n int) *history {
	for range n {
		r, d := result, int64(1)
		h.agg.AddLog(analytics.LogEntry{Workflow: "wf", Version: 1, ExecutionStarted: h.hour, Step: step, Action: "completed",
			DurationMs: &d, ConditionResult: &r})
	}
	return h
}

func (h *history) tasks(step string, n int, waitMs int64, due, late int) *history {
	for i := range n {
		d := waitMs
		e := analytics.LogEntry{Workflow: "wf", Version: 1, ExecutionStarted: h.hour, Step: step, Action: "completed",
			DurationMs: &d, At: h.hour.Add(time.Hour), Task: &analytics.TaskOutcome{}}
		if i < due {
			dueAt := h.hour.Add(2 * time.Hour)
			if i < late {
				dueAt = h.hour.Add(time.Minute)
			}
			e.Task.DueAt = &dueAt
		}
		h.agg.AddLog(e)
	}
	return h
}

// runs adds n completed runs that took ms each.
func (h *history) runs(n int, ms int64) *history {
	for range n {
		h.agg.AddRun(analytics.RunKey{Workflow: "wf", Version: 1, Hour: analytics.HourOf(h.hour), Status: "completed"}, ms, true, 1)
	}
	return h
}

const header = `"name": "Rules", "trigger": {"type": "manual", "configuration": {}},
  "variables": [{"name": "lead", "type": "object"}, {"name": "score", "type": "number"}, {"name": "note", "type": "string"}]`

func api(id, next, url string, extra string) string {
	return fmt.Sprintf(`{"id": %q, "name": %q, "type": "action", "nextSteps": %s,
	  "configuration": {"action": "call_api", "parameters": {"url": %q%s}}}`, id, strings.ToUpper(id[:1])+id[1:], next, url, extra)
}

func setVar(id, next, name, value string) string {
	return fmt.Sprintf(`{"id": %q, "name": %q, "type": "action", "nextSteps": %s,
	  "configuration": {"action": "set_variable", "parameters": {"name": %q, "value": %q}}}`, id, id, next, name, value)
}

func def(steps ...string) string {
	return "{" + header + `, "steps": [` + strings.Join(steps, ",\n") + "]}"
}

// Three calls to different APIs that use nothing of each other, then a step that uses the first's answer.
var independentCalls = def(
	api("score", `["geo"]`, "https://score.example.com/{{lead.id}}", ""),
	api("geo", `["firmo"]`, "https://geo.example.com/lookup", ""),
	api("firmo", `["save"]`, "https://firmo.example.com/lookup", ""),
	setVar("save", `[]`, "note", "{{steps.score.body}}"),
)

// The same, but geo's URL uses score's answer.
var dependentCalls = def(
	api("score", `["geo"]`, "https://score.example.com/{{lead.id}}", ""),
	api("geo", `["firmo"]`, "https://geo.example.com/{{steps.score.body}}", ""),
	api("firmo", `["save"]`, "https://firmo.example.com/{{steps.geo.body}}", ""),
	setVar("save", `[]`, "note", "done"),
)

var humanTask = func(due string) string {
	extra := ""
	if due != "" {
		extra = fmt.Sprintf(`, "dueDate": %q`, due)
	}
	return def(`{"id": "approve", "name": "Approve", "type": "human_task", "nextSteps": [],
	  "configuration": {"assignee": "rep@example.com", "title": "Approve"` + extra + `}}`)
}

var conditionDef = def(
	`{"id": "check", "name": "Check", "type": "condition",
	  "configuration": {"condition": "score > 50", "trueSteps": ["hot"], "falseSteps": ["cold"]}}`,
	setVar("hot", `[]`, "note", "hot"),
	setVar("cold", `[]`, "note", "cold"),
)

var continueDef = def(`{"id": "sync", "name": "Sync", "type": "action", "nextSteps": [],
  "errorHandling": {"onError": "continue", "retryCount": 0, "retryDelay": 0},
  "configuration": {"action": "call_api", "parameters": {"url": "https://erp.example.com/sync", "method": "POST"}}}`)

var retryingDef = def(`{"id": "fetch", "name": "Fetch", "type": "action", "nextSteps": [],
  "errorHandling": {"onError": "retry", "retryCount": 2, "retryDelay": 5},
  "configuration": {"action": "call_api", "parameters": {"url": "https://api.example.com/x"}}}`)

// slowCalls: ten runs of 1.5 s, each of the three calls taking p50 ms.
func slowCalls(p50 int64) *analytics.Aggregates {
	h := newHistory().runs(10, 1500)
	for _, s := range []string{"score", "geo", "firmo"} {
		h.log(10, s, "completed", p50, "")
	}
	return h.log(10, "save", "completed", 5, "").agg
}

func TestSuggestionRules(t *testing.T) {
	t.Parallel()
	fetch := def(api("fetch", `[]`, "https://api.example.com/x", ""))
	tests := []struct {
		name   string
		def    string
		agg    *analytics.Aggregates
		open   []analytics.OpenTasks
		wantID string // "" when no suggestion may come
		impact string
		effort string
	}{
		{"parallelize independent slow calls", independentCalls, slowCalls(400), nil, "parallelize.score.geo.firmo", analytics.High, analytics.Easy},
		{"parallelize: too little to gain", independentCalls, slowCalls(50), nil, "", "", ""},
		{"parallelize: the calls depend on each other", dependentCalls, slowCalls(400), nil, "", "", ""},
		{"parallelize: too few runs to judge", independentCalls, newHistory().runs(3, 1500).log(3, "score", "completed", 400, "").
			log(3, "geo", "completed", 400, "").log(3, "firmo", "completed", 400, "").agg, nil, "", "", ""},

		{"retry mostly transient failures", fetch, newHistory().log(80, "fetch", "completed", 100, "").log(15, "fetch", "failed", 100, "http_5xx").
			log(3, "fetch", "failed", 100, "network").log(2, "fetch", "failed", 100, "validation").agg, nil, "retry.fetch", analytics.High, analytics.Easy},
		{"retry: failures are permanent", fetch, newHistory().log(80, "fetch", "completed", 100, "").log(5, "fetch", "failed", 100, "http_5xx").
			log(15, "fetch", "failed", 100, "validation").agg, nil, "", "", ""},
		{"retry: already retrying", retryingDef, newHistory().log(80, "fetch", "completed", 100, "").log(20, "fetch", "failed", 100, "http_5xx").agg,
			nil, "", "", ""},
		{"retry: failures too rare", fetch, newHistory().log(199, "fetch", "completed", 100, "").log(3, "fetch", "failed", 100, "http_5xx").agg,
			nil, "", "", ""},

		{"timeout when timeouts dominate", retryingDef, newHistory().log(90, "fetch", "completed", 3000, "").log(8, "fetch", "failed", 10000, "timeout").
			log(2, "fetch", "failed", 200, "http_4xx").agg, nil, "timeout.fetch", analytics.Medium, analytics.Easy},
		{"timeout: failures are 5xx", retryingDef, newHistory().log(90, "fetch", "completed", 3000, "").log(2, "fetch", "failed", 10000, "timeout").
			log(8, "fetch", "failed", 200, "http_5xx").agg, nil, "", "", ""},

		{"due date for a slow task without one", humanTask(""), newHistory().tasks("approve", 12, 30*3600_000, 0, 0).agg, nil,
			"due_date.approve", analytics.Medium, analytics.Easy},
		{"due date: tasks are quick", humanTask(""), newHistory().tasks("approve", 12, 2*3600_000, 0, 0).agg, nil, "", "", ""},
		{"due date: it has one", humanTask("+1 day"), newHistory().tasks("approve", 12, 30*3600_000, 12, 0).agg, nil, "", "", ""},
		{"often overdue task", humanTask("+1 day"), newHistory().tasks("approve", 10, 3600_000, 10, 5).agg,
			[]analytics.OpenTasks{{Step: "approve", Open: 4, WithDue: 4, Overdue: 3}}, "task_overdue.approve", analytics.High, analytics.Medium},
		{"overdue: mostly on time", humanTask("+1 day"), newHistory().tasks("approve", 10, 3600_000, 10, 1).agg,
			[]analytics.OpenTasks{{Step: "approve", Open: 2, WithDue: 2}}, "", "", ""},

		{"branch never taken in the last 50", conditionDef, newHistory().at(5).condition("check", false, 30).at(1).condition("check", true, 60).agg,
			nil, "branch_never_taken.check.false", analytics.Medium, analytics.Medium},
		{"branch taken within the last 50", conditionDef, newHistory().at(2).condition("check", true, 30).condition("check", false, 1).
			at(1).condition("check", true, 30).agg, nil, "", "", ""},
		{"branch: too few evaluations", conditionDef, newHistory().condition("check", true, 49).agg, nil, "", "", ""},

		{"continue on a step that fails often", continueDef, newHistory().log(30, "sync", "completed", 100, "").
			log(10, "sync", "skipped", 100, "http_4xx").agg, nil, "continue_failing.sync", analytics.Medium, analytics.Medium},
		{"continue: rare failures", continueDef, newHistory().log(38, "sync", "completed", 100, "").
			log(2, "sync", "skipped", 100, "http_4xx").log(5, "sync", "skipped", 0, "halted").agg, nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, plan := compile(t, tt.def)
			got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan, Agg: tt.agg, Open: tt.open})
			if tt.wantID == "" {
				if len(got) != 0 {
					t.Fatalf("suggested %s", describe(got))
				}
				return
			}
			if len(got) != 1 || got[0].ID != tt.wantID {
				t.Fatalf("suggested %s, want only %s", describe(got), tt.wantID)
			}
			s := got[0]
			if s.PotentialImpact != tt.impact || s.ImplementationEffort != tt.effort {
				t.Errorf("impact, effort = %s, %s; want %s, %s", s.PotentialImpact, s.ImplementationEffort, tt.impact, tt.effort)
			}
			if s.Suggestion == "" || len(s.Evidence) == 0 || s.StepID == "" || s.Type == "" {
				t.Errorf("incomplete suggestion: %+v", s)
			}
			if s.Applicable != (s.Fix != nil) || (!s.Applicable && s.NotApplicable == "") {
				t.Errorf("applicable %v, fix %v, reason %q", s.Applicable, s.Fix, s.NotApplicable)
			}
		})
	}
}

func describe(ss []analytics.Suggestion) string {
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID+" ("+s.Suggestion+")")
	}
	return "[" + strings.Join(ids, "; ") + "]"
}

// only runs the rules and returns the single suggestion, failing otherwise.
func only(t *testing.T, src string, agg *analytics.Aggregates, open []analytics.OpenTasks) (*workflow.Definition, analytics.Suggestion) {
	t.Helper()
	d, plan := compile(t, src)
	got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan, Agg: agg, Open: open})
	if len(got) != 1 {
		t.Fatalf("suggested %s, want one", describe(got))
	}
	return d, got[0]
}

// applied applies s to d and compiles the result with the real environment.
func applied(t *testing.T, d *workflow.Definition, s analytics.Suggestion) (*workflow.Definition, *workflow.Plan) {
	t.Helper()
	before, _ := json.Marshal(d)
	out, err := analytics.Apply(d, s.Fix)
	if err != nil {
		t.Fatalf("apply %s: %v", s.ID, err)
	}
	if after, _ := json.Marshal(d); string(after) != string(before) {
		t.Fatal("Apply changed the definition it was given")
	}
	plan, problems := workflow.Compile(out, environment())
	if problems != nil {
		t.Fatalf("the applied version of %s does not compile: %v", s.ID, problems)
	}
	return out, plan
}

func TestApplyingSuggestions(t *testing.T) {
	t.Parallel()
	fetch := def(api("fetch", `[]`, "https://api.example.com/x", `, "timeout": 15`))
	t.Run("parallelize", func(t *testing.T) {
		t.Parallel()
		d, s := only(t, independentCalls, slowCalls(400), nil)
		out, plan := applied(t, d, s)
		p := plan.Step(s.Fix.ParallelStepID)
		if p == nil || p.Type != workflow.StepParallel || !slices.Equal(p.Parallel, []string{"score", "geo", "firmo"}) || !slices.Equal(p.Next, []string{"save"}) {
			t.Fatalf("parallel step %+v", p)
		}
		if plan.Entry != p.ID || out.Steps[0].ID != p.ID {
			t.Fatalf("the parallel step should replace the first step as the entry; entry is %s", plan.Entry)
		}
		for _, id := range []string{"score", "geo", "firmo"} {
			if n := plan.Step(id).Next; len(n) != 0 {
				t.Errorf("branch %s goes on to %v; a branch must end so the parallel step can join", id, n)
			}
		}
		if len(out.Steps) != 5 {
			t.Errorf("%d steps, want the 4 and the parallel one", len(out.Steps))
		}
	})
	t.Run("retry", func(t *testing.T) {
		t.Parallel()
		d, s := only(t, def(api("fetch", `[]`, "https://api.example.com/x", "")),
			newHistory().log(80, "fetch", "completed", 100, "").log(20, "fetch", "failed", 100, "http_5xx").agg, nil)
		_, plan := applied(t, d, s)
		st := plan.Step("fetch")
		if st.OnError != workflow.OnErrorRetry || st.RetryCount != 3 || st.Backoff != "exponential" || st.RetryDelay != 10*time.Second {
			t.Fatalf("fetch retries %s %d times after %s, %s", st.OnError, st.RetryCount, st.RetryDelay, st.Backoff)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		d, plan0 := compile(t, fetch)
		got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan0, Agg: newHistory().log(90, "fetch", "completed", 3000, "").
			log(8, "fetch", "failed", 15000, "timeout").log(2, "fetch", "failed", 200, "validation").agg})
		var s analytics.Suggestion
		for _, g := range got {
			if g.Rule == analytics.RuleTimeout {
				s = g
			}
		}
		out, _ := applied(t, d, s)
		step, _ := out.StepByID("fetch")
		if v := step.Configuration["parameters"].(map[string]any)["timeout"]; v != 30.0 {
			t.Fatalf("timeout raised to %v, want 30 (twice 15)", v)
		}
	})
	t.Run("due date", func(t *testing.T) {
		t.Parallel()
		d, s := only(t, humanTask(""), newHistory().tasks("approve", 12, 30*3600_000, 0, 0).agg, nil)
		_, plan := applied(t, d, s)
		if plan.Step("approve").Human.DueDate == nil || s.Fix.DueDate != "+2 days" {
			t.Fatalf("due date %q not set", s.Fix.DueDate)
		}
	})
	t.Run("not mechanical", func(t *testing.T) {
		t.Parallel()
		d, s := only(t, continueDef, newHistory().log(30, "sync", "completed", 100, "").log(10, "sync", "skipped", 100, "http_4xx").agg, nil)
		if _, err := analytics.Apply(d, s.Fix); !errors.Is(err, analytics.ErrNotApplicable) {
			t.Fatalf("applying %s: %v, want ErrNotApplicable", s.ID, err)
		}
	})
}

func TestTimeoutAtTheMaximumCannotBeRaised(t *testing.T) {
	t.Parallel()
	d, plan := compile(t, def(api("fetch", `[]`, "https://api.example.com/x", `, "timeout": 60`)))
	got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan, Agg: newHistory().log(90, "fetch", "completed", 3000, "").
		log(10, "fetch", "failed", 60000, "timeout").agg})
	for _, s := range got {
		if s.Rule == analytics.RuleTimeout {
			if s.Applicable || s.ImplementationEffort != analytics.Complex {
				t.Fatalf("a timeout at 60 s: %+v", s)
			}
			return
		}
	}
	t.Fatalf("no timeout suggestion in %s", describe(got))
}

// history with a failure message, for 429s.
func (h *history) logMsg(n int, step, action string, ms int64, reason, msg string) *history {
	for range n {
		d := ms
		h.agg.AddLog(analytics.LogEntry{Workflow: "wf", Version: 1, ExecutionStarted: h.hour, Step: step, Action: action,
			DurationMs: &d, Reason: reason, Message: msg})
	}
	return h
}

// calls is runs of runMs each, with the three independent calls taking p50 ms and "save" 5 ms.
func calls(runMs, p50 int64) *history {
	h := newHistory().runs(10, runMs)
	for _, s := range []string{"score", "geo", "firmo"} {
		h.log(10, s, "completed", p50, "")
	}
	return h.log(10, "save", "completed", 5, "")
}

// TestImpactAndEffortFollowTheData checks each rule's grading against the thresholds it documents: the same
// rule on different numbers gives a different potentialImpact or implementationEffort, and the evidence holds
// those numbers.
func TestImpactAndEffortFollowTheData(t *testing.T) {
	t.Parallel()
	fetch := def(api("fetch", `[]`, "https://api.example.com/x", ""))
	oneSided := def(
		`{"id": "check", "name": "Check", "type": "condition",
		  "configuration": {"condition": "score > 50", "trueSteps": ["hot"], "falseSteps": []}}`,
		setVar("hot", `[]`, "note", "hot"),
	)
	tooMany := "call_api: GET https://api.example.com/x answered 429 Too Many Requests"
	tests := []struct {
		name           string
		def            string
		agg            *analytics.Aggregates
		open           []analytics.OpenTasks
		rule           string
		impact, effort string
		evidence       map[string]float64
		fix            func(*analytics.Fix) bool
	}{
		// Parallelize: the saving (Σ p50 − max p50 = 2 × p50) as a share of the median run.
		{"parallelize saves 53 %", independentCalls, calls(1500, 400).agg, nil, analytics.RuleParallelize, analytics.High, analytics.Easy,
			map[string]float64{"stepsP50Sum": 1200, "longestStepP50": 400, "estimatedSaving": 800, "medianRun": 1500, "completedRuns": 10}, nil},
		{"parallelize saves 20 %", independentCalls, calls(2000, 200).agg, nil, analytics.RuleParallelize, analytics.Medium, analytics.Easy,
			map[string]float64{"estimatedSaving": 400, "medianRun": 2000}, nil},
		{"parallelize saves 12 %", independentCalls, calls(3000, 180).agg, nil, analytics.RuleParallelize, analytics.Low, analytics.Easy,
			map[string]float64{"estimatedSaving": 360, "medianRun": 3000}, nil},
		{"parallelize a step that fails sometimes", independentCalls, calls(1500, 400).log(1, "geo", "failed", 400, "validation").agg, nil,
			analytics.RuleParallelize, analytics.High, analytics.Medium, map[string]float64{"estimatedSaving": 800}, nil},

		// Retry: impact from the failure rate, effort from the transient share, the delay from the top reason.
		{"retry at 20 %, all transient", fetch, newHistory().log(80, "fetch", "completed", 100, "").log(20, "fetch", "failed", 100, "http_5xx").agg,
			nil, analytics.RuleRetry, analytics.High, analytics.Easy,
			map[string]float64{"attempts": 100, "failures": 20, "failureRate": 20, "transientFailures": 20, "transientShare": 100},
			func(f *analytics.Fix) bool {
				return f.RetryCount == 3 && f.RetryDelay == 10 && f.Backoff == "exponential"
			}},
		{"retry at 5 %", fetch, newHistory().log(95, "fetch", "completed", 100, "").log(5, "fetch", "failed", 100, "network").agg,
			nil, analytics.RuleRetry, analytics.Medium, analytics.Easy, map[string]float64{"failureRate": 5}, nil},
		{"retry at 2.1 %", fetch, newHistory().log(190, "fetch", "completed", 100, "").log(4, "fetch", "failed", 100, "http_5xx").agg,
			nil, analytics.RuleRetry, analytics.Low, analytics.Easy, map[string]float64{"failureRate": 2.1}, nil},
		{"retry with 40 % permanent failures", fetch, newHistory().log(80, "fetch", "completed", 100, "").log(12, "fetch", "failed", 100, "http_5xx").
			log(8, "fetch", "failed", 100, "validation").agg, nil, analytics.RuleRetry, analytics.High, analytics.Medium,
			map[string]float64{"failures": 20, "transientFailures": 12, "transientShare": 60}, nil},
		{"retry 429s later", fetch, newHistory().log(80, "fetch", "completed", 100, "").logMsg(10, "fetch", "failed", 100, "http_4xx", tooMany).agg,
			nil, analytics.RuleRetry, analytics.High, analytics.Easy, map[string]float64{"transientFailures": 10},
			func(f *analytics.Fix) bool { return f.RetryDelay == 60 }},
		{"retry timeouts later", fetch, newHistory().log(80, "fetch", "completed", 100, "").log(10, "fetch", "failed", 10000, "timeout").agg,
			nil, analytics.RuleRetry, analytics.High, analytics.Easy, map[string]float64{"transientFailures": 10},
			func(f *analytics.Fix) bool { return f.RetryDelay == 30 }},

		// Timeout: impact from the share of attempts that time out; the raised timeout from the current one.
		{"timeouts in 20 % of attempts", def(api("fetch", `[]`, "https://api.example.com/x", "")),
			newHistory().log(80, "fetch", "completed", 3000, "").log(20, "fetch", "failed", 10000, "timeout").agg, nil,
			analytics.RuleTimeout, analytics.High, analytics.Easy, map[string]float64{"timeouts": 20, "timeoutShare": 100, "timeout": 10},
			func(f *analytics.Fix) bool { return f.Timeout == 20 }},
		{"timeouts in 2 % of attempts", def(api("fetch", `[]`, "https://api.example.com/x", `, "timeout": 45`)),
			newHistory().log(196, "fetch", "completed", 3000, "").log(4, "fetch", "failed", 45000, "timeout").agg, nil,
			analytics.RuleTimeout, analytics.Low, analytics.Easy, map[string]float64{"timeouts": 4, "timeout": 45},
			func(f *analytics.Fix) bool { return f.Timeout == 60 }},

		// A slow task: the due date covers the median wait; three days or more is high impact.
		{"tasks wait 30 h", humanTask(""), newHistory().tasks("approve", 12, 30*3600_000, 0, 0).agg, nil, analytics.RuleDueDate,
			analytics.Medium, analytics.Easy, map[string]float64{"completedTasks": 12, "waitP50": 30 * 3600_000},
			func(f *analytics.Fix) bool { return f.DueDate == "+2 days" }},
		{"tasks wait 80 h", humanTask(""), newHistory().tasks("approve", 12, 80*3600_000, 0, 0).agg, nil, analytics.RuleDueDate,
			analytics.High, analytics.Easy, map[string]float64{"waitP50": 80 * 3600_000}, func(f *analytics.Fix) bool { return f.DueDate == "+4 days" }},
		{"tasks late 30 % of the time", humanTask("+1 day"), newHistory().tasks("approve", 10, 3600_000, 10, 3).agg, nil, analytics.RuleTaskOverdue,
			analytics.Medium, analytics.Medium, map[string]float64{"tasksWithDueDate": 10, "lateOrOverdue": 3, "lateShare": 30, "overdueNow": 0}, nil},
		{"tasks late or overdue 57 % of the time", humanTask("+1 day"), newHistory().tasks("approve", 10, 3600_000, 10, 5).agg,
			[]analytics.OpenTasks{{Step: "approve", Open: 4, WithDue: 4, Overdue: 3}}, analytics.RuleTaskOverdue, analytics.High, analytics.Medium,
			map[string]float64{"tasksWithDueDate": 14, "lateOrOverdue": 8, "lateShare": 57.1, "overdueNow": 3}, nil},

		// A branch never taken: medium when steps hang off it, low when it leads nowhere.
		{"the untaken branch has steps", conditionDef, newHistory().condition("check", true, 50).agg, nil, analytics.RuleBranch,
			analytics.Medium, analytics.Medium, map[string]float64{"evaluations": 50, "true": 50, "false": 0}, nil},
		{"the untaken branch is empty", oneSided, newHistory().condition("check", true, 50).agg, nil, analytics.RuleBranch,
			analytics.Low, analytics.Medium, map[string]float64{"evaluations": 50}, nil},

		// Continue on error: impact from the failure rate.
		{"continue, failing 12.5 %", continueDef, newHistory().log(35, "sync", "completed", 100, "").log(5, "sync", "skipped", 100, "http_5xx").agg,
			nil, analytics.RuleContinue, analytics.Low, analytics.Medium, map[string]float64{"attempts": 40, "failures": 5, "failureRate": 12.5}, nil},
		{"continue, failing 60 %", continueDef, newHistory().log(20, "sync", "completed", 100, "").log(30, "sync", "skipped", 100, "http_4xx").agg,
			nil, analytics.RuleContinue, analytics.High, analytics.Medium, map[string]float64{"failureRate": 60}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, plan := compile(t, tt.def)
			got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan, Agg: tt.agg, Open: tt.open})
			var s *analytics.Suggestion
			for i := range got {
				if got[i].Rule == tt.rule {
					if s != nil {
						t.Fatalf("two %s suggestions: %s", tt.rule, describe(got))
					}
					s = &got[i]
				}
			}
			if s == nil {
				t.Fatalf("no %s suggestion in %s", tt.rule, describe(got))
			}
			if s.PotentialImpact != tt.impact || s.ImplementationEffort != tt.effort {
				t.Errorf("impact, effort = %s, %s; want %s, %s (%s)", s.PotentialImpact, s.ImplementationEffort, tt.impact, tt.effort, s.Suggestion)
			}
			ev := map[string]float64{}
			for _, e := range s.Evidence {
				ev[e.Name] = e.Value
			}
			for name, want := range tt.evidence {
				if v, ok := ev[name]; !ok || v != want {
					t.Errorf("evidence %s = %v (present: %v), want %v", name, v, ok, want)
				}
			}
			if tt.fix != nil && (s.Fix == nil || !tt.fix(s.Fix)) {
				t.Errorf("fix = %+v", s.Fix)
			}
		})
	}
}

// TestTransientFailures follows call_api's own verdicts (internal/actions/call_api.go): the log keeps a
// failure's class and message, and these say whether retrying may help.
func TestTransientFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason, message string
		transient       bool
	}{
		{"timeout", "call_api: GET https://api.example.com/x did not answer within 10s", true},
		{"http_5xx", "call_api: GET https://api.example.com/x answered 503 Service Unavailable", true},
		{"network", "call_api: GET https://api.example.com/x could not be reached: connection refused", true},
		{"network", "call_api: GET https://api.example.com/x: the server's certificate is not valid: x509: certificate has expired", false},
		{"http_4xx", "Attempt 1 of 4 failed: call_api: GET https://api.example.com/x answered 429 Too Many Requests. Retrying in 10 s.", true},
		{"http_4xx", "call_api: GET https://api.example.com/x answered 408 Request Timeout", true},
		{"http_4xx", "call_api: GET https://api.example.com/x answered 404 Not Found", false},
		{"http_4xx", "call_api: GET https://api.example.com/x answered 4290 Custom", false},
		{"validation", "", false},
		{"expression", "", false},
		{"other", "", false},
	}
	for _, tt := range tests {
		if got := analytics.Transient(tt.reason, tt.message); got != tt.transient {
			t.Errorf("Transient(%s, %q) = %v, want %v", tt.reason, tt.message, got, tt.transient)
		}
	}
	// A step whose network failures are all bad certificates gets no retry suggestion.
	d, plan := compile(t, def(api("fetch", `[]`, "https://api.example.com/x", "")))
	cert := "call_api: GET https://api.example.com/x: the server's certificate is not valid: x509: certificate has expired"
	got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan,
		Agg: newHistory().log(80, "fetch", "completed", 100, "").logMsg(20, "fetch", "failed", 100, "network", cert).agg})
	if len(got) != 0 {
		t.Fatalf("suggested %s for certificate failures", describe(got))
	}
}

// A step that fails for one permanent reason gets a reliability suggestion with the reason and the share of
// runs, and a link to the runs; transient failures, rare ones, or none with a reason, get none.
func TestPermanentFailuresSuggestAGuard(t *testing.T) {
	t.Parallel()
	fetch := def(api("fetch", `[]`, "https://api.example.com/x", ""))
	d, plan := compile(t, fetch)
	permanent := newHistory().runs(100, 1000).log(83, "fetch", "completed", 100, "").log(17, "fetch", "failed", 100, "validation").agg
	reasons := []analytics.FailureReason{{Step: "fetch", Reason: "recipient is empty (the variable it comes from has no value)", Runs: 17},
		{Step: "fetch", Reason: "recipient … is not an email address", Runs: 2}}
	got := analytics.Suggest(analytics.SuggestInput{Def: d, Plan: plan, Agg: permanent, Failures: reasons})
	var guard *analytics.Suggestion
	for i := range got {
		if got[i].ID == "guard.fetch" {
			guard = &got[i]
		}
	}
	if guard == nil {
		t.Fatalf("no guard suggestion in %s", describe(got))
	}
	if !strings.Contains(guard.Suggestion, "fails in 17 % of runs (17 of 100) because recipient is empty (the variable it comes from has no value)") ||
		guard.Applicable || guard.RunsURL != "/incidents" || guard.Type != analytics.TypeReliability {
		t.Fatalf("the guard suggestion: %+v", guard)
	}
	for name, in := range map[string]analytics.SuggestInput{
		"transient": {Def: d, Plan: plan, Agg: newHistory().runs(100, 1000).log(83, "fetch", "completed", 100, "").log(17, "fetch", "failed", 100, "http_5xx").agg, Failures: reasons},
		"rare":      {Def: d, Plan: plan, Agg: newHistory().runs(200, 1000).log(198, "fetch", "completed", 100, "").log(2, "fetch", "failed", 100, "validation").agg, Failures: reasons[1:]},
		"no reason": {Def: d, Plan: plan, Agg: permanent},
	} {
		for _, s := range analytics.Suggest(in) {
			if s.Rule == analytics.RuleGuard {
				t.Errorf("%s: suggested %s", name, s.Suggestion)
			}
		}
	}
}

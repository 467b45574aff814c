package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// flushMetrics waits until the rollups hold everything logged so far.
func (h *harness) flushMetrics() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.srv.Analytics.Flush(ctx); err != nil {
		h.t.Fatalf("flush the metrics: %v", err)
	}
}

// metricsBody is the JSON of GET /api/workflows/{id}/metrics, as a client reads it.
type metricsBody struct {
	TotalExecutions      int64   `json:"totalExecutions"`
	SuccessRate          float64 `json:"successRate"`
	AverageExecutionTime int64   `json:"averageExecutionTime"`
	CompletionRate       float64 `json:"completionRate"`
	CommonFailurePoints  []struct {
		StepID      string  `json:"stepId"`
		FailureRate float64 `json:"failureRate"`
		Reason      string  `json:"reason"`
	} `json:"commonFailurePoints"`
	NoData bool `json:"noData"`
	Steps  []struct {
		StepID   string `json:"stepId"`
		Runs     int64  `json:"runs"`
		Failures int64  `json:"failures"`
	} `json:"steps"`
	Series struct {
		Bucket string `json:"bucket"`
		Points []struct {
			Total int64 `json:"total"`
		} `json:"points"`
	} `json:"series"`
}

type suggestionBody struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StepID               string `json:"stepId"`
	Suggestion           string `json:"suggestion"`
	PotentialImpact      string `json:"potentialImpact"`
	ImplementationEffort string `json:"implementationEffort"`
	Applicable           bool   `json:"applicable"`
	Evidence             []struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	} `json:"evidence"`
}

type suggestionsBody struct {
	Version int              `json:"version"`
	Items   []suggestionBody `json:"items"`
	Total   int              `json:"total"`
}

type appliedBody struct {
	Version     int    `json:"version"`
	BaseVersion int    `json:"baseVersion"`
	DesignerURL string `json:"designerUrl"`
	DiffURL     string `json:"diffUrl"`
	Diff        struct {
		Steps []struct {
			StepID string   `json:"stepId"`
			Kind   string   `json:"kind"`
			Fields []string `json:"fields"`
		} `json:"steps"`
	} `json:"diff"`
}

// A call that fails transiently for half the runs, then a step set to continue that always fails.
const flakyPair = `{
  "name": "Flaky pair", "trigger": {"type": "manual", "configuration": {}},
  "variables": [{"name": "n", "type": "number", "required": true}],
  "steps": [
    {"id": "call", "name": "Call", "type": "action", "nextSteps": ["sync"],
     "configuration": {"action": "flaky", "parameters": {"failTimes": "{{n}}"}}},
    {"id": "sync", "name": "Sync", "type": "action", "nextSteps": [],
     "errorHandling": {"onError": "continue", "retryCount": 0, "retryDelay": 0},
     "configuration": {"action": "flaky", "parameters": {"failTimes": 1}}}
  ]
}`

func TestMetricsSuggestionsAndApplyOverTheAPI(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		id := h.createWorkflow([]byte(flakyPair))
		var runs []string
		for i := range 20 {
			runs = append(runs, h.startRun(id, map[string]any{"n": i % 2}))
		}
		for i, r := range runs {
			want := "completed"
			if i%2 == 1 {
				want = "failed"
			}
			h.waitStatus(r, want)
		}
		h.flushMetrics()

		var m metricsBody
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"/metrics?timeframe=day", nil, &m)
		if m.NoData || m.TotalExecutions != 20 || m.SuccessRate != 50 || m.CompletionRate != 50 || m.AverageExecutionTime != 0 {
			t.Errorf("metrics = %+v", m)
		}
		if len(m.CommonFailurePoints) != 2 || m.CommonFailurePoints[0].StepID != "sync" || m.CommonFailurePoints[0].FailureRate != 100 ||
			m.CommonFailurePoints[1].StepID != "call" || m.CommonFailurePoints[1].FailureRate != 50 || m.CommonFailurePoints[1].Reason != "http_5xx" {
			t.Errorf("commonFailurePoints = %+v", m.CommonFailurePoints)
		}
		if len(m.Steps) != 2 || m.Steps[0].Runs != 20 || m.Steps[0].Failures != 10 || m.Series.Bucket != "hour" || len(m.Series.Points) != 25 {
			t.Errorf("steps %+v, series %s × %d", m.Steps, m.Series.Bucket, len(m.Series.Points))
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "GET", "/api/workflows/"+id+"/metrics?timeframe=year", nil, nil)
		h.must(http.StatusNotFound, h.manager, "GET", "/api/workflows/nope/metrics", nil, nil)
		h.must(http.StatusForbidden, h.rep, "GET", "/api/workflows/"+id+"/metrics", nil, nil)

		var list suggestionsBody
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"/suggestions", nil, &list)
		byID := map[string]suggestionBody{}
		for _, s := range list.Items {
			byID[s.ID] = s
		}
		retry, cont := byID["retry.call"], byID["continue_failing.sync"]
		if list.Version != 1 || list.Total != 2 || !retry.Applicable || retry.PotentialImpact != "high" || retry.Type != "reliability" ||
			cont.Applicable || cont.PotentialImpact != "high" || len(retry.Evidence) == 0 {
			t.Fatalf("suggestions = %+v", list)
		}

		var applied appliedBody
		h.must(http.StatusCreated, h.manager, "POST", "/api/workflows/"+id+"/suggestions/retry.call/apply", nil, &applied)
		if applied.Version != 2 || applied.BaseVersion != 1 || len(applied.Diff.Steps) != 1 || applied.Diff.Steps[0].StepID != "call" ||
			strings.Join(applied.Diff.Steps[0].Fields, ",") != "errorHandling" || applied.DiffURL != "/workflows/"+id+"/diff?from=1&to=2" ||
			!strings.HasPrefix(applied.DesignerURL, "/workflows/"+id+"/designer") {
			t.Fatalf("applied = %+v", applied)
		}
		var v2 workflow.Definition
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"?version=2", nil, &v2)
		if eh := v2.Steps[0].ErrorHandling; eh == nil || eh.OnError != "retry" || eh.RetryCount != 3 || eh.Backoff != "exponential" {
			t.Fatalf("version 2's call step handles errors with %+v", eh)
		}
		var versions struct {
			Items []struct {
				Version int    `json:"version"`
				Status  string `json:"status"`
			} `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"/versions", nil, &versions)
		if versions.Items[0].Version != 2 || versions.Items[0].Status != "draft" {
			t.Fatalf("versions = %+v; the applied suggestion should be a draft", versions.Items)
		}
		var conflict struct {
			Error string `json:"error"`
		}
		h.must(http.StatusConflict, h.manager, "POST", "/api/workflows/"+id+"/suggestions/continue_failing.sync/apply", nil, &conflict)
		if !strings.Contains(conflict.Error, "cannot be applied") {
			t.Errorf("409 says %q", conflict.Error)
		}
		h.must(http.StatusNotFound, h.manager, "POST", "/api/workflows/"+id+"/suggestions/retry.nope/apply", nil, nil)
		h.must(http.StatusForbidden, h.rep, "POST", "/api/workflows/"+id+"/suggestions/retry.call/apply", nil, nil)

		var overview struct {
			Workflows []struct {
				ID          string  `json:"id"`
				Runs        int64   `json:"runs"`
				SuccessRate float64 `json:"successRate"`
				Median      *int64  `json:"medianDurationMs"`
			} `json:"workflows"`
			Reps []any `json:"reps"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/analytics/overview?timeframe=week", nil, &overview)
		if len(overview.Workflows) != 1 || overview.Workflows[0].ID != id || overview.Workflows[0].Runs != 20 ||
			overview.Workflows[0].SuccessRate != 50 || overview.Workflows[0].Median == nil || overview.Reps == nil {
			t.Fatalf("overview = %+v", overview)
		}
	})
}

func TestOverviewCountsOverdueTasksPerRep(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		id := h.createWorkflow([]byte(`{
		  "name": "Approval", "trigger": {"type": "manual", "configuration": {}},
		  "steps": [{"id": "approve", "name": "Approve", "type": "human_task", "nextSteps": [],
		    "configuration": {"assignee": "rep@example.com", "title": "Approve", "dueDate": "+1 day"}}]
		}`))
		for range 3 {
			h.openTask(h.startRun(id, nil))
		}
		h.clock.Advance(25 * time.Hour) // past every due date
		h.startRun(id, nil)             // due tomorrow: open, not overdue
		var overview struct {
			Workflows []struct {
				OpenTasks    int64 `json:"openTasks"`
				OverdueTasks int64 `json:"overdueTasks"`
			} `json:"workflows"`
			Reps []struct {
				Assignee     string `json:"assignee"`
				Name         string `json:"name"`
				OpenTasks    int64  `json:"openTasks"`
				OverdueTasks int64  `json:"overdueTasks"`
			} `json:"reps"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			h.must(http.StatusOK, h.manager, "GET", "/api/analytics/overview?timeframe=day", nil, &overview)
			if len(overview.Workflows) == 1 && overview.Workflows[0].OpenTasks == 4 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(overview.Workflows) != 1 || overview.Workflows[0].OpenTasks != 4 || overview.Workflows[0].OverdueTasks != 3 {
			t.Fatalf("workflows = %+v", overview.Workflows)
		}
		if len(overview.Reps) != 1 || overview.Reps[0].Assignee != "rep@example.com" || overview.Reps[0].Name != "rep" ||
			overview.Reps[0].OpenTasks != 4 || overview.Reps[0].OverdueTasks != 3 {
			t.Fatalf("reps = %+v", overview.Reps)
		}
	})
}

// slowAction sleeps for real, then succeeds: a step that takes time, for measuring what parallel buys. It
// counts its calls per step activation. With meet set to n, a call returns only once n calls of its run have
// begun: steps the engine runs side by side all meet, and steps it runs one after another never do, so the
// first of them gives up after meetTimeout and fails. That makes "the steps ran at the same time" a fact the
// test can check on a loaded machine, where the start of a branch may lag by more than a step's length.
type slowAction struct {
	mu       sync.Mutex
	calls    map[string]int // idempotency key → calls
	meet     int
	meetings map[string]*meeting // execution id → its calls so far
}

type meeting struct {
	begun int
	all   chan struct{} // closed when meet calls have begun
}

const meetTimeout = 15 * time.Second

func newSlowAction() *slowAction {
	return &slowAction{calls: map[string]int{}, meetings: map[string]*meeting{}}
}

// meetAt makes every later call wait for n calls of its run (0 or 1: no waiting).
func (s *slowAction) meetAt(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meet = n
}

func (*slowAction) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{Name: "slow", Title: "Slow (tests)", Params: []workflow.ParamSpec{
		{Name: "ms", Kind: workflow.ParamNumber, Required: true, Description: "how long to take"},
	}}
}

func (s *slowAction) Run(ctx context.Context, in actions.Input) (actions.Result, error) {
	s.mu.Lock()
	s.calls[in.IdempotencyKey]++
	var all chan struct{}
	if s.meet > 1 {
		m := s.meetings[in.ExecutionID]
		if m == nil {
			m = &meeting{all: make(chan struct{})}
			s.meetings[in.ExecutionID] = m
		}
		if m.begun++; m.begun == s.meet {
			close(m.all)
		}
		all = m.all
	}
	s.mu.Unlock()
	ms, _ := in.Params["ms"].(float64)
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-ctx.Done():
		return actions.Result{}, ctx.Err()
	}
	if all != nil {
		select {
		case <-all:
		case <-time.After(meetTimeout):
			return actions.Result{}, workflow.Permanent(workflow.ClassOther,
				fmt.Errorf("step %s waited %s for the run's other steps to begin beside it", in.StepID, meetTimeout))
		case <-ctx.Done():
			return actions.Result{}, ctx.Err()
		}
	}
	return actions.Result{Output: map[string]any{"slept": ms}, Message: fmt.Sprintf("slept %v ms", ms)}, nil
}

// startRealClock runs Pantryflow on the system clock with the slow action, and a manager's API token.
func startRealClock(t testing.TB, url string, slow *slowAction) *harness {
	t.Helper()
	cfg := config.Defaults()
	cfg.DatabaseURL = url
	srv, err := server.Open(context.Background(), cfg, storetest.Quiet(), server.Options{
		Engine:       engine.Config{TimerInterval: 20 * time.Millisecond, FetchPollInterval: 10 * time.Millisecond},
		ExtraActions: func(actions.Deps) []actions.Action { return []actions.Action{slow} },
	})
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	h := &harness{t: t, url: url, srv: srv, http: httptest.NewServer(srv.Web.Handler())}
	t.Cleanup(h.stop)
	ctx := context.Background()
	if _, err := srv.App.Auth.CreateUser(ctx, "manager@example.com", "manager", auth.RoleManager, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if h.manager, err = srv.App.Auth.CreateToken(ctx, "manager@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	return h
}

// slowChain is three slow steps of ms milliseconds each, one after another, that use nothing of each other.
func slowChain(ms int) string {
	return fmt.Sprintf(`{
  "name": "Enrich a lead", "trigger": {"type": "manual", "configuration": {}},
  "steps": [
    {"id": "score", "name": "Score", "type": "action", "nextSteps": ["geo"], "configuration": {"action": "slow", "parameters": {"ms": %[1]d}}},
    {"id": "geo", "name": "Geo", "type": "action", "nextSteps": ["firmo"], "configuration": {"action": "slow", "parameters": {"ms": %[1]d}}},
    {"id": "firmo", "name": "Firmographics", "type": "action", "nextSteps": [], "configuration": {"action": "slow", "parameters": {"ms": %[1]d}}}
  ]
}`, ms)
}

// meanRun runs the workflow n times, one run at a time (so runs do not queue for workers behind each other's
// branches), and returns their mean completedAt − startedAt and the runs.
func (h *harness) meanRun(id string, n int) (time.Duration, []string) {
	h.t.Helper()
	var total time.Duration
	var runs []string
	for range n {
		e := h.startRun(id, nil)
		runs = append(runs, e)
		h.waitStatus(e, "completed")
		var ex struct {
			StartedAt   time.Time `json:"startedAt"`
			CompletedAt time.Time `json:"completedAt"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/executions/"+e, nil, &ex)
		total += ex.CompletedAt.Sub(ex.StartedAt)
	}
	return total / time.Duration(n), runs
}

// overlapped says whether the steps were all running at one moment: each started before any completed.
func overlapped(e execution, steps ...string) bool {
	var lastStart, firstEnd time.Time
	for _, l := range e.ExecutionLog {
		if !slices.Contains(steps, l.StepID) {
			continue
		}
		switch l.Action {
		case workflow.LogStarted:
			if l.Timestamp.After(lastStart) {
				lastStart = l.Timestamp
			}
		case workflow.LogCompleted:
			if firstEnd.IsZero() || l.Timestamp.Before(firstEnd) {
				firstEnd = l.Timestamp
			}
		}
	}
	return !lastStart.IsZero() && !firstEnd.IsZero() && lastStart.Before(firstEnd)
}

// realClockTests keeps the timing test off the CPU while other timing tests run.
var realClockTests sync.Mutex

// The parallelize suggestion, applied and published, makes the three slow steps run side by side: every run
// after it has them meet (each of its slow calls returns only once all three have begun), and every run
// before it ran them one after another. How much faster that makes a run is a figure for a benchmark
// (BenchmarkParallelizedRun), not for a timed test on a machine shared with browsers.
func TestParallelizingIndependentSlowStepsMakesRunsFaster(t *testing.T) {
	t.Parallel()
	eachDBAtOnce(t, func(t *testing.T, url string) {
		realClockTests.Lock()
		defer realClockTests.Unlock()
		slow := newSlowAction()
		h := startRealClock(t, url, slow)
		// 200 ms steps save 400 ms when run side by side: above the rule's MinSavingMs.
		const step = 200 * time.Millisecond
		id := h.createWorkflow([]byte(slowChain(int(step / time.Millisecond))))
		// Ten runs before, as the parallelize rule needs (analytics.MinRuns); three after.
		const runsAfter = 3
		before, sequential := h.meanRun(id, analytics.MinRuns)
		h.flushMetrics()

		var list suggestionsBody
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"/suggestions", nil, &list)
		if len(list.Items) != 1 || list.Items[0].ID != "parallelize.score.geo.firmo" || !list.Items[0].Applicable {
			t.Fatalf("suggestions after runs of %s: %+v", before, list.Items)
		}
		var applied appliedBody
		h.must(http.StatusCreated, h.manager, "POST", "/api/workflows/"+id+"/suggestions/parallelize.score.geo.firmo/apply", nil, &applied)
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+id+"/publish", map[string]int{"version": applied.Version}, nil)
		slow.meetAt(3)
		after, parallel := h.meanRun(id, runsAfter)
		t.Logf("mean run: %s one after another, %s in parallel", before, after)
		if before < 3*step {
			t.Fatalf("three %s steps took %s on average: the slow action did not sleep", step, before)
		}
		for _, r := range sequential {
			if e := h.get(r); overlapped(e, "score", "geo", "firmo") {
				t.Fatalf("run %s, before parallelizing, ran its steps at the same time\n%s", r, logText(e))
			}
		}
		// meanRun waited for each run to complete, so its three steps met; the log says so too.
		for _, r := range parallel {
			if e := h.get(r); !overlapped(e, "score", "geo", "firmo") {
				t.Fatalf("run %s, after parallelizing, did not run score, geo and firmo at the same time\n%s", r, logText(e))
			}
		}
		if after < step {
			t.Fatalf("a parallel run of %s steps took %s: the slow action did not sleep", step, after)
		}
		// Each branch ran its step once: the branches' commits racing each other did not run actions again.
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if want := (analytics.MinRuns + runsAfter) * 3; len(slow.calls) != want {
			t.Errorf("%d step activations called the action, want %d (%d runs × 3 steps)", len(slow.calls), want, want/3)
		}
		for key, n := range slow.calls {
			if n != 1 {
				t.Errorf("activation %s called the action %d times", key, n)
			}
		}
	})
}

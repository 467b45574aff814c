package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The expressions a probe saved to take the server down: a text doubled until it is ten billion letters
// long, loops inside loops, and a template whose result is ten megabytes.
var budgetAttacks = []struct {
	step, name string
	config     map[string]any
	stepType   string
	says       string // what the run's error must say about the budget
}{
	{"double", "Double a text", map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "note",
		"value": `{{ let a = "xxxxxxxxxx"; let b = a+a+a+a+a+a+a+a+a+a; let c = b+b+b+b+b+b+b+b+b+b; ` +
			`let d = c+c+c+c+c+c+c+c+c+c; let e = d+d+d+d+d+d+d+d+d+d; let f = e+e+e+e+e+e+e+e+e+e; ` +
			`let g = f+f+f+f+f+f+f+f+f+f; let h = g+g+g+g+g+g+g+g+g+g; let i = h+h+h+h+h+h+h+h+h+h; ` +
			`let j = i+i+i+i+i+i+i+i+i+i; len(j) }}`}},
		"action", "larger than 1 MiB, the limit for one value"},
	{"loops", "Loop in a loop", map[string]any{"condition": `count(1..2500, count(1..2500, # > 0) > 0) == 2500`},
		"condition", "more than 1,000,000 items, the limit for one evaluation"},
	{"tenmb", "Ten megabytes", map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "note",
		"value": strings.Repeat(`{{ join(map(1..1000, "`+strings.Repeat("x", 1000)+`"), "") }}`, 10)}},
		"action", "the text is larger than 1 MiB, the limit for one value"},
}

// watchHeap samples the heap while a test runs and fails the test binary at once when it passes limit,
// rather than let a regression eat the machine's memory. It returns the highest value seen so far.
func watchHeap(t *testing.T, limit uint64) func() uint64 {
	t.Helper()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			if m.HeapAlloc > limit {
				panic(fmt.Sprintf("the heap grew to %d MiB, past the %d MiB the expression budgets allow", m.HeapAlloc>>20, limit>>20))
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(done); wg.Wait() })
	return peak.Load
}

// TestExpressionBudgetsStopAttacksAndKeepTheServerUp: each attack fails its step for good within two
// seconds of evaluation, with a message naming the step and the budget, the step runs once, and the
// server's heap stays under 256 MB. (Not parallel: the heap is the whole test binary's.)
func TestExpressionBudgetsStopAttacksAndKeepTheServerUp(t *testing.T) {
	peak := watchHeap(t, 256<<20)
	t.Cleanup(func() { t.Logf("the heap peaked at %d MiB", peak()>>20) })
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		runs := map[string]string{}
		for _, a := range budgetAttacks {
			step := map[string]any{"id": a.step, "name": a.name, "type": a.stepType, "nextSteps": []string{},
				"configuration": a.config}
			if a.stepType == "condition" {
				step["configuration"].(map[string]any)["trueSteps"] = []string{}
				step["configuration"].(map[string]any)["falseSteps"] = []string{}
			}
			id := h.createWorkflow(def("Attack "+a.step, step))
			runs[a.step] = h.startRun(id, nil)
		}
		for _, a := range budgetAttacks {
			e := h.waitStatus(runs[a.step], "failed")
			if !strings.Contains(e.Error, fmt.Sprintf("Step %q (%s) failed", a.name, a.step)) || !strings.Contains(e.Error, a.says) {
				t.Errorf("%s: the run's error %q does not name the step and say %q", a.step, e.Error, a.says)
			}
			for _, le := range e.ExecutionLog {
				if le.StepID == a.step && le.Action == workflow.LogFailed && (le.DurationMs == nil || *le.DurationMs > 2000) {
					t.Errorf("%s: the step ran %v ms before it stopped, want under 2 s", a.step, le.DurationMs)
				}
			}
		}
		// Give the engine the time to run a step again, then check none was.
		time.Sleep(1500 * time.Millisecond)
		for _, a := range budgetAttacks {
			e := h.get(runs[a.step])
			if n, done := countLog(e, a.step, workflow.LogFailed), countLog(e, a.step, workflow.LogCompleted); n != 1 || done != 0 {
				t.Errorf("%s: the step failed %d times and completed %d times, want once and never:\n%s", a.step, n, done, logText(e))
			}
		}
		h.must(http.StatusOK, "", "GET", "/healthz", nil, nil)
	})
}

// hangingAPI answers nothing until the caller gives up; it counts the calls and the callers that gave up.
type hangingAPI struct {
	*httptest.Server
	calls, gaveUp atomic.Int32
	started       chan struct{}
}

func newHangingAPI(t *testing.T) *hangingAPI {
	t.Helper()
	api := &hangingAPI{started: make(chan struct{}, 10)}
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.calls.Add(1)
		api.started <- struct{}{}
		select {
		case <-r.Context().Done():
			api.gaveUp.Add(1)
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(api.Close)
	return api
}

func callStep(url string) map[string]any {
	return map[string]any{"id": "call", "name": "Call the slow API", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": url, "timeout": 60}}}
}

func awaitCall(t *testing.T, api *hangingAPI) {
	t.Helper()
	select {
	case <-api.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the step never called the API")
	}
}

// TestCancellingARunStopsItsRunningStep: a step waiting on a slow API stops when its run is cancelled,
// instead of holding on until the API answers, and is not run again.
func TestCancellingARunStopsItsRunningStep(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		api := newHangingAPI(t)
		h := startTuned(t, url, func(c *config.Config, _ *server.Options) { c.HTTPAllow = "127.0.0.1" })
		id := h.startRun(h.createWorkflow(def("Slow call", callStep(api.URL))), nil)
		awaitCall(t, api)
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+id+"/cancel", nil, nil)
		deadline := time.Now().Add(10 * time.Second)
		for api.gaveUp.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the step still waits on the API 10 s after its run was cancelled")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		e := h.get(id)
		if e.Status != "cancelled" || api.calls.Load() != 1 || countLog(e, "call", workflow.LogCompleted) != 0 {
			t.Fatalf("status %s, %d calls, log:\n%s", e.Status, api.calls.Load(), logText(e))
		}
	})
}

// TestAStepThatOutlivesItsTimeLimitFailsOnce: a step stuck past its own time limit (half the job's)
// fails for good with a message saying so; its job never times out under it, so it is never run again.
func TestAStepThatOutlivesItsTimeLimitFailsOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		api := newHangingAPI(t)
		h := startTuned(t, url, func(c *config.Config, o *server.Options) {
			c.HTTPAllow = "127.0.0.1"
			o.Engine.JobTimeout = 3 * time.Second // each step may run 1.5 s
		})
		id := h.startRun(h.createWorkflow(def("Stuck call", callStep(api.URL))), nil)
		awaitCall(t, api)
		e := h.waitStatus(id, "failed")
		if !strings.Contains(e.Error, "the step was stopped after 1.5s, the time limit for one step") {
			t.Fatalf("error %q does not say the step ran out of time", e.Error)
		}
		time.Sleep(4 * time.Second) // past the job's own timeout
		e = h.get(id)
		if n := api.calls.Load(); n != 1 || countLog(e, "call", workflow.LogFailed) != 1 {
			t.Fatalf("the API was called %d times, the step failed %d times; want once:\n%s", n, countLog(e, "call", workflow.LogFailed), logText(e))
		}
	})
}

// TestTriggerFiltersHaveTheSameBudget: a trigger filter that loops too long does not hold, says why, and
// the event still starts the workflows whose filters are fine.
func TestTriggerFiltersHaveTheSameBudget(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		greedy := h.createWorkflow(withTrigger(def("Greedy filter", setVar("only", "x", 1)), "event",
			map[string]any{"event": "deal_signed", "filter": `count(1..2500, count(1..2500, # > 0) > 0) == 2500`}))
		fine := h.createWorkflow(withTrigger(def("Fine filter", setVar("only", "x", 1)), "event",
			map[string]any{"event": "deal_signed", "filter": `x > 1`}))
		var out struct {
			ExecutionIDs []string `json:"executionIds"`
		}
		h.must(http.StatusAccepted, h.manager, "POST", "/api/events", map[string]any{"event": "deal_signed", "data": map[string]any{"x": 10}}, &out)
		if len(out.ExecutionIDs) != 1 || h.runsOf(greedy) != 0 || h.runsOf(fine) != 1 {
			t.Fatalf("started %v; want only the workflow with the fine filter", out.ExecutionIDs)
		}
		d, err := h.srv.DB.Triggers().DeliveryOfWorkflow(context.Background(), greedy)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != store.DeliveryFiltered || !strings.Contains(d.Reason, "more than 1,000,000 items") {
			t.Fatalf("delivery %s: %q; want filtered with the budget named", d.Status, d.Reason)
		}
	})
}

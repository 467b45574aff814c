package rollup_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/analytics/rollup"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

const knownDef = `{
  "name": "Known history",
  "trigger": {"type": "manual", "configuration": {}},
  "variables": [{"name": "amount", "type": "number"}, {"name": "note", "type": "string"}],
  "steps": [
    {"id": "fetch", "name": "Fetch", "type": "action", "nextSteps": ["check"],
     "configuration": {"action": "call_api", "parameters": {"url": "https://api.example.com/score"}}},
    {"id": "check", "name": "Check", "type": "condition",
     "configuration": {"condition": "amount > 10", "trueSteps": ["review"], "falseSteps": ["notify"]}},
    {"id": "review", "name": "Review", "type": "human_task", "nextSteps": ["notify"],
     "configuration": {"assignee": "rep@example.com", "title": "Review"}},
    {"id": "notify", "name": "Notify", "type": "action", "nextSteps": ["wait"],
     "errorHandling": {"onError": "continue", "retryCount": 0, "retryDelay": 0},
     "configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "done"}}},
    {"id": "wait", "name": "Wait", "type": "delay", "configuration": {"duration": 60}}
  ]
}`

// knownHistory writes executions whose metrics are worked out by hand in the test's table. Runs:
//
//	e1  now−1h        completed 1s   fetch ✓100, check true, review 60s (due, on time), notify ✓50, wait 60s
//	e2  now−2h10m     completed 2s   fetch ↻900 (the database did not answer: an infrastructure retry, not a
//	                                 failure), ✗500 timeout then ✓200, check true, review 120s (late), notify ✗70 http_5xx (continue), wait
//	e3  now−23h59m    failed         fetch ✗500 timeout
//	e4  now−24h       completed 6s   fetch ✓100, check false, notify ✓50, wait   (exactly on the day's boundary: in)
//	e5  now−24h−1ms   completed 4s   fetch ✓400, check false, notify ✓50, wait   (just outside the day)
//	e6  now−3d        running        fetch ✓100
//	e7  now−1h        a test run     fetch ✓9999 (never counted)
//	e8  now−10min     cancelled      fetch stopped (cancelled: not an attempt)
//	e9  now−5h        paused         fetch ✓300, check true, review open and overdue
//	e10 now−20d       failed         fetch ✗500 http_4xx (a 429: transient)
//	e11 now−100d      completed 5s   fetch ↻900 ↻900 then ✓100, check true, review 60s (no due date), notify ✓50, wait
func knownHistory(b *bundle, wf string) {
	b.t.Helper()
	h := time.Hour
	// Entries are logged a second apart from the start: e1's review ends at +3s (due +2h: on time), e2's at
	// +4s (due +1s: late); e9's open one was due at +4h, an hour ago.
	due2h, due1s, dueAgo := after(2*h), after(time.Second), after(4*h)
	b.insert(
		run{id: "e1", workflow: wf, status: "completed", start: now.Add(-h), took: time.Second, log: []entry{
			c("fetch", 100), {step: "check", action: "completed", ms: 5, result: &yes},
			{step: "review", action: "completed", ms: 60000, task: &task{due: due2h}}, c("notify", 50), c("wait", 60000)}},
		run{id: "e2", workflow: wf, status: "completed", start: now.Add(-2*h - 10*time.Minute), took: 2 * time.Second, log: []entry{
			f("fetch", 900, "infrastructure"), f("fetch", 500, "timeout"), c("fetch", 200), {step: "check", action: "completed", ms: 5, result: &yes},
			{step: "review", action: "completed", ms: 120000, task: &task{due: due1s}},
			{step: "notify", action: "skipped", ms: 70, reason: "http_5xx"}, c("wait", 60000)}},
		run{id: "e3", workflow: wf, status: "failed", start: now.Add(-23*h - 59*time.Minute), took: 3 * time.Second, log: []entry{
			f("fetch", 500, "timeout")}},
		run{id: "e4", workflow: wf, status: "completed", start: now.Add(-24 * h), took: 6 * time.Second, log: []entry{
			c("fetch", 100), {step: "check", action: "completed", ms: 5, result: &no}, c("notify", 50), c("wait", 60000)}},
		run{id: "e5", workflow: wf, status: "completed", start: now.Add(-24*h - time.Millisecond), took: 4 * time.Second, log: []entry{
			c("fetch", 400), {step: "check", action: "completed", ms: 5, result: &no}, c("notify", 50), c("wait", 60000)}},
		run{id: "e6", workflow: wf, status: "running", start: now.Add(-72 * h), log: []entry{c("fetch", 100)}},
		run{id: "e7", workflow: wf, status: "completed", start: now.Add(-h), took: time.Second, test: true, log: []entry{c("fetch", 9999)}},
		run{id: "e8", workflow: wf, status: "cancelled", start: now.Add(-10 * time.Minute), took: time.Second, log: []entry{
			{step: "fetch", action: "skipped", ms: -1, reason: "cancelled"}}},
		run{id: "e9", workflow: wf, status: "paused", start: now.Add(-5 * h), log: []entry{
			c("fetch", 300), {step: "check", action: "completed", ms: 5, result: &yes},
			{step: "review", action: "started", ms: -1, task: &task{due: dueAgo, open: true}}}},
		run{id: "e10", workflow: wf, status: "failed", start: now.Add(-20 * 24 * h), took: time.Second, log: []entry{
			{step: "fetch", action: "failed", ms: 500, reason: "http_4xx", msg: "call_api: GET https://api.example.com/score answered 429 Too Many Requests"}}},
		run{id: "e11", workflow: wf, status: "completed", start: now.Add(-100 * 24 * h), took: 5 * time.Second, log: []entry{
			f("fetch", 900, "infrastructure"), f("fetch", 900, "infrastructure"), c("fetch", 100), {step: "check", action: "completed", ms: 5, result: &yes},
			{step: "review", action: "completed", ms: 60000, task: &task{}}, c("notify", 50), c("wait", 60000)}},
	)
}

// stepWant is what a test expects of one step.
type stepWant struct {
	runs, failures, stopped int64
	rate                    float64
	reasons                 map[string]int64
	p50, p95                int64
}

func TestMetricsOfAKnownHistory(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, b *bundle) {
		wf := b.workflow(knownDef)
		knownHistory(b, wf)
		b.flush()
		dayStart := now.Add(-24 * time.Hour)
		tests := []struct {
			timeframe            string
			statuses             analytics.StatusCounts
			success, completion  float64
			average, median, p95 int64
			failurePoints        []analytics.FailurePoint
			fetch                stepWant
			transientFetch       int64
			infraFetch           int64 // infrastructure retries: in neither runs, failures, reasons nor durations
			distribution         []analytics.Range
			seriesBucket         string
			seriesLen            int
			seriesTotals         map[int]int64 // point index → executions
			firstPointStart      *time.Time
		}{
			{
				timeframe: "day", statuses: analytics.StatusCounts{Completed: 3, Failed: 1, Cancelled: 1, Paused: 1},
				success: 75, completion: 50, average: 3000, median: 2000, p95: 6000,
				failurePoints: []analytics.FailurePoint{
					{StepID: "fetch", StepName: "Fetch", FailureRate: 33.3, Reason: "timeout", Failures: 2, Attempts: 6},
					{StepID: "notify", StepName: "Notify", FailureRate: 33.3, Reason: "http_5xx", Failures: 1, Attempts: 3}},
				fetch:        stepWant{runs: 6, failures: 2, stopped: 1, rate: 33.3, reasons: map[string]int64{"timeout": 2}, p50: 200, p95: 500},
				infraFetch:   1,
				distribution: []analytics.Range{{FromMs: 512, ToMs: 1024, Count: 1}, {FromMs: 1024, ToMs: 2048, Count: 1}, {FromMs: 2048, ToMs: 4096}, {FromMs: 4096, ToMs: 8192, Count: 1}},
				seriesBucket: "hour", seriesLen: 25, seriesTotals: map[int]int64{0: 2, 19: 1, 22: 1, 23: 1, 24: 1},
				firstPointStart: &dayStart,
			},
			{
				timeframe: "week", statuses: analytics.StatusCounts{Completed: 4, Failed: 1, Cancelled: 1, Paused: 1, Running: 1},
				success: 80, completion: 50, average: 3250, median: 2000, p95: 6000,
				failurePoints: []analytics.FailurePoint{
					{StepID: "fetch", StepName: "Fetch", FailureRate: 25, Reason: "timeout", Failures: 2, Attempts: 8},
					{StepID: "notify", StepName: "Notify", FailureRate: 25, Reason: "http_5xx", Failures: 1, Attempts: 4}},
				fetch:        stepWant{runs: 8, failures: 2, stopped: 1, rate: 25, reasons: map[string]int64{"timeout": 2}, p50: 200, p95: 500},
				infraFetch:   1,
				distribution: []analytics.Range{{FromMs: 512, ToMs: 1024, Count: 1}, {FromMs: 1024, ToMs: 2048, Count: 1}, {FromMs: 2048, ToMs: 4096, Count: 1}, {FromMs: 4096, ToMs: 8192, Count: 1}},
				seriesBucket: "day", seriesLen: 8, seriesTotals: map[int]int64{4: 1, 6: 3, 7: 4},
			},
			{
				timeframe: "month", statuses: analytics.StatusCounts{Completed: 4, Failed: 2, Cancelled: 1, Paused: 1, Running: 1},
				success: 66.7, completion: 44.4, average: 3250, median: 2000, p95: 6000,
				failurePoints: []analytics.FailurePoint{
					{StepID: "fetch", StepName: "Fetch", FailureRate: 33.3, Reason: "timeout", Failures: 3, Attempts: 9},
					{StepID: "notify", StepName: "Notify", FailureRate: 25, Reason: "http_5xx", Failures: 1, Attempts: 4}},
				fetch:          stepWant{runs: 9, failures: 3, stopped: 1, rate: 33.3, reasons: map[string]int64{"timeout": 2, "http_4xx": 1}, p50: 300, p95: 500},
				transientFetch: 3,
				infraFetch:     1,
				distribution:   []analytics.Range{{FromMs: 512, ToMs: 1024, Count: 1}, {FromMs: 1024, ToMs: 2048, Count: 1}, {FromMs: 2048, ToMs: 4096, Count: 1}, {FromMs: 4096, ToMs: 8192, Count: 1}},
				seriesBucket:   "day", seriesLen: 31, seriesTotals: map[int]int64{10: 1, 27: 1, 29: 3, 30: 4},
			},
			{
				timeframe: "all", statuses: analytics.StatusCounts{Completed: 5, Failed: 2, Cancelled: 1, Paused: 1, Running: 1},
				success: 71.4, completion: 50, average: 3600, median: 4000, p95: 6000,
				failurePoints: []analytics.FailurePoint{
					{StepID: "fetch", StepName: "Fetch", FailureRate: 30, Reason: "timeout", Failures: 3, Attempts: 10},
					{StepID: "notify", StepName: "Notify", FailureRate: 20, Reason: "http_5xx", Failures: 1, Attempts: 5}},
				fetch:          stepWant{runs: 10, failures: 3, stopped: 1, rate: 30, reasons: map[string]int64{"timeout": 2, "http_4xx": 1}, p50: 200, p95: 500},
				transientFetch: 3,
				infraFetch:     3,
				distribution:   []analytics.Range{{FromMs: 512, ToMs: 1024, Count: 1}, {FromMs: 1024, ToMs: 2048, Count: 1}, {FromMs: 2048, ToMs: 4096, Count: 1}, {FromMs: 4096, ToMs: 8192, Count: 2}},
				seriesBucket:   "day", seriesLen: 101, seriesTotals: map[int]int64{0: 1, 80: 1, 97: 1, 99: 3, 100: 4},
			},
		}
		for _, tt := range tests {
			t.Run(tt.timeframe, func(t *testing.T) {
				m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, tt.timeframe, 0)
				if err != nil {
					t.Fatal(err)
				}
				if m.NoData {
					t.Errorf("noData = true with %d executions", m.TotalExecutions)
				}
				if m.Statuses != tt.statuses {
					t.Errorf("statuses = %+v, want %+v", m.Statuses, tt.statuses)
				}
				if m.TotalExecutions != tt.statuses.Total() {
					t.Errorf("totalExecutions = %d, want %d", m.TotalExecutions, tt.statuses.Total())
				}
				if m.SuccessRate != tt.success || m.CompletionRate != tt.completion {
					t.Errorf("successRate, completionRate = %v, %v; want %v, %v", m.SuccessRate, m.CompletionRate, tt.success, tt.completion)
				}
				if m.AverageExecutionTime != tt.average {
					t.Errorf("averageExecutionTime = %d, want %d", m.AverageExecutionTime, tt.average)
				}
				if m.MedianExecutionTime == nil || *m.MedianExecutionTime != tt.median || m.P95ExecutionTime == nil || *m.P95ExecutionTime != tt.p95 {
					t.Errorf("median, p95 = %v, %v; want %d, %d", m.MedianExecutionTime, m.P95ExecutionTime, tt.median, tt.p95)
				}
				if !reflect.DeepEqual(m.CommonFailurePoints, tt.failurePoints) {
					t.Errorf("commonFailurePoints = %s\nwant %s", asJSON(t, m.CommonFailurePoints), asJSON(t, tt.failurePoints))
				}
				if !reflect.DeepEqual(m.DurationDistribution, tt.distribution) {
					t.Errorf("durationDistribution = %+v, want %+v", m.DurationDistribution, tt.distribution)
				}
				fetch := m.Steps[0]
				want := tt.fetch
				if fetch.StepID != "fetch" || fetch.Runs != want.runs || fetch.Failures != want.failures || fetch.Stopped != want.stopped ||
					fetch.FailureRate != want.rate || !reflect.DeepEqual(fetch.Reasons, want.reasons) ||
					fetch.P50Ms == nil || *fetch.P50Ms != want.p50 || fetch.P95Ms == nil || *fetch.P95Ms != want.p95 {
					t.Errorf("fetch = %s, want %+v", asJSON(t, fetch), want)
				}
				if fetch.InfrastructureRetries != tt.infraFetch || m.InfrastructureRetries != tt.infraFetch {
					t.Errorf("infrastructure retries: fetch %d, every step %d; want %d", fetch.InfrastructureRetries, m.InfrastructureRetries, tt.infraFetch)
				}
				if m.Series.Bucket != tt.seriesBucket || len(m.Series.Points) != tt.seriesLen {
					t.Fatalf("series: %d %s points, want %d %s", len(m.Series.Points), m.Series.Bucket, tt.seriesLen, tt.seriesBucket)
				}
				var total int64
				for i, p := range m.Series.Points {
					total += p.Total
					if p.Total != tt.seriesTotals[i] {
						t.Errorf("series point %d (%s) has %d executions, want %d", i, p.Start, p.Total, tt.seriesTotals[i])
					}
				}
				if total != m.TotalExecutions {
					t.Errorf("the series adds up to %d executions, the total is %d", total, m.TotalExecutions)
				}
				if tt.firstPointStart != nil && !m.Series.Points[0].Start.Equal(*tt.firstPointStart) {
					t.Errorf("the first point starts at %s, want the timeframe's start %s", m.Series.Points[0].Start, tt.firstPointStart)
				}
				// The rollups answer exactly what a scan of the raw rows answers.
				from, to := analytics.Timeframe(tt.timeframe).Window(now)
				rawAgg, err := rollup.Load(b.ctx, b.srv.DB, rollup.Query{Workflow: wf, From: from, To: to, Steps: true, Raw: true})
				if err != nil {
					t.Fatal(err)
				}
				rawM := analytics.ComputeMetrics(analytics.MetricsInput{WorkflowID: wf, Timeframe: m.Timeframe, From: from, To: to,
					Agg: rawAgg, Steps: []analytics.StepInfo{{ID: "fetch", Name: "Fetch", Type: "action"}, {ID: "check", Name: "Check", Type: "condition"},
						{ID: "review", Name: "Review", Type: "human_task"}, {ID: "notify", Name: "Notify", Type: "action"}, {ID: "wait", Name: "Wait", Type: "delay"}}})
				// The tasks within due are read from the tasks themselves, rollups or not: not this comparison's.
				rawM.TasksDue = m.TasksDue
				if got, want := asJSON(t, m), asJSON(t, rawM); got != want {
					t.Errorf("metrics from the rollups differ from a raw scan:\n%s\nraw:\n%s", got, want)
				}
			})
		}
		// The day's other steps, worked out by hand.
		m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, "day", 0)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]analytics.StepStats{}
		for _, s := range m.Steps {
			byID[s.StepID] = s
		}
		check, review, notify, wait := byID["check"], byID["review"], byID["notify"], byID["wait"]
		if check.Runs != 4 || *check.ConditionTrue != 3 || *check.ConditionFalse != 1 || *check.P50Ms != 5 {
			t.Errorf("check = %s", asJSON(t, check))
		}
		if review.Runs != 2 || *review.WaitP50Ms != 60000 || *review.WaitP95Ms != 120000 || *review.TasksWithDueDate != 2 || *review.TasksLate != 1 {
			t.Errorf("review = %s", asJSON(t, review))
		}
		if notify.Runs != 3 || notify.Failures != 1 || *notify.P50Ms != 50 || *notify.P95Ms != 70 || *notify.MeanMs != 57 || notify.WaitP50Ms != nil {
			t.Errorf("notify = %s", asJSON(t, notify))
		}
		if wait.Runs != 3 || *wait.WaitP50Ms != 60000 {
			t.Errorf("wait = %s", asJSON(t, wait))
		}
		totals := analytics.StepTotals(mustLoad(t, b, wf, "month"))
		if totals["fetch"].Transient != 3 {
			t.Errorf("fetch has %d transient failures in the month, want 3 (2 timeouts and a 429)", totals["fetch"].Transient)
		}
	})
}

func mustLoad(t *testing.T, b *bundle, wf, tf string) *analytics.Aggregates {
	t.Helper()
	from, to := analytics.Timeframe(tf).Window(b.clock.Now())
	agg, err := rollup.Load(b.ctx, b.srv.DB, rollup.Query{Workflow: wf, From: from, To: to, Steps: true})
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

func TestMetricsOfAnEmptyTimeframe(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, b *bundle) {
		wf := b.workflow(knownDef)
		b.insert(run{id: "old", workflow: wf, status: "completed", start: now.Add(-40 * 24 * time.Hour), took: time.Second,
			log: []entry{c("fetch", 100)}})
		b.flush()
		for _, tf := range []string{"day", "week", "month"} {
			t.Run(tf, func(t *testing.T) {
				m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, tf, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !m.NoData || m.TotalExecutions != 0 || m.SuccessRate != 0 || m.CompletionRate != 0 || m.AverageExecutionTime != 0 ||
					m.MedianExecutionTime != nil || len(m.CommonFailurePoints) != 0 || len(m.DurationDistribution) != 0 {
					t.Errorf("metrics of an empty %s = %s", tf, asJSON(t, m))
				}
				if len(m.Steps) != 5 || m.Steps[0].Runs != 0 || m.Steps[0].P50Ms != nil || m.Steps[0].FailureRate != 0 {
					t.Errorf("steps of an empty %s = %s", tf, asJSON(t, m.Steps))
				}
				for _, p := range m.Series.Points {
					if p.Total != 0 {
						t.Errorf("series point %s has %d executions", p.Start, p.Total)
					}
				}
			})
		}
		m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, "all", 0)
		if err != nil {
			t.Fatal(err)
		}
		if m.NoData || m.TotalExecutions != 1 {
			t.Errorf("all: noData %v, total %d; want the old run", m.NoData, m.TotalExecutions)
		}
	})
}

func TestRollupsFollowStatusChanges(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, b *bundle) {
		wf := b.workflow(knownDef)
		knownHistory(b, wf)
		b.flush()
		// e9 (paused on its review, 5 hours ago) completes now, 7 s after it started; its rows are new log rows.
		history := b.srv.DB.History()
		done := now.Add(-5*time.Hour + 7*time.Second)
		if err := history.SetEnd(b.ctx, "e9", "completed", &done); err != nil {
			t.Fatal(err)
		}
		b.insert(run{id: "e12", workflow: wf, status: "running", start: now.Add(-3 * time.Hour), log: []entry{c("fetch", 100)}})
		hour := int64(3600000)
		if err := history.AppendLog(b.ctx, store.LogRow{ExecutionID: "e9", Timestamp: done, StepID: "review", StepName: "review",
			Action: "completed", DurationMs: &hour}); err != nil {
			t.Fatal(err)
		}
		b.flush()
		m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, "day", 0)
		if err != nil {
			t.Fatal(err)
		}
		want := analytics.StatusCounts{Completed: 4, Failed: 1, Cancelled: 1, Running: 1}
		if m.Statuses != want || m.AverageExecutionTime != 4000 || m.SuccessRate != 80 {
			t.Errorf("after e9 completed and e12 started: statuses %+v, average %d, success %v; want %+v, 4000, 80",
				m.Statuses, m.AverageExecutionTime, m.SuccessRate, want)
		}
		// Every execution but the test run, each counted once in the hour rows and once in the day rows: e9
		// moved from paused to completed, and its paused cells are gone (empty cells are deleted).
		wantStored := map[string]int64{"completed": 6, "failed": 2, "cancelled": 1, "running": 2}
		for _, span := range []int{1, 24} {
			stored := map[string]int64{}
			var cells int
			rows, err := b.srv.DB.Rollups().RunCellsIn(b.ctx, store.CellRange{Span: span, From: math.MinInt64, To: math.MaxInt64})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				s, n := row.Status, row.Runs
				stored[s] += n
				cells++
				if n == 0 {
					t.Errorf("span %d: an empty %s cell was kept", span, s)
				}
			}
			if !reflect.DeepEqual(stored, wantStored) {
				t.Errorf("run rollups of span %d by status = %v, want %v", span, stored, wantStored)
			}
		}
	})
}

func TestMetricsRejectAnUnknownTimeframe(t *testing.T) {
	t.Parallel()
	b := setup(t, "sqlite://"+t.TempDir()+"/p.db")
	wf := b.workflow(knownDef)
	if _, err := b.srv.App.WorkflowMetrics(b.ctx, wf, "year", 0); err == nil {
		t.Fatal("timeframe year was accepted")
	}
	if _, err := b.srv.App.WorkflowMetrics(b.ctx, "nope", "day", 0); err == nil {
		t.Fatal("an unknown workflow answered metrics")
	}
}

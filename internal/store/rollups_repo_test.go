package store_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var rollupT0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// rollupWorkflow writes the workflow the rollup exercises' executions belong to.
func rollupWorkflow(t *testing.T, db *store.DB, id string) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		return store.Insert{Row: &store.Workflow{ID: id, Name: id, LatestVersion: 1, TriggerType: "manual",
			CreatedAt: rollupT0, UpdatedAt: rollupT0}}.Apply(context.Background(), tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rollupRun(id, wf string, version int, status string, start time.Time, took time.Duration, test bool) store.HistoryRun {
	ex := store.Execution{ID: id, WorkflowID: wf, WorkflowVersion: version, Status: status, StartedAt: start, UpdatedAt: start,
		Variables: store.JSON("{}"), Outputs: store.JSON("{}"), State: store.JSON("{}"), Test: test, Revision: 1}
	if took > 0 {
		done := start.Add(took)
		ex.CompletedAt = &done
	}
	return store.HistoryRun{Execution: ex}
}

func logRow(exec, step, action string, at time.Time, ms int64, reason, msg string, data string) store.LogRow {
	row := store.LogRow{ExecutionID: exec, Timestamp: at, StepID: step, StepName: step, Action: action, Message: msg, Reason: reason}
	if ms >= 0 {
		row.DurationMs = &ms
	}
	if data != "" {
		row.Data = store.JSON(data)
	}
	return row
}

// rollupHistory writes three executions of wf: e1 (completed, with a condition and a human task that was
// due), e2 (failed on an http_4xx, version 2), t1 (a test run), and returns the history written.
func rollupHistory(t *testing.T, db *store.DB, wf string) {
	t.Helper()
	rollupWorkflow(t, db, wf)
	e1 := rollupRun("e1", wf, 1, "completed", rollupT0, 10*time.Second, false)
	done := rollupT0.Add(5 * time.Second)
	due := rollupT0.Add(time.Hour)
	e1.Log = []store.LogRow{
		logRow("e1", "check", "completed", rollupT0.Add(time.Second), 2, "", "not read", `{"next":["review"],"result":true}`),
		logRow("e1", "other", "completed", rollupT0.Add(2*time.Second), 3, "", "", `{"next":[],"result":false}`),
		logRow("e1", "review", "started", rollupT0.Add(3*time.Second), -1, "", "", ""),
		logRow("e1", "review", "completed", done, 2000, "", "", ""),
	}
	e1.Tasks = []store.HumanTask{{ID: "e1-review", ExecutionID: "e1", WorkflowID: wf, StepID: "review", Activation: 1,
		Assignee: "rep@example.com", Title: "Review", FormFields: store.JSON("[]"), DueAt: &due, Status: "completed",
		CompletedBy: "rep@example.com", CompletedAt: &done, CreatedAt: rollupT0, UpdatedAt: done}}
	e2 := rollupRun("e2", wf, 2, "failed", rollupT0.Add(time.Hour), time.Second, false)
	e2.Log = []store.LogRow{
		logRow("e2", "fetch", "failed", rollupT0.Add(time.Hour+time.Second), 40, "http_4xx", "answered 404", ""),
		logRow("e2", "fetch", "failed", rollupT0.Add(time.Hour+2*time.Second), 50, "timeout", "did not answer", ""),
	}
	t1 := rollupRun("t1", wf, 1, "paused", rollupT0.Add(2*time.Hour), 0, true)
	t1.Log = []store.LogRow{logRow("t1", "review", "started", rollupT0.Add(2*time.Hour), -1, "", "", "")}
	t1.Tasks = []store.HumanTask{{ID: "t1-review", ExecutionID: "t1", WorkflowID: wf, StepID: "review", Activation: 1,
		Assignee: "rep@example.com", Title: "Review", FormFields: store.JSON("[]"), Status: "open", CreatedAt: rollupT0,
		UpdatedAt: rollupT0}}
	if err := db.History().Insert(context.Background(), e1, e2, t1); err != nil {
		t.Fatal(err)
	}
}

func runKey(wf string, span int, hour int64, version int, status string) store.RunCellKey {
	return store.RunCellKey{WorkflowID: wf, Span: span, Hour: hour, WorkflowVersion: version, Status: status}
}

func newWatermark() *store.LogWatermark {
	return &store.LogWatermark{Name: "execution_log", Clock: clock.NewFake(rollupT0), Log: storetest.Quiet()}
}

// allLog reads every log row LogRange gives for (lo, hi], by execution and step in log order.
func allLog(t *testing.T, r store.Rollups, lo, hi int64) []store.RollupLogEntry {
	t.Helper()
	var out []store.RollupLogEntry
	if err := r.LogRange(context.Background(), lo, hi, func(e store.RollupLogEntry) { out = append(out, e) }); err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

var _ = exercise("rollups/fold log", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	rollupHistory(t, db, "wf")
	w := newWatermark()
	all, err := db.Rollups().AllocatedLogID(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if all < 7 {
		t.Fatalf("allocated log id %d, want at least the 7 rows written", all)
	}
	// A fold that fails leaves nothing behind: neither its cell nor the watermark's move.
	// (On PostgreSQL a pass may first have to prove its bound: passes that find nothing to fold are retried.)
	boom := errors.New("boom")
	for range 5 {
		_, _, err = db.Rollups().FoldLog(ctx, w, 3, func(tx *store.Tx, lo, hi int64) error {
			if err := tx.Rollups().PutRunCells(ctx, []store.AnalyticsRunHour{{WorkflowID: "wf", Span: 1, Hour: 1, WorkflowVersion: 1,
				Status: "completed", Runs: 1}}); err != nil {
				return err
			}
			return boom
		})
		if err != nil {
			break
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("a failing fold returned %v, want boom", err)
	}
	if cells, err := db.Rollups().RunCellsIn(ctx, store.CellRange{Span: 1, From: math.MinInt64, To: math.MaxInt64}); err != nil || len(cells) != 0 {
		t.Fatalf("after a failed fold: cells %v, %v; want none", cells, err)
	}
	// Batches of 3: (0, 3], (3, 6], (6, 7] — each range once, the cell written with the watermark.
	var ranges [][2]int64
	var rows int
	position := int64(0)
	for idle := 0; idle < 5; {
		moved, at, err := db.Rollups().FoldLog(ctx, w, 3, func(tx *store.Tx, lo, hi int64) error {
			ranges = append(ranges, [2]int64{lo, hi})
			rows += len(allLog(t, tx.Rollups(), lo, hi))
			return tx.Rollups().PutRunCells(ctx, []store.AnalyticsRunHour{{WorkflowID: "wf", Span: 1, Hour: hi, WorkflowVersion: 1,
				Status: "completed", Runs: hi - lo}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if !moved {
			if at != position {
				t.Fatalf("a pass that did not move says position %d, want %d", at, position)
			}
			idle++
			continue
		}
		if at <= position {
			t.Fatalf("moved from %d to %d", position, at)
		}
		position = at
	}
	if position != all || rows != 7 {
		t.Fatalf("folded up to %d (%d rows), want %d (7 rows); ranges %v", position, rows, all, ranges)
	}
	for i, r := range ranges {
		if r[1]-r[0] > 3 || (i > 0 && r[0] != ranges[i-1][1]) || (i == 0 && r[0] != 0) {
			t.Fatalf("ranges %v: not consecutive batches of at most 3", ranges)
		}
	}
	cells, err := db.Rollups().RunCellsIn(ctx, store.CellRange{WorkflowID: "wf", Span: 1, From: math.MinInt64, To: math.MaxInt64})
	if err != nil {
		t.Fatal(err)
	}
	var runs int64
	for _, c := range cells {
		runs += c.Runs
	}
	if len(cells) != len(ranges) || runs != all {
		t.Fatalf("cells %+v: want one per pass, %d runs in all", cells, all)
	}
	// A new log row is folded in by the next pass, and only it.
	if err := db.History().AppendLog(ctx, logRow("e2", "fetch", "completed", rollupT0.Add(2*time.Hour), 7, "", "", "")); err != nil {
		t.Fatal(err)
	}
	var got []store.RollupLogEntry
	var moved bool
	var at int64
	for range 5 {
		moved, at, err = db.Rollups().FoldLog(ctx, w, 100, func(tx *store.Tx, lo, hi int64) error {
			got = allLog(t, tx.Rollups(), lo, hi)
			return nil
		})
		if err != nil || moved {
			break
		}
	}
	if err != nil || !moved || at <= position || len(got) != 1 || got[0].ExecutionID != "e2" || got[0].Action != "completed" {
		t.Fatalf("after a new row: moved %v to %d (from %d), %v, read %+v; want that row alone", moved, at, position, err, got)
	}
	if b := db.Rollups().FoldBatch(); b <= 0 {
		t.Fatalf("FoldBatch = %d", b)
	}
})

var _ = exercise("rollups/log and executions", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	rollupHistory(t, db, "wf")
	r := db.Rollups()
	got := allLog(t, r, 0, math.MaxInt64)
	if len(got) != 7 {
		t.Fatalf("%d log rows, want 7", len(got))
	}
	check, other, started, review, notFound, timeout := got[0], got[1], got[2], got[3], got[4], got[5]
	if check.ExecutionID != "e1" || check.Step != "check" || check.ConditionResult == nil || !*check.ConditionResult ||
		check.Message != "" || check.DurationMs == nil || *check.DurationMs != 2 || check.CompletedTask || !check.At.Equal(rollupT0.Add(time.Second)) {
		t.Errorf("check = %+v; want a true condition of 2 ms, no message, no task", check)
	}
	if other.ConditionResult == nil || *other.ConditionResult {
		t.Errorf("other = %+v; want a false condition", other)
	}
	if started.DurationMs != nil || started.ConditionResult != nil || started.CompletedTask {
		t.Errorf("started = %+v; want no duration, result or task", started)
	}
	if !review.CompletedTask || review.TaskDueAt == nil || !review.TaskDueAt.Equal(rollupT0.Add(time.Hour)) || *review.DurationMs != 2000 {
		t.Errorf("review = %+v; want the completed task due at %v", review, rollupT0.Add(time.Hour))
	}
	if notFound.Reason != "http_4xx" || notFound.Message != "answered 404" || timeout.Reason != "timeout" || timeout.Message != "" {
		t.Errorf("failures %+v, %+v; want the http_4xx's message only", notFound, timeout)
	}
	var ofE2 []string
	if err := r.LogOf(ctx, []string{"e2", "nope"}, func(e store.RollupLogEntry) { ofE2 = append(ofE2, e.ExecutionID+":"+e.Reason) }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ofE2)
	if want := []string{"e2:http_4xx", "e2:timeout"}; !reflect.DeepEqual(ofE2, want) {
		t.Errorf("LogOf(e2) = %v, want %v", ofE2, want)
	}

	byID, err := r.ExecutionsByID(ctx, []string{"e1", "t1", "gone"})
	if err != nil {
		t.Fatal(err)
	}
	e1 := byID["e1"]
	if len(byID) != 2 || e1.WorkflowID != "wf" || e1.WorkflowVersion != 1 || e1.Status != "completed" || !e1.StartedAt.Equal(rollupT0) ||
		e1.CompletedAt == nil || !e1.CompletedAt.Equal(rollupT0.Add(10*time.Second)) || e1.Test || !byID["t1"].Test || byID["t1"].CompletedAt != nil {
		t.Errorf("ExecutionsByID = %+v", byID)
	}
	started2 := func(s store.StartedRange) []string {
		t.Helper()
		var ids []string
		if err := r.ExecutionsStarted(ctx, s, func(e store.RollupExecution) { ids = append(ids, e.ID) }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids
	}
	end := rollupT0.Add(time.Hour) // e2's start
	for _, c := range []struct {
		name string
		s    store.StartedRange
		want []string
	}{
		{"exclusive end", store.StartedRange{From: rollupT0, To: end}, []string{"e1"}},
		{"inclusive end", store.StartedRange{From: rollupT0, To: end, Inclusive: true}, []string{"e1", "e2"}},
		{"test runs aside", store.StartedRange{From: rollupT0, To: rollupT0.Add(3 * time.Hour)}, []string{"e1", "e2"}},
		{"a version", store.StartedRange{WorkflowVersion: 2, From: rollupT0, To: rollupT0.Add(3 * time.Hour)}, []string{"e2"}},
		{"another workflow", store.StartedRange{WorkflowID: "other", From: rollupT0, To: rollupT0.Add(3 * time.Hour)}, nil},
		{"a start after", store.StartedRange{From: rollupT0.Add(time.Second), To: rollupT0.Add(3 * time.Hour).In(time.FixedZone("x", 3600))}, []string{"e2"}},
	} {
		if got := started2(c.s); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	// The open tasks: t1's is a test run's; a real run's open task, due an hour ago, counts.
	e3 := rollupRun("e3", "wf", 1, "paused", rollupT0, 0, false)
	due := rollupT0.Add(-time.Hour)
	e3.Tasks = []store.HumanTask{
		{ID: "e3-a", ExecutionID: "e3", WorkflowID: "wf", StepID: "review", Activation: 1, Assignee: "rep@example.com", Title: "A",
			FormFields: store.JSON("[]"), DueAt: &due, Status: "open", CreatedAt: rollupT0, UpdatedAt: rollupT0},
		{ID: "e3-b", ExecutionID: "e3", WorkflowID: "wf", StepID: "review", Activation: 2, Assignee: "rep@example.com", Title: "B",
			FormFields: store.JSON("[]"), Status: "open", CreatedAt: rollupT0, UpdatedAt: rollupT0},
	}
	if err := db.History().Insert(ctx, e3); err != nil {
		t.Fatal(err)
	}
	open, err := r.OpenTaskCounts(ctx, "", rollupT0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.OpenTaskCount{{WorkflowID: "wf", StepID: "review", Assignee: "rep@example.com", Open: 2, WithDue: 1, Overdue: 1}}
	if !reflect.DeepEqual(open, want) {
		t.Errorf("open tasks %+v, want %+v", open, want)
	}
	if open, err := r.OpenTaskCounts(ctx, "other", rollupT0); err != nil || len(open) != 0 {
		t.Errorf("open tasks of another workflow: %+v, %v", open, err)
	}
	if open, err := r.OpenTaskCounts(ctx, "wf", rollupT0.Add(-2*time.Hour)); err != nil || len(open) != 1 || open[0].Overdue != 0 {
		t.Errorf("open tasks before the due date: %+v, %v; want none overdue", open, err)
	}
})

var _ = exercise("rollups/cells", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		r := tx.Rollups()
		var cells []store.AnalyticsRunHour
		for h := range int64(250) { // more than one statement's worth
			cells = append(cells, store.AnalyticsRunHour{WorkflowID: "wf", Span: 1, Hour: h, WorkflowVersion: 1, Status: "completed",
				Runs: h + 1, DurationCount: h, DurationSumMs: 10 * h, DurationHist: []byte{byte(h), 1}})
		}
		cells = append(cells,
			store.AnalyticsRunHour{WorkflowID: "wf", Span: 24, Hour: 0, WorkflowVersion: 1, Status: "completed", Runs: 7, DurationHist: []byte{}},
			store.AnalyticsRunHour{WorkflowID: "wf", Span: 1, Hour: 5, WorkflowVersion: 2, Status: "failed", Runs: 3, DurationHist: []byte{}},
			store.AnalyticsRunHour{WorkflowID: "other", Span: 1, Hour: 5, WorkflowVersion: 1, Status: "failed", Runs: 4, DurationHist: []byte{}})
		if err := r.PutRunCells(ctx, cells); err != nil {
			return err
		}
		in := func(c store.CellRange) map[store.RunCellKey]int64 {
			t.Helper()
			rows, err := r.RunCellsIn(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			out := map[store.RunCellKey]int64{}
			for _, row := range rows {
				out[row.Key()] = row.Runs
			}
			return out
		}
		if got := in(store.CellRange{WorkflowID: "wf", Span: 1, From: 4, To: 6}); !reflect.DeepEqual(got, map[store.RunCellKey]int64{
			runKey("wf", 1, 4, 1, "completed"): 5, runKey("wf", 1, 5, 1, "completed"): 6, {"wf", 1, 5, 2, "failed"}: 3}) {
			t.Errorf("hours [4, 6) of wf: %v", got)
		}
		if got := in(store.CellRange{WorkflowVersion: 1, Span: 1, From: 5, To: 6}); len(got) != 2 || got[runKey("other", 1, 5, 1, "failed")] != 4 {
			t.Errorf("hour 5 of version 1, every workflow: %v", got)
		}
		if got := in(store.CellRange{Span: 24, From: math.MinInt64, To: math.MaxInt64}); len(got) != 1 || got[runKey("wf", 24, 0, 1, "completed")] != 7 {
			t.Errorf("day cells: %v", got)
		}
		if got := in(store.CellRange{Span: 1, From: math.MinInt64, To: math.MaxInt64}); len(got) != 252 {
			t.Errorf("%d hour cells, want 252", len(got))
		}
		// Replacing and reading by key, deleting.
		keys := []store.RunCellKey{runKey("wf", 1, 249, 1, "completed"), runKey("wf", 1, 3, 1, "completed"), runKey("wf", 1, 3, 1, "paused")}
		if err := r.PutRunCells(ctx, []store.AnalyticsRunHour{{WorkflowID: "wf", Span: 1, Hour: 3, WorkflowVersion: 1, Status: "completed",
			Runs: 40, DurationCount: 2, DurationSumMs: 30, DurationHist: []byte{9}}}); err != nil {
			return err
		}
		byKey, err := r.RunCells(ctx, keys)
		if err != nil {
			return err
		}
		want3 := store.AnalyticsRunHour{WorkflowID: "wf", Span: 1, Hour: 3, WorkflowVersion: 1, Status: "completed", Runs: 40,
			DurationCount: 2, DurationSumMs: 30, DurationHist: []byte{9}}
		if len(byKey) != 2 || !reflect.DeepEqual(byKey[keys[1]], want3) || byKey[keys[0]].Runs != 250 ||
			!reflect.DeepEqual(byKey[keys[0]].DurationHist, []byte{249, 1}) {
			t.Errorf("RunCells = %+v", byKey)
		}
		var gone []store.RunCellKey
		for h := range int64(210) {
			gone = append(gone, runKey("wf", 1, h, 1, "completed"))
		}
		if err := r.DeleteRunCells(ctx, gone); err != nil {
			return err
		}
		if got := in(store.CellRange{WorkflowID: "wf", WorkflowVersion: 1, Span: 1, From: math.MinInt64, To: math.MaxInt64}); len(got) != 40 {
			t.Errorf("%d cells of wf v1 left, want 40", len(got))
		}

		// Step cells: every column survives the round trip, and a put replaces.
		step := store.AnalyticsStepHour{WorkflowID: "wf", Span: 1, Hour: 2, WorkflowVersion: 1, StepID: "fetch", Completed: 1, Failed: 2,
			SkippedFailed: 3, SkippedOther: 4, TransientFailures: 5, Reasons: "timeout:2", DurationCount: 6, DurationSumMs: 7,
			DurationHist: []byte{1, 2, 3}, ConditionTrue: 8, ConditionFalse: 9, TasksWithDue: 10, TasksLate: 11, InfrastructureRetries: 12}
		var steps []store.AnalyticsStepHour
		for h := range int64(150) {
			s := step
			s.Hour, s.Completed = 100+h, h
			steps = append(steps, s)
		}
		if err := r.PutStepCells(ctx, append(steps, step)); err != nil {
			return err
		}
		replaced := step
		replaced.Completed, replaced.Reasons = 100, "http_5xx:1"
		if err := r.PutStepCells(ctx, []store.AnalyticsStepHour{replaced}); err != nil {
			return err
		}
		stepKeys := []store.StepCellKey{step.Key(), {WorkflowID: "wf", Span: 1, Hour: 2, WorkflowVersion: 1, StepID: "other"},
			{WorkflowID: "wf", Span: 1, Hour: 249, WorkflowVersion: 1, StepID: "fetch"}}
		gotSteps, err := r.StepCells(ctx, stepKeys)
		if err != nil {
			return err
		}
		if len(gotSteps) != 2 || !reflect.DeepEqual(gotSteps[step.Key()], replaced) || gotSteps[stepKeys[2]].Completed != 149 {
			t.Errorf("StepCells = %+v, want %+v and hour 249's", gotSteps, replaced)
		}
		var inRange []int64
		if err := r.StepCellsIn(ctx, store.CellRange{WorkflowID: "wf", WorkflowVersion: 1, Span: 1, From: 0, To: 102}, func(c store.AnalyticsStepHour) error {
			inRange = append(inRange, c.Hour)
			return nil
		}); err != nil {
			return err
		}
		slices.Sort(inRange)
		if !reflect.DeepEqual(inRange, []int64{2, 100, 101}) {
			t.Errorf("step cells of hours [0, 102): %v", inRange)
		}
		stop := errors.New("stop")
		if err := r.StepCellsIn(ctx, store.CellRange{Span: 1, From: 0, To: 1000}, func(store.AnalyticsStepHour) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("StepCellsIn gave back %v, want the callback's error", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
})

var _ = exercise("rollups/counted executions", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := db.Rollups()
	ms := int64(1500)
	var rows []store.AnalyticsExecution
	var ids []string
	for i := range 230 {
		id := "e" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		ids = append(ids, id)
		rows = append(rows, store.AnalyticsExecution{ExecutionID: id, WorkflowID: "wf", WorkflowVersion: 1, Hour: int64(i), Status: "running"})
	}
	rows[0].Status, rows[0].DurationMs = "completed", &ms
	if err := r.CountExecutions(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got, err := r.CountedExecutions(ctx, append(ids, "nope"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 230 || !reflect.DeepEqual(got[ids[0]], rows[0]) || !reflect.DeepEqual(got[ids[229]], rows[229]) || got[ids[1]].DurationMs != nil {
		t.Fatalf("counted %d: %+v, %+v", len(got), got[ids[0]], got[ids[229]])
	}
	// Recounted: replaced in place; uncounted: gone.
	rows[1].Status, rows[1].Hour, rows[1].DurationMs = "completed", 99, &ms
	if err := r.CountExecutions(ctx, rows[1:2]); err != nil {
		t.Fatal(err)
	}
	if err := r.UncountExecutions(ctx, ids[2:]); err != nil {
		t.Fatal(err)
	}
	got, err = r.CountedExecutions(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[ids[1]], rows[1]) {
		t.Fatalf("after recounting and uncounting: %+v", got)
	}
})

var _ = exercise("rollups/history", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	rollupWorkflow(t, db, "wf")
	h := db.History()
	if id, err := h.NewestWorkflow(ctx); err != nil || id != "" {
		t.Fatalf("NewestWorkflow of no execution = %q, %v", id, err)
	}
	const n = 12
	calls := 0
	rows, err := h.Load(ctx, n, func(i int) store.HistoryRun {
		calls++
		r := rollupRun(string(rune('a'+i)), "wf", 1, "completed", rollupT0.Add(time.Duration(i)*time.Minute), time.Second, false)
		r.Log = []store.LogRow{logRow(r.Execution.ID, "s", "started", r.Execution.StartedAt, -1, "", "", ""),
			logRow(r.Execution.ID, "s", "completed", r.Execution.StartedAt, 1000, "", "", `{"result":true}`)}
		if i%3 == 0 {
			r.Execution.Status, r.Execution.CompletedAt = "paused", nil
			r.Tasks = []store.HumanTask{{ID: r.Execution.ID + "-t", ExecutionID: r.Execution.ID, WorkflowID: "wf", StepID: "s",
				Activation: 1, Assignee: "rep@example.com", Title: "T", FormFields: store.JSON("[]"), Status: "open",
				CreatedAt: rollupT0, UpdatedAt: rollupT0}}
		}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != 2*n || calls < n {
		t.Fatalf("Load wrote %d log rows with %d calls, want %d rows", rows, calls, 2*n)
	}
	got := allLog(t, db.Rollups(), 0, math.MaxInt64)
	var trueResults int
	for _, e := range got {
		if e.ConditionResult != nil && *e.ConditionResult {
			trueResults++
		}
	}
	if len(got) != 2*n || trueResults != n {
		t.Fatalf("log after Load: %+v; want %d rows, %d with a true result", got, 2*n, n)
	}
	if c, err := h.CompletedRuns(ctx, "wf"); err != nil || c != 8 {
		t.Fatalf("CompletedRuns = %d, %v; want 8", c, err)
	}
	if id, err := h.OpenTaskOf(ctx, "d"); err != nil || id != "d-t" {
		t.Fatalf("OpenTaskOf(d) = %q, %v", id, err)
	}
	if _, err := h.OpenTaskOf(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("OpenTaskOf(b) = %v, want ErrNotFound", err)
	}
	done := rollupT0.Add(time.Hour)
	if err := h.SetEnd(ctx, "a", "completed", &done); err != nil {
		t.Fatal(err)
	}
	if err := h.SetEnd(ctx, "nope", "completed", &done); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SetEnd of no execution = %v, want ErrNotFound", err)
	}
	byID, err := db.Rollups().ExecutionsByID(ctx, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if a := byID["a"]; a.Status != "completed" || a.CompletedAt == nil || !a.CompletedAt.Equal(done) {
		t.Fatalf("after SetEnd: %+v", a)
	}
	if c, err := h.CompletedRuns(ctx, "wf"); err != nil || c != 9 {
		t.Fatalf("CompletedRuns = %d, %v; want 9", c, err)
	}
	if id, err := h.NewestWorkflow(ctx); err != nil || id != "wf" {
		t.Fatalf("NewestWorkflow = %q, %v", id, err)
	}
	if err := h.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
})

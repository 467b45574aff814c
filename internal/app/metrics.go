package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/analytics/rollup"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func timeframeError(err error) error {
	return &Error{Kind: ErrInvalid, Message: err.Error(),
		Details: []Detail{{Path: "timeframe", Message: "use day, week, month or all"}}}
}

// WorkflowMetrics is a workflow's metrics over the executions started in a timeframe (day, week, month or
// all, ending now), of one version or of every version (version 0). Test runs are left out.
func (a *App) WorkflowMetrics(ctx context.Context, id, timeframe string, version int) (*analytics.Metrics, error) {
	return a.WorkflowMetricsOf(ctx, MetricsQuery{WorkflowID: id, Timeframe: timeframe, Version: version})
}

// MetricsQuery asks for a workflow's metrics: over a timeframe (day, week, month or all), of one version (or
// every version: 0), and with the designer's test runs left out (the default), included or alone.
type MetricsQuery struct {
	WorkflowID string
	Timeframe  string
	Version    int
	TestRuns   string
}

// WorkflowMetricsOf is a workflow's metrics as the query asks.
func (a *App) WorkflowMetricsOf(ctx context.Context, mq MetricsQuery) (*analytics.Metrics, error) {
	tf, err := analytics.ParseTimeframe(mq.Timeframe)
	if err != nil {
		return nil, timeframeError(err)
	}
	tests, err := analytics.ParseTestRuns(mq.TestRuns)
	if err != nil {
		return nil, &Error{Kind: ErrInvalid, Message: err.Error(),
			Details: []Detail{{Path: "test", Message: "use exclude (the default), include or only"}}}
	}
	id, version := mq.WorkflowID, mq.Version
	wf, err := findWorkflow(ctx, a.DB.Workflows(), id)
	if err != nil {
		return nil, err
	}
	if version != 0 {
		if _, err := findVersion(ctx, a.DB.Workflows(), id, version); err != nil {
			return nil, err
		}
	}
	from, to := tf.Window(a.Clock.Now())
	// An hourly series (the day) needs hour cells; longer timeframes read whole days from day cells.
	agg, err := rollup.Load(ctx, a.DB, rollup.Query{Workflow: id, Version: version, From: from, To: to, Steps: true,
		Days: tf != analytics.Day, TestRuns: tests})
	if err != nil {
		return nil, err
	}
	infos, err := a.stepInfos(ctx, wf, version, agg)
	if err != nil {
		return nil, err
	}
	m := analytics.ComputeMetrics(analytics.MetricsInput{WorkflowID: id, Version: version, Timeframe: tf, TestRuns: tests,
		From: from, To: to, Agg: agg, Steps: infos})
	if m.TasksDue, err = a.tasksDue(ctx, id, version, from, to, tests, infos); err != nil {
		return nil, err
	}
	return m, nil
}

// tasksDue counts the human tasks made in [from, to) that had a due date: done within it, late, overdue.
func (a *App) tasksDue(ctx context.Context, id string, version int, from, to time.Time, tests analytics.TestRuns, steps []analytics.StepInfo) (*analytics.TaskDue, error) {
	q := store.TaskDueQuery{WorkflowID: id, Version: version, To: to, Now: a.Clock.Now(),
		WithTests: tests == analytics.WithTestRuns, OnlyTests: tests == analytics.OnlyTestRuns}
	if !from.IsZero() { // all time starts at the zero time
		q.From = &from
	}
	rows, err := a.DB.Tasks().TaskDue(ctx, q)
	if err != nil {
		return nil, err
	}
	counts := make([]analytics.TaskDueCount, len(rows))
	for i, r := range rows {
		counts[i] = analytics.TaskDueCount{StepID: r.StepID, Who: r.Who, InTime: r.InTime, Late: r.Late, Overdue: r.Overdue, Open: r.InDue}
	}
	return analytics.ComputeTaskDue(counts, steps), nil
}

// stepInfos names the steps: those of the given version, else of the active (or latest) version first, then
// those only older versions that have data had, newest first.
func (a *App) stepInfos(ctx context.Context, wf *store.Workflow, version int, agg *analytics.Aggregates) ([]analytics.StepInfo, error) {
	primary := version
	if primary == 0 {
		primary = wf.LatestVersion
		if wf.ActiveVersion != nil {
			primary = *wf.ActiveVersion
		}
	}
	versions := []int{primary}
	if version == 0 {
		for k := range agg.Steps {
			if !slices.Contains(versions, k.Version) {
				versions = append(versions, k.Version)
			}
		}
		slices.SortFunc(versions[1:], func(x, y int) int { return cmp.Compare(y, x) })
	}
	rows, err := a.DB.Workflows().VersionDefinitions(ctx, wf.ID, versions)
	if err != nil {
		return nil, err
	}
	defs := map[int]*workflow.Definition{}
	for _, r := range rows {
		def, err := workflow.Decode(r.Definition)
		if err != nil {
			return nil, fmt.Errorf("workflow %s version %d: %w", wf.ID, r.Version, err)
		}
		defs[r.Version] = def
	}
	var out []analytics.StepInfo
	seen := map[string]bool{}
	for _, v := range versions {
		def := defs[v]
		if def == nil {
			continue
		}
		for _, s := range def.Steps {
			if !seen[s.ID] {
				seen[s.ID] = true
				out = append(out, analytics.StepInfo{ID: s.ID, Name: s.Name, Type: s.Type})
			}
		}
	}
	return out, nil
}

// Overview is a manager's view of every workflow over a timeframe, and of the open tasks now.
type Overview struct {
	Timeframe analytics.Timeframe `json:"timeframe"`
	From      *time.Time          `json:"from"`
	To        time.Time           `json:"to"`
	// NoData says no execution started in the timeframe.
	NoData    bool               `json:"noData"`
	Workflows []OverviewWorkflow `json:"workflows"`
	// Reps are the people with open tasks, most overdue tasks first.
	Reps []RepTasks `json:"reps"`
}

// OverviewWorkflow is one workflow's line of the overview.
type OverviewWorkflow struct {
	ID            string                 `json:"id"`
	Name          string                 `json:"name"`
	Enabled       bool                   `json:"enabled"`
	ActiveVersion *int                   `json:"activeVersion"`
	Runs          int64                  `json:"runs"`
	Statuses      analytics.StatusCounts `json:"statuses"`
	SuccessRate   float64                `json:"successRate"`
	// MedianDurationMs is the median of completedAt − startedAt over completed runs; null without any.
	MedianDurationMs *int64 `json:"medianDurationMs"`
	OpenTasks        int64  `json:"openTasks"`
	OverdueTasks     int64  `json:"overdueTasks"`
}

// RepTasks are one person's open human tasks.
type RepTasks struct {
	Assignee     string `json:"assignee"`
	Name         string `json:"name"`
	OpenTasks    int64  `json:"openTasks"`
	OverdueTasks int64  `json:"overdueTasks"`
}

// ManagerOverview lists every workflow with its runs, success rate and median duration over the timeframe,
// and its open and overdue human tasks now, and the open and overdue tasks per rep.
func (a *App) ManagerOverview(ctx context.Context, timeframe string) (*Overview, error) {
	tf, err := analytics.ParseTimeframe(timeframe)
	if err != nil {
		return nil, timeframeError(err)
	}
	now := a.Clock.Now()
	from, to := tf.Window(now)
	wfs, err := a.DB.Workflows().ListWorkflows(ctx, -1, 0)
	if err != nil {
		return nil, err
	}
	agg, err := rollup.Load(ctx, a.DB, rollup.Query{From: from, To: to, Days: true})
	if err != nil {
		return nil, err
	}
	tasks, err := rollup.OpenTasks(ctx, a.DB, "", now)
	if err != nil {
		return nil, err
	}
	byWorkflow := map[string]map[analytics.RunKey]*analytics.RunCell{}
	for k, c := range agg.Runs {
		if byWorkflow[k.Workflow] == nil {
			byWorkflow[k.Workflow] = map[analytics.RunKey]*analytics.RunCell{}
		}
		byWorkflow[k.Workflow][k] = c
	}
	type counts struct{ open, overdue int64 }
	wfTasks, repTasks := map[string]*counts{}, map[string]*counts{}
	for _, t := range tasks {
		for _, m := range []struct {
			m   map[string]*counts
			key string
		}{{wfTasks, t.Workflow}, {repTasks, t.Assignee}} {
			c := m.m[m.key]
			if c == nil {
				c = &counts{}
				m.m[m.key] = c
			}
			c.open += t.Open
			c.overdue += t.Overdue
		}
	}
	out := &Overview{Timeframe: tf, To: to, Workflows: []OverviewWorkflow{}, Reps: []RepTasks{}, NoData: true}
	if !from.IsZero() {
		out.From = &from
	}
	for _, w := range wfs {
		sum := analytics.Summarize(byWorkflow[w.ID])
		row := OverviewWorkflow{ID: w.ID, Name: w.Name, Enabled: w.Enabled, ActiveVersion: w.ActiveVersion,
			Runs: sum.Statuses.Total(), Statuses: sum.Statuses, SuccessRate: sum.SuccessRate()}
		if p, ok := sum.Durations.Percentile(50); ok {
			row.MedianDurationMs = &p
		}
		if c := wfTasks[w.ID]; c != nil {
			row.OpenTasks, row.OverdueTasks = c.open, c.overdue
		}
		if row.Runs > 0 {
			out.NoData = false
		}
		out.Workflows = append(out.Workflows, row)
	}
	emails := make([]string, 0, len(repTasks))
	for e := range repTasks {
		emails = append(emails, e)
	}
	names, err := a.DB.Users().NamesByEmail(ctx, emails)
	if err != nil {
		return nil, err
	}
	for e, c := range repTasks {
		out.Reps = append(out.Reps, RepTasks{Assignee: e, Name: names[e], OpenTasks: c.open, OverdueTasks: c.overdue})
	}
	slices.SortFunc(out.Reps, func(x, y RepTasks) int {
		return cmp.Or(cmp.Compare(y.OverdueTasks, x.OverdueTasks), cmp.Compare(y.OpenTasks, x.OpenTasks),
			strings.Compare(x.Assignee, y.Assignee))
	})
	return out, nil
}

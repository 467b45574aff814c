package analytics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Timeframe is the window metrics cover: the last 24 hours, 7 days, 30 days, or everything.
type Timeframe string

// Timeframes.
const (
	Day   Timeframe = "day"
	Week  Timeframe = "week"
	Month Timeframe = "month"
	All   Timeframe = "all"
)

// ParseTimeframe reads a timeframe; empty means the week.
func ParseTimeframe(s string) (Timeframe, error) {
	switch tf := Timeframe(strings.ToLower(strings.TrimSpace(s))); tf {
	case "":
		return Week, nil
	case Day, Week, Month, All:
		return tf, nil
	}
	return "", fmt.Errorf("timeframe %q is not one of day, week, month, all", s)
}

// TestRuns says whether metrics count the designer's test runs: never (the default), as well, or alone.
type TestRuns string

// The choices of TestRuns.
const (
	WithoutTestRuns TestRuns = ""
	WithTestRuns    TestRuns = "include"
	OnlyTestRuns    TestRuns = "only"
)

// ParseTestRuns reads a test-runs choice: empty or "exclude" (the default), "include" or "only".
func ParseTestRuns(s string) (TestRuns, error) {
	switch t := strings.ToLower(strings.TrimSpace(s)); t {
	case "", "exclude":
		return WithoutTestRuns, nil
	case string(WithTestRuns), string(OnlyTestRuns):
		return TestRuns(t), nil
	}
	return "", fmt.Errorf("test %q is not one of exclude, include, only", s)
}

// Window is the timeframe's range ending at now: executions started at From or later and at now or earlier.
// From is zero for All.
func (tf Timeframe) Window(now time.Time) (from, to time.Time) {
	now = now.UTC()
	switch tf {
	case Day:
		return now.Add(-24 * time.Hour), now
	case Week:
		return now.Add(-7 * 24 * time.Hour), now
	case Month:
		return now.Add(-30 * 24 * time.Hour), now
	}
	return time.Time{}, now
}

// StepInfo is what the definition says about a step, for labels and per-type figures.
type StepInfo struct {
	ID   string
	Name string
	Type string
}

// Metrics is the seed's WorkflowMetrics (the first five fields), and what a dashboard needs beside it.
type Metrics struct {
	TotalExecutions      int64          `json:"totalExecutions"`
	SuccessRate          float64        `json:"successRate"`          // completed ÷ (completed + failed) × 100
	AverageExecutionTime int64          `json:"averageExecutionTime"` // ms, mean over completed executions
	CompletionRate       float64        `json:"completionRate"`       // completed ÷ total × 100
	CommonFailurePoints  []FailurePoint `json:"commonFailurePoints"`

	WorkflowID string    `json:"workflowId"`
	Version    int       `json:"version,omitempty"` // 0: every version
	Timeframe  Timeframe `json:"timeframe"`
	// TestRuns is "include" or "only" when the figures count the designer's test runs; absent when they
	// leave them out, as they do unless asked.
	TestRuns TestRuns   `json:"testRuns,omitempty"`
	From     *time.Time `json:"from"` // null for "all"
	To       time.Time  `json:"to"`
	// NoData says no execution started in the timeframe: every figure is zero, not a division by zero.
	NoData              bool         `json:"noData"`
	Statuses            StatusCounts `json:"statuses"`
	MedianExecutionTime *int64       `json:"medianExecutionTime"` // ms, completed executions; null without any
	P95ExecutionTime    *int64       `json:"p95ExecutionTime"`
	Steps               []StepStats  `json:"steps"`
	Series              Series       `json:"series"`
	// DurationDistribution is how long completed executions took, in ranges of powers of two.
	DurationDistribution []Range `json:"durationDistribution"`
	// PercentileError is the largest relative error of the percentiles (they come from log-scale buckets).
	PercentileError float64 `json:"percentileError"`
	// InfrastructureRetries are the step tries, over every step, that the database cut short and the engine
	// retried; the success rate and the failure points leave them out.
	InfrastructureRetries int64 `json:"infrastructureRetries"`
	// TasksDue is the share of the human tasks made in the timeframe that were done within their due
	// date, per step and per person; absent when no task had a due date.
	TasksDue *TaskDue `json:"tasksDue,omitempty"`
}

// FailurePoint is a step that fails, with its most frequent reason class.
type FailurePoint struct {
	StepID      string  `json:"stepId"`
	StepName    string  `json:"stepName"`
	FailureRate float64 `json:"failureRate"` // failed attempts ÷ attempts × 100
	Reason      string  `json:"reason"`
	Failures    int64   `json:"failures"`
	Attempts    int64   `json:"attempts"`
}

// StatusCounts are executions by current status.
type StatusCounts struct {
	Running   int64 `json:"running"`
	Paused    int64 `json:"paused"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	Cancelled int64 `json:"cancelled"`
}

func (s *StatusCounts) add(status string, n int64) {
	switch status {
	case StatusRunning:
		s.Running += n
	case StatusPaused:
		s.Paused += n
	case StatusCompleted:
		s.Completed += n
	case StatusFailed:
		s.Failed += n
	case StatusCancelled:
		s.Cancelled += n
	}
}

// Total is every execution.
func (s StatusCounts) Total() int64 {
	return s.Running + s.Paused + s.Completed + s.Failed + s.Cancelled
}

// StepStats are one step's figures. Runs are its ended attempts (a retried step runs more than once per
// execution); durations are over them.
type StepStats struct {
	StepID    string `json:"stepId"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Runs      int64  `json:"runs"`
	Completed int64  `json:"completed"`
	Failures  int64  `json:"failures"`
	Stopped   int64  `json:"stopped"` // cancelled, or halted by another branch's failure
	// InfrastructureRetries are the tries the database cut short (a lost connection, a failover, a lock),
	// which the engine retried: not runs, not failures.
	InfrastructureRetries int64            `json:"infrastructureRetries"`
	FailureRate           float64          `json:"failureRate"`
	Reasons               map[string]int64 `json:"reasons"`
	P50Ms                 *int64           `json:"p50Ms"`
	P95Ms                 *int64           `json:"p95Ms"`
	MeanMs                *int64           `json:"meanMs"`
	// Waiting time of human tasks and delays (their duration is the wait).
	WaitP50Ms *int64 `json:"waitP50Ms,omitempty"`
	WaitP95Ms *int64 `json:"waitP95Ms,omitempty"`
	// Conditions: evaluations by result.
	ConditionTrue  *int64 `json:"conditionTrue,omitempty"`
	ConditionFalse *int64 `json:"conditionFalse,omitempty"`
	// Human tasks: completed tasks that had a due date, and those completed late.
	TasksWithDueDate *int64 `json:"tasksWithDueDate,omitempty"`
	TasksLate        *int64 `json:"tasksLate,omitempty"`
}

// Series is executions over time by status, for a chart: by hour for a day, by day beyond.
type Series struct {
	Bucket string        `json:"bucket"` // hour or day (UTC)
	Points []SeriesPoint `json:"points"`
}

// SeriesPoint is the executions that started in one bucket, by status; Start is the bucket's start, or the
// timeframe's start for a first bucket cut by it.
type SeriesPoint struct {
	Start time.Time `json:"start"`
	StatusCounts
	Total int64 `json:"total"`
}

// MetricsInput is what ComputeMetrics works from.
type MetricsInput struct {
	WorkflowID string
	Version    int
	Timeframe  Timeframe
	TestRuns   TestRuns
	From, To   time.Time // From is zero for All
	Agg        *Aggregates
	// Steps are the steps to report, in order (from the definitions); steps found only in the data follow.
	Steps []StepInfo
}

// ComputeMetrics computes a workflow's metrics from its aggregates, which hold exactly the executions
// started in the window (the rollups' reader makes sure of that).
func ComputeMetrics(in MetricsInput) *Metrics {
	m := &Metrics{WorkflowID: in.WorkflowID, Version: in.Version, Timeframe: in.Timeframe, TestRuns: in.TestRuns, To: in.To,
		PercentileError: PercentileError, CommonFailurePoints: []FailurePoint{}, Steps: []StepStats{}}
	if !in.From.IsZero() {
		from := in.From
		m.From = &from
	}
	sum := Summarize(in.Agg.Runs)
	m.Statuses = sum.Statuses
	m.TotalExecutions = sum.Statuses.Total()
	m.NoData = m.TotalExecutions == 0
	m.SuccessRate = sum.SuccessRate()
	m.CompletionRate = sum.CompletionRate()
	m.AverageExecutionTime = roundDiv(sum.Durations.Sum(), sum.Durations.Count())
	m.MedianExecutionTime = percentile(sum.Durations, 50)
	m.P95ExecutionTime = percentile(sum.Durations, 95)
	m.DurationDistribution = sum.Durations.Distribution()
	m.Steps = stepStats(in.Agg, in.Steps)
	for _, s := range m.Steps {
		m.InfrastructureRetries += s.InfrastructureRetries
	}
	for _, s := range m.Steps {
		if s.Failures == 0 {
			continue
		}
		m.CommonFailurePoints = append(m.CommonFailurePoints, FailurePoint{StepID: s.StepID, StepName: s.Name,
			FailureRate: s.FailureRate, Reason: topReason(s.Reasons), Failures: s.Failures, Attempts: s.Runs})
	}
	slices.SortStableFunc(m.CommonFailurePoints, func(a, b FailurePoint) int {
		switch {
		case a.FailureRate != b.FailureRate:
			return cmpDesc(a.FailureRate, b.FailureRate)
		case a.Failures != b.Failures:
			return cmpDesc(float64(a.Failures), float64(b.Failures))
		}
		return strings.Compare(a.StepID, b.StepID)
	})
	m.Series = series(in.Agg.Runs, in.Timeframe, in.From, in.To)
	return m
}

// RunSummary is the executions of some cells, by status, with the durations of the completed ones.
type RunSummary struct {
	Statuses  StatusCounts
	Durations Histogram
}

// Summarize adds up run cells.
func Summarize(cells map[RunKey]*RunCell) RunSummary {
	var s RunSummary
	var sum HistogramSum
	for k, c := range cells {
		s.Statuses.add(k.Status, c.Runs)
		if k.Status == StatusCompleted {
			sum.Add(c.Durations)
		}
	}
	s.Durations = sum.Histogram()
	return s
}

// SuccessRate is completed ÷ (completed + failed) × 100, 0 when neither.
func (s RunSummary) SuccessRate() float64 {
	return Rate(s.Statuses.Completed, s.Statuses.Completed+s.Statuses.Failed)
}

// CompletionRate is completed ÷ total × 100, 0 without executions.
func (s RunSummary) CompletionRate() float64 { return Rate(s.Statuses.Completed, s.Statuses.Total()) }

// Rate is part ÷ whole × 100 rounded to one decimal, 0 when whole is 0.
func Rate(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

func percentile(h Histogram, p float64) *int64 {
	v, ok := h.Percentile(p)
	if !ok {
		return nil
	}
	return &v
}

func ptr(v int64) *int64 { return &v }

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// topReason is the most frequent reason; ties go to the alphabetically first.
func topReason(reasons map[string]int64) string {
	best, n := "", int64(0)
	for r, c := range reasons {
		if c > n || (c == n && r < best) {
			best, n = r, c
		}
	}
	return best
}

// StepTotals merges the step cells of every hour and version, by step id.
func StepTotals(agg *Aggregates) map[string]*StepCell {
	out := map[string]*StepCell{}
	sums := map[string]*HistogramSum{}
	for k, c := range agg.Steps {
		t := out[k.Step]
		if t == nil {
			t = &StepCell{}
			out[k.Step] = t
			sums[k.Step] = &HistogramSum{}
		}
		t.mergeCounts(c)
		sums[k.Step].Add(c.Durations)
	}
	for id, s := range sums {
		out[id].Durations = s.Histogram()
	}
	return out
}

func stepStats(agg *Aggregates, infos []StepInfo) []StepStats {
	totals := StepTotals(agg)
	order := make([]StepInfo, 0, len(infos)+len(totals))
	known := map[string]bool{}
	for _, s := range infos {
		if !known[s.ID] {
			known[s.ID] = true
			order = append(order, s)
		}
	}
	var extra []string
	for id := range totals {
		if !known[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	for _, id := range extra {
		order = append(order, StepInfo{ID: id, Name: id})
	}
	out := make([]StepStats, 0, len(order))
	for _, info := range order {
		c := totals[info.ID]
		if c == nil {
			c = &StepCell{}
		}
		s := StepStats{StepID: info.ID, Name: info.Name, Type: info.Type, Runs: c.Attempts(), Completed: c.Completed,
			Failures: c.Failures(), Stopped: c.SkippedOther, FailureRate: Rate(c.Failures(), c.Attempts()),
			InfrastructureRetries: c.InfraRetries,
			Reasons:               map[string]int64{}, P50Ms: percentile(c.Durations, 50), P95Ms: percentile(c.Durations, 95)}
		for r, n := range c.Reasons {
			if n != 0 {
				s.Reasons[r] = n
			}
		}
		if n := c.Durations.Count(); n > 0 {
			s.MeanMs = ptr(roundDiv(c.Durations.Sum(), n))
		}
		switch info.Type {
		case "human_task", "delay":
			s.WaitP50Ms, s.WaitP95Ms = s.P50Ms, s.P95Ms
		case "condition":
			s.ConditionTrue, s.ConditionFalse = ptr(c.ConditionTrue), ptr(c.ConditionFalse)
		}
		if info.Type == "human_task" {
			s.TasksWithDueDate, s.TasksLate = ptr(c.TasksWithDue), ptr(c.TasksLate)
		}
		out = append(out, s)
	}
	return out
}

// series buckets executions by the hour (day timeframe) or the UTC day (longer ones), zero-filled from the
// window's start (for All: the first execution) to its end.
func series(cells map[RunKey]*RunCell, tf Timeframe, from, to time.Time) Series {
	width := int64(24)
	s := Series{Bucket: "day", Points: []SeriesPoint{}}
	if tf == Day {
		width, s.Bucket = 1, "hour"
	}
	bucket := func(h int64) int64 { return floorDiv(h, width) }
	last := bucket(HourOf(to))
	first := last
	if !from.IsZero() {
		first = bucket(HourOf(from))
	} else {
		for k, c := range cells {
			if c.Runs != 0 {
				first = min(first, bucket(k.Hour))
			}
		}
	}
	if last < first {
		return s
	}
	points := make([]SeriesPoint, last-first+1)
	for i := range points {
		start := HourStart((first + int64(i)) * width)
		if i == 0 && !from.IsZero() && from.After(start) {
			start = from
		}
		points[i].Start = start
	}
	for k, c := range cells {
		i := bucket(k.Hour) - first
		if i < 0 || i >= int64(len(points)) {
			continue
		}
		points[i].add(k.Status, c.Runs)
		points[i].Total += c.Runs
	}
	s.Points = points
	return s
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

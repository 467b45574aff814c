package views

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// DashboardsView is the managers' overview of every workflow.
type DashboardsView struct {
	Page
	Overview *app.Overview
}

// overviewTotals adds up the workflows' lines.
type overviewTotals struct {
	Runs, Open, Overdue int64
	Success             string
}

func (v DashboardsView) totals() overviewTotals {
	var t overviewTotals
	var completed, failed int64
	for _, w := range v.Overview.Workflows {
		t.Runs += w.Runs
		t.Open += w.OpenTasks
		t.Overdue += w.OverdueTasks
		completed += w.Statuses.Completed
		failed += w.Statuses.Failed
	}
	t.Success = "—"
	if completed+failed > 0 {
		t.Success = pctText(analytics.Rate(completed, completed+failed))
	}
	return t
}

// timeframeChoice is one entry of the timeframe switch.
type timeframeChoice struct {
	TF    analytics.Timeframe
	Label string
	// Span finishes "No runs in …".
	Span string
}

var timeframeChoices = []timeframeChoice{
	{analytics.Day, "24 hours", "the last 24 hours"},
	{analytics.Week, "7 days", "the last 7 days"},
	{analytics.Month, "30 days", "the last 30 days"},
	{analytics.All, "All time", "any timeframe"},
}

func timeframeSpan(tf analytics.Timeframe) string {
	for _, c := range timeframeChoices {
		if c.TF == tf {
			return c.Span
		}
	}
	return string(tf)
}

func dashboardURL(workflowID string, tf analytics.Timeframe) string {
	return "/dashboards/workflows/" + url.PathEscape(workflowID) + "?timeframe=" + string(tf)
}

// testRunChoice is one entry of the dashboard's test-runs switch.
type testRunChoice struct {
	Runs  analytics.TestRuns
	Param string
	Label string
}

var dashboardTestRuns = []testRunChoice{
	{analytics.WithoutTestRuns, "exclude", "left out"},
	{analytics.WithTestRuns, "include", "included"},
	{analytics.OnlyTestRuns, "only", "only"},
}

// WorkflowDashboardView is one workflow's metrics over a timeframe and its suggestions.
type WorkflowDashboardView struct {
	Page
	Workflow    *app.WorkflowSummary
	Metrics     *analytics.Metrics
	Suggestions *app.SuggestionList
	// Overlay is the graph of the version the suggestions are about, its steps coloured by failure rate.
	Overlay Graph
	Steps   map[string]analytics.StepStats
	Charts  DashboardCharts
	// Problem is why applying a suggestion did not go through.
	Problem string
}

// pageURL is the dashboard's address with the test-runs choice, ending in "?" or "&" for the next parameter.
func (v WorkflowDashboardView) pageURL(runs analytics.TestRuns) string {
	u := "/dashboards/workflows/" + url.PathEscape(v.Workflow.ID) + "?"
	if runs != analytics.WithoutTestRuns {
		u += "test=" + url.QueryEscape(string(runs)) + "&"
	}
	return u
}

// DashboardCharts is what static/js/dashboard.js draws, as JSON in the page.
type DashboardCharts struct {
	Runs      RunsChart      `json:"runs"`
	Durations DurationsChart `json:"durations"`
}

// RunsChart is runs over time, one series per status; Titles label the tooltips.
type RunsChart struct {
	Bucket string        `json:"bucket"`
	Labels []string      `json:"labels"`
	Titles []string      `json:"titles"`
	Series []ChartSeries `json:"series"`
}

// ChartSeries is one status's runs per bucket.
type ChartSeries struct {
	Status string  `json:"status"`
	Label  string  `json:"label"`
	Counts []int64 `json:"counts"`
}

// DurationsChart is how many completed runs took how long.
type DurationsChart struct {
	Labels []string `json:"labels"`
	Counts []int64  `json:"counts"`
}

// NewWorkflowDashboard lays the graph of def out with the metrics on its steps and prepares the charts.
func NewWorkflowDashboard(p Page, w *app.WorkflowSummary, m *analytics.Metrics, list *app.SuggestionList, def *workflow.Definition) WorkflowDashboardView {
	v := WorkflowDashboardView{Page: p, Workflow: w, Metrics: m, Suggestions: list, Steps: map[string]analytics.StepStats{}}
	states := map[string]string{}
	for _, s := range m.Steps {
		v.Steps[s.StepID] = s
		states[s.StepID] = failureClass(s)
	}
	v.Overlay = LayoutGraph(def, states)
	for i, n := range v.Overlay.Nodes {
		if n.State == "pending" {
			v.Overlay.Nodes[i].State = "no-runs"
		}
	}
	v.Charts = newCharts(m)
	return v
}

// failureClass colours a step by how often it fails (the thresholds of the suggestions' impact).
func failureClass(s analytics.StepStats) string {
	switch {
	case s.Runs == 0:
		return "no-runs"
	case s.FailureRate >= 10:
		return "fail-high"
	case s.FailureRate >= 3:
		return "fail-medium"
	case s.Failures > 0:
		return "fail-low"
	}
	return "fail-none"
}

// overlayLines are the two lines under a step's name: its runs and failures, and its durations (the wait,
// for human tasks and delays).
func overlayLines(s analytics.StepStats) (string, string) {
	if s.Runs == 0 {
		return "no runs", ""
	}
	failed := "none failed"
	if s.Failures > 0 {
		failed = pctText(s.FailureRate) + " failed"
	}
	durations := "p50 " + shortMsPtr(s.P50Ms) + " · p95 " + shortMsPtr(s.P95Ms)
	if s.WaitP50Ms != nil {
		durations = "waits " + durations
	}
	return plural(int(s.Runs), "run") + " · " + failed, durations
}

// overlayBoxH is the height of a step's box on a dashboard: a line more than the layout's, which fits in the
// gap to the next layer (gapY).
const overlayBoxH = nodeH + 16

func overlayTitle(n GraphNode, s analytics.StepStats) string {
	if s.Runs == 0 {
		return n.Name + " (" + typeLabel(n.Type) + "): no runs in this timeframe"
	}
	return fmt.Sprintf("%s (%s): %d runs, %d failed (%s), p50 %s, p95 %s", n.Name, typeLabel(n.Type), s.Runs, s.Failures,
		pctText(s.FailureRate), humanMsPtr(s.P50Ms), humanMsPtr(s.P95Ms))
}

var statusSeries = []struct{ status, label string }{
	{"completed", "Completed"}, {"failed", "Failed"}, {"running", "Running"}, {"paused", "Waiting"}, {"cancelled", "Cancelled"},
}

func statusCount(s analytics.StatusCounts, status string) int64 {
	switch status {
	case "completed":
		return s.Completed
	case "failed":
		return s.Failed
	case "running":
		return s.Running
	case "paused":
		return s.Paused
	}
	return s.Cancelled
}

// newCharts keeps the statuses that occur, so the legend names only what the bars show.
func newCharts(m *analytics.Metrics) DashboardCharts {
	c := DashboardCharts{Runs: RunsChart{Bucket: m.Series.Bucket, Labels: []string{}, Titles: []string{}, Series: []ChartSeries{}},
		Durations: DurationsChart{Labels: []string{}, Counts: []int64{}}}
	for _, p := range m.Series.Points {
		start := p.Start.UTC()
		if m.Series.Bucket == "hour" {
			c.Runs.Labels = append(c.Runs.Labels, start.Format("15:04"))
			c.Runs.Titles = append(c.Runs.Titles, start.Format("2 Jan 2006, 15:04 MST"))
		} else {
			c.Runs.Labels = append(c.Runs.Labels, start.Format("2 Jan"))
			c.Runs.Titles = append(c.Runs.Titles, start.Format("Mon 2 Jan 2006"))
		}
	}
	for _, st := range statusSeries {
		if statusCount(m.Statuses, st.status) == 0 {
			continue
		}
		s := ChartSeries{Status: st.status, Label: st.label, Counts: make([]int64, len(m.Series.Points))}
		for i, p := range m.Series.Points {
			s.Counts[i] = statusCount(p.StatusCounts, st.status)
		}
		c.Runs.Series = append(c.Runs.Series, s)
	}
	for _, r := range m.DurationDistribution {
		label := shortMs(r.FromMs) + "–" + shortMs(r.ToMs)
		if r.FromMs == 0 {
			label = "under " + shortMs(r.ToMs)
		}
		c.Durations.Labels = append(c.Durations.Labels, label)
		c.Durations.Counts = append(c.Durations.Counts, r.Count)
	}
	return c
}

// humanMs says how long something took the way the suggestions do: 850 ms, 4.2 s, 3 min, 2 h 14 min,
// 2 days 3 h.
func humanMs(ms int64) string { return words.Ms(ms) }

func humanMsPtr(ms *int64) string {
	if ms == nil {
		return "—"
	}
	return humanMs(*ms)
}

// shortMs is a duration in one unit, for the graph's boxes and the chart's axis: 850 ms, 4.2 s, 3.5 min.
func shortMs(ms int64) string {
	short := func(v float64, unit string) string {
		if v >= 10 {
			return fmt.Sprintf("%.0f %s", v, unit)
		}
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + unit
	}
	switch f := float64(ms); {
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return short(f/1000, "s")
	case ms < 3_600_000:
		return short(f/60_000, "min")
	case ms < 86_400_000:
		return short(f/3_600_000, "h")
	default:
		return short(f/86_400_000, "d")
	}
}

func shortMsPtr(ms *int64) string {
	if ms == nil {
		return "—"
	}
	return shortMs(*ms)
}

// pctText is a rate as the suggestions write it: 12.5 %, 50 %.
func pctText(v float64) string { return words.Pct(v) }

// dueShareText is a share of tasks done within their due date ("80 %"), "—" while none is settled.
func dueShareText(d analytics.DueShare) string {
	if d.WithinDue == nil {
		return "—"
	}
	return pctText(*d.WithinDue)
}

// dueShareNote says what the share counts: "8 of 10 done in time; 1 done late, 1 overdue, 2 with time left".
func dueShareNote(d analytics.DueShare) string {
	settled := d.InTime + d.Late + d.Overdue
	if settled == 0 {
		return fmt.Sprintf("no task is done or past its due date yet; %s with time left", words.Plural(int(d.Open), "task"))
	}
	return fmt.Sprintf("%d of %d done in time; %d done late, %d overdue, %d with time left", d.InTime, settled, d.Late, d.Overdue, d.Open)
}

// rateOf is part ÷ whole as a percentage, "—" when whole is 0.
func rateOf(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return pctText(analytics.Rate(part, whole))
}

func countText(n int64) string { return strconv.FormatInt(n, 10) }

var reasonLabels = map[string]string{
	workflow.ClassTimeout: "timed out", workflow.ClassHTTP4xx: "refused (4xx)", workflow.ClassHTTP5xx: "server error (5xx)",
	workflow.ClassNetwork: "network error", workflow.ClassValidation: "invalid input", workflow.ClassExpression: "expression error",
	workflow.ClassNotCompleted: "not completed", workflow.ClassOther: "other error",
}

func reasonLabel(r string) string {
	if l, ok := reasonLabels[r]; ok {
		return l
	}
	return strings.ReplaceAll(r, "_", " ")
}

// reasonsText lists failure reasons, most frequent first: "timed out × 3, server error (5xx) × 1".
func reasonsText(reasons map[string]int64) string {
	keys := make([]string, 0, len(reasons))
	for k, n := range reasons {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if reasons[a] != reasons[b] {
			return int(reasons[b] - reasons[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s × %d", reasonLabel(k), reasons[k])
	}
	return strings.Join(parts, ", ")
}

var evidenceLabels = map[string]string{
	"stepsP50Sum": "Steps one after another (p50)", "longestStepP50": "Longest step (p50)",
	"estimatedSaving": "Estimated saving per run", "medianRun": "Median run", "completedRuns": "Completed runs",
	"transientFailures": "Transient failures", "transientShare": "Transient share", "timeoutShare": "Share that timed out",
	"timeout": "Timeout now", "waitP50": "Wait (p50)", "waitP95": "Wait (p95)", "tasksWithDueDate": "Tasks with a due date",
	"lateOrOverdue": "Late or overdue", "lateShare": "Late share", "overdueNow": "Overdue now", "true": "Taken “yes”",
	"false": "Taken “no”",
}

// evidenceLabel names a number behind a suggestion; unknown names are split at their capitals.
func evidenceLabel(name string) string {
	if l, ok := evidenceLabels[name]; ok {
		return l
	}
	var b strings.Builder
	for i, r := range name {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case unicode.IsUpper(r):
			b.WriteRune(' ')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func evidenceValue(e analytics.Evidence) string {
	switch e.Unit {
	case "ms":
		return humanMs(int64(math.Round(e.Value)))
	case "%":
		return pctText(e.Value)
	case "":
		return strconv.FormatFloat(e.Value, 'f', -1, 64)
	}
	return strconv.FormatFloat(e.Value, 'f', -1, 64) + " " + e.Unit
}

var suggestionTypes = map[string]string{analytics.TypePerformance: "Speed", analytics.TypeReliability: "Reliability",
	analytics.TypeUserExperience: "Human tasks"}

func impactBadge(level string) string {
	switch level {
	case analytics.High:
		return "failed"
	case analytics.Medium:
		return "waiting"
	}
	return "skipped"
}

func (v WorkflowDashboardView) stepName(id string) string {
	if s, ok := v.Steps[id]; ok && s.Name != "" {
		return s.Name
	}
	return id
}

// NewAppliedView is the diff of a draft made by applying a suggestion; an added step shows what it holds.
func NewAppliedView(p Page, w *app.WorkflowSummary, d *app.VersionDiff, before, after *workflow.Definition, specs []workflow.ActionSpec) DiffView {
	v := NewDiffView(p, w, nil, d, before, after, specs)
	for i, s := range v.Steps {
		a, ok := after.StepByID(s.StepID)
		if s.Kind != "added" || !ok {
			continue
		}
		for _, f := range []string{"configuration", "nextSteps"} {
			v.Steps[i].Changes = append(v.Steps[i].Changes, stepField(before, nil, after, a, f, specs))
		}
	}
	return v
}

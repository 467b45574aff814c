package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Three lookups in other systems that use nothing of each other (the parallelize rule's case), then a note
// from the score that is set to continue when it fails.
const enrichDef = `{
  "name": "Enrich a lead", "trigger": {"type": "manual", "configuration": {}},
  "variables": [{"name": "note", "type": "string"}],
  "steps": [
    {"id": "score", "name": "Score", "type": "action", "nextSteps": ["geo"],
     "configuration": {"action": "call_api", "parameters": {"url": "https://score.example.com/lookup"}}},
    {"id": "geo", "name": "Geo", "type": "action", "nextSteps": ["firmo"],
     "configuration": {"action": "call_api", "parameters": {"url": "https://geo.example.com/lookup"}}},
    {"id": "firmo", "name": "Firmographics", "type": "action", "nextSteps": ["save"],
     "configuration": {"action": "call_api", "parameters": {"url": "https://firmo.example.com/lookup"}}},
    {"id": "save", "name": "Save the note", "type": "action", "nextSteps": [],
     "errorHandling": {"onError": "continue", "retryCount": 0, "retryDelay": 0},
     "configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "{{steps.score.body}}"}}}
  ]
}`

const approveDef = `{
  "name": "Approve a discount", "trigger": {"type": "manual", "configuration": {}},
  "steps": [{"id": "review", "name": "Review", "type": "human_task", "nextSteps": [],
    "configuration": {"assignee": "rep@example.com", "title": "Approve the discount", "dueDate": "+1 day"}}]
}`

// histRun is an execution written straight into the database with its log; the rollups count it as any
// other, so its figures are known exactly.
type histRun struct {
	workflow string
	status   string
	start    time.Time
	took     time.Duration
	log      []histEntry
}

// histEntry is a log row; ms < 0 means no duration. A task is the human task the entry completes (or
// starts, when open), due that long after the run's start.
type histEntry struct {
	step, action, reason string
	ms                   int64
	task                 *histTask
}

type histTask struct {
	due  time.Duration
	open bool
}

func (h *harness) insertRuns(runs ...histRun) {
	h.t.Helper()
	insert := func(row any) error {
		return h.srv.DB.Tx(context.Background(), func(tx *store.Tx) error {
			return store.Insert{Row: row}.Apply(context.Background(), tx)
		})
	}
	for _, r := range runs {
		id := engine.NewID()
		ex := store.Execution{ID: id, WorkflowID: r.workflow, WorkflowVersion: 1, Status: r.status, StartedAt: r.start,
			UpdatedAt: r.start, Variables: store.JSON("{}"), Outputs: store.JSON("{}"), State: store.JSON("{}"), Revision: 1}
		if r.status == "completed" || r.status == "failed" {
			done := r.start.Add(r.took)
			ex.CompletedAt = &done
		}
		if err := insert(&ex); err != nil {
			h.t.Fatalf("insert execution: %v", err)
		}
		for i, e := range r.log {
			at := r.start.Add(time.Duration(i+1) * time.Second)
			row := store.LogRow{ExecutionID: id, Timestamp: at, StepID: e.step, StepName: e.step, Action: e.action, Reason: e.reason}
			if e.ms >= 0 {
				ms := e.ms
				row.DurationMs = &ms
			}
			if err := insert(&row); err != nil {
				h.t.Fatalf("insert log: %v", err)
			}
			if e.task == nil {
				continue
			}
			due := r.start.Add(e.task.due)
			ht := store.HumanTask{ID: engine.NewID(), ExecutionID: id, WorkflowID: r.workflow, StepID: e.step, Activation: int64(i),
				Assignee: "rep@example.com", Title: "Approve the discount", FormFields: store.JSON("[]"), DueAt: &due,
				Status: "completed", CreatedAt: r.start, UpdatedAt: at, CompletedAt: &at, CompletedBy: "rep@example.com"}
			if e.task.open {
				ht.Status, ht.CompletedAt, ht.CompletedBy = "open", nil, ""
			}
			if err := insert(&ht); err != nil {
				h.t.Fatalf("insert task: %v", err)
			}
		}
	}
}

// dashboardHistory writes a week of runs, all more than a day old (so the day is empty):
//
//	Enrich a lead: 12 completed (4 × 2.2 s, 4 × 2.8 s, 4 × 5 s): score 900 ms, geo 800 ms, firmo 700 ms, save 5 ms
//	               (save fails, continuing, in 3 of them); 2 failed: geo times out after 10 s.
//	Approve a discount: 3 completed, each waiting 2 h 14 min for the review; 3 waiting on an open review, 2 of
//	               them overdue.
func dashboardHistory(h *harness) (enrich, approve string) {
	h.t.Helper()
	enrich, approve = h.createWorkflow([]byte(enrichDef)), h.createWorkflow([]byte(approveDef))
	now := h.clock.Now()
	var runs []histRun
	for i := range 14 {
		start := now.Add(-26*time.Hour - time.Duration(i)*7*time.Hour)
		r := histRun{workflow: enrich, status: "completed", start: start,
			took: []time.Duration{2200, 2800, 5000}[i%3] * time.Millisecond}
		r.log = []histEntry{{step: "score", action: "completed", ms: 900}}
		if i >= 12 {
			r.status, r.took = "failed", 11*time.Second
			r.log = append(r.log, histEntry{step: "geo", action: "failed", reason: "timeout", ms: 10000})
			runs = append(runs, r)
			continue
		}
		save := histEntry{step: "save", action: "completed", ms: 5}
		if i%4 == 1 {
			save = histEntry{step: "save", action: "skipped", reason: "expression", ms: 5}
		}
		r.log = append(r.log, histEntry{step: "geo", action: "completed", ms: 800},
			histEntry{step: "firmo", action: "completed", ms: 700}, save)
		runs = append(runs, r)
	}
	wait := 2*time.Hour + 14*time.Minute
	for i := range 3 {
		runs = append(runs, histRun{workflow: approve, status: "completed", start: now.Add(-30*time.Hour - time.Duration(i)*10*time.Hour),
			took: wait + 2*time.Second, log: []histEntry{{step: "review", action: "completed", ms: wait.Milliseconds(), task: &histTask{due: 24 * time.Hour}}}})
	}
	for _, open := range []struct {
		ago, due time.Duration
	}{{72 * time.Hour, 24 * time.Hour}, {73 * time.Hour, 24 * time.Hour}, {48 * time.Hour, 72 * time.Hour}} {
		runs = append(runs, histRun{workflow: approve, status: "paused", start: now.Add(-open.ago),
			log: []histEntry{{step: "review", action: "started", ms: -1, task: &histTask{due: open.due, open: true}}}})
	}
	h.insertRuns(runs...)
	h.flushMetrics()
	return enrich, approve
}

// cellText is the trimmed text of the element sel inside the row of a table whose attr is value.
func cellText(doc *goquery.Document, table, attr, value, sel string) string {
	return strings.Join(strings.Fields(doc.Find(fmt.Sprintf(`%s tr[%s=%q] %s`, table, attr, value, sel)).Text()), " ")
}

func textOf(doc *goquery.Document, sel string) string {
	return strings.Join(strings.Fields(doc.Find(sel).Text()), " ")
}

func TestDashboardOverviewShowsTheFiguresOfRealRuns(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		manager := h.session("manager@example.com")

		// An empty database says so, on every timeframe.
		status, doc := manager.get("/dashboards")
		if status != http.StatusOK || !strings.Contains(textOf(doc, "#no-data"), "There is no data yet") ||
			doc.Find("#overview-workflows").Length() != 0 {
			t.Fatalf("empty database: %d, no-data %q", status, textOf(doc, "#no-data"))
		}
		if nav := doc.Find(`nav.nav a[aria-current="page"]`).Text(); nav != "Dashboards" {
			t.Errorf("the navigation highlights %q", nav)
		}

		enrich, approve := dashboardHistory(h)
		_, doc = manager.get("/dashboards?timeframe=week")
		want := map[string]map[string]string{
			approve: {"runs": "6", "successRate": "100 %", "median": "2 h 14 min", "openTasks": "3", "overdueTasks": "2"},
			enrich:  {"runs": "14", "successRate": "85.7 %", "median": "2.8 s", "openTasks": "0", "overdueTasks": "0"},
		}
		if got := rowNames(doc, "#overview-workflows"); !slices.Equal(got, []string{"Approve a discount", "Enrich a lead"}) {
			t.Fatalf("workflows %q", got)
		}
		for id, cols := range want {
			for col, w := range cols {
				if got := cellText(doc, "#overview-workflows", "data-workflow", id, fmt.Sprintf(`[data-col=%q]`, col)); got != w {
					t.Errorf("workflow %s, %s = %q, want %q", id, col, got, w)
				}
			}
			link, _ := doc.Find(fmt.Sprintf(`#overview-workflows tr[data-workflow=%q] a`, id)).Attr("href")
			if link != "/dashboards/workflows/"+id+"?timeframe=week" {
				t.Errorf("workflow %s links to %q", id, link)
			}
		}
		for kpi, w := range map[string]string{"runs": "20", "successRate": "88.2 %", "openTasks": "3", "overdueTasks": "2"} {
			if got := textOf(doc, fmt.Sprintf(`#overview-kpis [data-kpi=%q]`, kpi)); got != w {
				t.Errorf("headline %s = %q, want %q", kpi, got, w)
			}
		}
		if got, open, overdue := cellText(doc, "#overview-reps", "data-assignee", "rep@example.com", "td:first-child"),
			cellText(doc, "#overview-reps", "data-assignee", "rep@example.com", `[data-col="openTasks"]`),
			cellText(doc, "#overview-reps", "data-assignee", "rep@example.com", `[data-col="overdueTasks"]`); got != "rep rep@example.com" || open != "3" || overdue != "2" {
			t.Errorf("per rep: %q with %s open, %s overdue", got, open, overdue)
		}
		if cur := doc.Find(`.timeframes a[aria-current]`).Text(); cur != "7 days" {
			t.Errorf("the timeframe switch marks %q", cur)
		}

		// Nothing started in the last day: the page says so; the tasks open now still show.
		_, doc = manager.get("/dashboards?timeframe=day")
		if msg := textOf(doc, "#no-data"); !strings.Contains(msg, "No runs in the last 24 hours yet") {
			t.Errorf("the empty day says %q", msg)
		}
		if got := cellText(doc, "#overview-workflows", "data-workflow", enrich, `[data-col="median"]`); got != "—" {
			t.Errorf("median of no runs = %q", got)
		}
		if got := cellText(doc, "#overview-workflows", "data-workflow", approve, `[data-col="overdueTasks"]`); got != "2" {
			t.Errorf("overdue tasks on an empty day = %q", got)
		}

		// Runs made by the engine count the same way.
		flaky := h.createWorkflow([]byte(flakyPair))
		var ids []string
		for i := range 4 {
			ids = append(ids, h.startRun(flaky, map[string]any{"n": i % 2}))
		}
		for i, id := range ids {
			h.waitStatus(id, []string{"completed", "failed"}[i%2])
		}
		h.flushMetrics()
		_, doc = manager.get("/dashboards?timeframe=day")
		if doc.Find("#no-data").Length() != 0 {
			t.Errorf("after 4 runs today the day still says %q", textOf(doc, "#no-data"))
		}
		for col, w := range map[string]string{"runs": "4", "successRate": "50 %"} {
			if got := cellText(doc, "#overview-workflows", "data-workflow", flaky, fmt.Sprintf(`[data-col=%q]`, col)); got != w {
				t.Errorf("the engine's runs: %s = %q, want %q", col, got, w)
			}
		}

		if status, doc := manager.get("/dashboards?timeframe=year"); status != http.StatusBadRequest && status != http.StatusUnprocessableEntity ||
			!strings.Contains(doc.Text(), "day, week, month or all") {
			t.Errorf("an unknown timeframe = %d", status)
		}

		// Reps see neither the entry nor the pages.
		rep := h.session("rep@example.com")
		_, doc = rep.get("/inbox")
		if strings.Contains(doc.Find("nav.nav").Text(), "Dashboards") {
			t.Error("a rep's navigation shows Dashboards")
		}
		for _, path := range []string{"/dashboards", "/dashboards/workflows/" + enrich, "/dashboards/workflows/" + enrich + "/applied"} {
			if status, _ := rep.get(path); status != http.StatusForbidden {
				t.Errorf("a rep opening %s = %d, want 403", path, status)
			}
		}
		if status, _ := rep.post("/dashboards/workflows/"+enrich+"/suggestions/parallelize.score.geo.firmo/apply", nil); status != http.StatusForbidden {
			t.Errorf("a rep applying a suggestion = %d, want 403", status)
		}
		if status, _ := h.session("").get("/dashboards"); status != http.StatusSeeOther {
			t.Errorf("a visitor opening /dashboards = %d, want a redirect to sign in", status)
		}
	})
}

// dashboardCharts is the JSON the page hands to static/js/dashboard.js.
type dashboardCharts struct {
	Runs struct {
		Bucket string   `json:"bucket"`
		Labels []string `json:"labels"`
		Series []struct {
			Status string  `json:"status"`
			Counts []int64 `json:"counts"`
		} `json:"series"`
	} `json:"runs"`
	Durations struct {
		Labels []string `json:"labels"`
		Counts []int64  `json:"counts"`
	} `json:"durations"`
}

func TestDashboardOfAWorkflowShowsItsMetricsAndAppliesASuggestion(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		enrich, _ := dashboardHistory(h)
		manager := h.session("manager@example.com")
		page := "/dashboards/workflows/" + enrich

		status, doc := manager.get(page)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d", page, status)
		}
		for kpi, w := range map[string]string{"totalExecutions": "14", "successRate": "85.7 %", "averageExecutionTime": "3.3 s", "completionRate": "85.7 %"} {
			if got := textOf(doc, fmt.Sprintf(`#kpis [data-kpi=%q]`, kpi)); got != w {
				t.Errorf("headline %s = %q, want %q", kpi, got, w)
			}
		}
		steps := map[string]map[string]string{
			"score": {"runs": "14", "failures": "0 (0 %)", "p50": "900 ms", "reasons": "—"},
			"geo":   {"runs": "14", "failures": "2 (14.3 %)", "p50": "800 ms", "p95": "10 s", "reasons": "timed out × 2"},
			"firmo": {"runs": "12", "failures": "0 (0 %)", "p95": "700 ms"},
			"save":  {"runs": "12", "failures": "3 (25 %)", "reasons": "expression error × 3"},
		}
		if got := rowNames(doc, "#step-stats"); len(got) != 4 || !strings.HasPrefix(got[0], "Score") || !strings.HasPrefix(got[3], "Save the note") {
			t.Errorf("step rows %q", got)
		}
		for step, cols := range steps {
			for col, w := range cols {
				if got := cellText(doc, "#step-stats", "data-step", step, fmt.Sprintf(`[data-col=%q]`, col)); got != w {
					t.Errorf("step %s, %s = %q, want %q", step, col, got, w)
				}
			}
		}
		// The graph carries each step's figures and is coloured by failure rate.
		for step, class := range map[string]string{"score": "state-fail-none", "geo": "state-fail-high", "save": "state-fail-high"} {
			node := doc.Find(fmt.Sprintf(`#step-overlay g[data-step=%q]`, step))
			if !node.HasClass(class) {
				cls, _ := node.Attr("class")
				t.Errorf("step %s is drawn as %q, want %s", step, cls, class)
			}
		}
		if runs, durations := textOf(doc, `#step-overlay g[data-step="geo"] .node-runs`), textOf(doc, `#step-overlay g[data-step="geo"] .node-durations`); runs != "14 runs · 14.3 % failed" || durations != "p50 800 ms · p95 10 s" {
			t.Errorf("geo's box says %q, %q", runs, durations)
		}
		if got := rowNames(doc, "#failure-points"); !slices.Equal(got, []string{"Save the note", "Geo"}) {
			t.Errorf("failure points %q", got)
		}
		var charts dashboardCharts
		if err := json.Unmarshal([]byte(doc.Find(`script#dashboard-data[type="application/json"]`).Text()), &charts); err != nil {
			t.Fatalf("chart data: %v", err)
		}
		var statuses []string
		var total int64
		for _, s := range charts.Runs.Series {
			statuses = append(statuses, s.Status)
			for _, n := range s.Counts {
				total += n
			}
		}
		if charts.Runs.Bucket != "day" || len(charts.Runs.Labels) != 8 || !slices.Equal(statuses, []string{"completed", "failed"}) || total != 14 {
			t.Errorf("runs chart: %s × %d, statuses %v, %d runs", charts.Runs.Bucket, len(charts.Runs.Labels), statuses, total)
		}
		if !slices.Equal(charts.Durations.Counts, []int64{8, 4}) || !slices.Equal(charts.Durations.Labels, []string{"2 s–4.1 s", "4.1 s–8.2 s"}) {
			t.Errorf("duration chart: %v %v", charts.Durations.Labels, charts.Durations.Counts)
		}
		if doc.Find("canvas#runs-chart").Length() != 1 || doc.Find("canvas#duration-chart").Length() != 1 {
			t.Error("the chart canvases are missing")
		}

		// Suggestions, with the numbers behind them.
		par := doc.Find(`#suggestions [data-suggestion="parallelize.score.geo.firmo"]`)
		if par.Length() != 1 || par.Find(`[data-impact="high"]`).Length() != 1 ||
			textOf(doc, `[data-suggestion="parallelize.score.geo.firmo"] [data-evidence="estimatedSaving"] dd`) != "1.5 s" ||
			par.Find("form.apply button").Length() != 1 {
			t.Fatalf("the parallelize card: %q", strings.Join(strings.Fields(par.Text()), " "))
		}
		cont := doc.Find(`#suggestions [data-suggestion="continue_failing.save"]`)
		if cont.Length() != 1 || cont.Find("form").Length() != 0 || !strings.Contains(cont.Find(".not-applicable").Text(), "needs a person") {
			t.Errorf("the continue-failing card: %q", strings.Join(strings.Fields(cont.Text()), " "))
		}

		// The empty day: plainly no data, and no charts to break.
		_, doc = manager.get(page + "?timeframe=day")
		if msg := textOf(doc, "#no-data"); !strings.Contains(msg, "No runs in this timeframe yet") {
			t.Errorf("the empty day says %q", msg)
		}
		if doc.Find("canvas, #dashboard-data, #kpis, #step-stats").Length() != 0 {
			t.Error("the empty day still has charts or figures")
		}
		if doc.Find(`#suggestions [data-suggestion]`).Length() != 2 {
			t.Error("the suggestions (of the last 30 days) are gone on the empty day")
		}

		// Apply: a draft with the change, its diff, and the way to the designer.
		_, doc = manager.get(page)
		form := `[data-suggestion="parallelize.score.geo.firmo"] form.apply`
		action, _ := doc.Find(form).Attr("action")
		a := manager.send(http.MethodPost, action, formOf(t, doc, form), nil)
		if a.status != http.StatusSeeOther || a.location != page+"/applied?from=1&to=2" {
			t.Fatalf("apply = %d to %q", a.status, a.location)
		}
		status, doc = manager.get(a.location)
		if status != http.StatusOK || !strings.Contains(textOf(doc, ".flash"), "version 2, a new draft") {
			t.Fatalf("after applying: %d, flash %q", status, textOf(doc, ".flash"))
		}
		if doc.Find(`#applied-steps li[data-kind="added"][data-step-id="parallel_score"]`).Length() != 1 {
			t.Errorf("the diff does not show the parallel step: %q", textOf(doc, "#applied-steps"))
		}
		// The review speaks in steps, with the JSON folded away.
		added := doc.Find(`#applied-steps li[data-step-id="parallel_score"]`)
		if got := added.Find(".diff-words").Text(); !strings.Contains(got, "Run Score, Geo and Firmographics at the same time") {
			t.Errorf("the added parallel step is said as %q", got)
		}
		if got := doc.Find(`#applied-steps li[data-step-id="score"] .diff-words`).Text(); !strings.Contains(got, "then Geo") || !strings.Contains(got, "then the end") {
			t.Errorf("the first branch's new end is said as %q", got)
		}
		if doc.Find("#applied-steps details.diff-values[open]").Length() != 0 || doc.Find("#applied-steps details.diff-values pre").Length() == 0 {
			t.Error("the JSON of the changes is not one click away (folded)")
		}
		if href, _ := doc.Find("#review-designer").Attr("href"); href != "/workflows/"+enrich+"/designer?version=2" {
			t.Errorf("Review in the designer goes to %q", href)
		}
		var versions struct {
			Items []struct {
				Version int    `json:"version"`
				Status  string `json:"status"`
			} `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+enrich+"/versions", nil, &versions)
		if len(versions.Items) != 2 || versions.Items[0].Version != 2 || versions.Items[0].Status != "draft" {
			t.Errorf("versions after applying: %+v", versions.Items)
		}

		// What cannot be applied says why, on the dashboard, in words a manager can act on.
		for _, c := range []struct {
			sid    string
			status int
			says   string
		}{
			{"continue_failing.save", http.StatusConflict, "cannot be applied automatically: why the step fails needs a person to find out"},
			{"retry.nope", http.StatusNotFound, "reload them"},
		} {
			manager.get(page) // a fresh CSRF token
			status, doc := manager.post(page+"/suggestions/"+c.sid+"/apply", url.Values{"timeframe": {"month"}})
			if status != c.status || !strings.Contains(textOf(doc, "#problem"), c.says) {
				t.Errorf("apply %s = %d, problem %q; want %d saying %q", c.sid, status, textOf(doc, "#problem"), c.status, c.says)
			}
			if cur := doc.Find(`.timeframes a[aria-current]`).Text(); cur != "30 days" {
				t.Errorf("after a failed apply the dashboard shows %q, not the timeframe it was on", cur)
			}
		}
		if status, _ := manager.get("/dashboards/workflows/no-such-workflow"); status != http.StatusNotFound {
			t.Errorf("an unknown workflow's dashboard = %d", status)
		}
	})
}

package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// chartDatasets is how many datasets the Chart.js chart on a canvas has, -1 while it is not drawn.
func chartDatasets(canvasID string) string {
	return fmt.Sprintf(`(() => { const c = document.getElementById(%q); const ch = c && window.Chart && Chart.getChart(c); return ch ? ch.data.datasets.length : -1; })()`, canvasID)
}

// chartTotal adds up every value a chart draws.
func chartTotal(canvasID string) string {
	return fmt.Sprintf(`Chart.getChart(document.getElementById(%q)).data.datasets.reduce((n, d) => n + d.data.reduce((a, b) => a + b, 0), 0)`, canvasID)
}

// chartsSettled is true once neither chart animates any more (screenshots show the bars at full height).
const chartsSettled = `['runs-chart', 'duration-chart'].every(id => !Chart.animator.running(Chart.getChart(document.getElementById(id))))`

// textOutsideBoxes lists the lines of the graph's boxes that do not fit in them.
const textOutsideBoxes = `[...document.querySelectorAll('#step-overlay g.node')].flatMap(g => {
	const r = g.querySelector('rect').getBBox();
	return [...g.querySelectorAll('text')].filter(t => { const b = t.getBBox(); return b.x + b.width > r.x + r.width - 4 || b.y + b.height > r.y + r.height; })
		.map(t => g.dataset.step + ': ' + t.textContent);
})`

// A manager opens the dashboards from the navigation, then a workflow's dashboard with its charts drawn,
// applies the parallelize suggestion, sees the draft's differences and follows them to the designer. The
// pages fit a laptop and a phone.
func TestBrowserDashboardAndApplyingASuggestion(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	enrich, approve := dashboardHistory(h)

	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.run(chromedp.Click(chromedp.CSS(`nav.nav a[href="/dashboards"]`)))
	b.waitText("#overview-workflows", "Enrich a lead")
	b.waitText("#overview-reps", "rep@example.com")
	b.screenshot("dashboards-1280")
	b.looksRight("the overview at 1280 px")

	b.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#overview-workflows tr[data-workflow=%q] a`, enrich))))
	b.waitText("h1", "Enrich a lead")
	b.waitJS(chartDatasets("runs-chart")+" === 2", "the runs chart with its completed and failed runs")
	b.waitJS(chartDatasets("duration-chart")+" === 1", "the duration chart")
	if n := b.count(chartTotal("runs-chart")); n != 14 {
		t.Errorf("the runs chart draws %d runs, want 14", n)
	}
	if n := b.count(chartTotal("duration-chart")); n != 12 {
		t.Errorf("the duration chart draws %d completed runs, want 12", n)
	}
	if n := b.count(`document.querySelectorAll('#step-overlay g.node').length`); n != 4 {
		t.Errorf("the graph has %d steps, want 4", n)
	}
	if spill := evalJS[[]string](b, textOutsideBoxes); len(spill) > 0 {
		t.Errorf("text runs out of the graph's boxes: %v", spill)
	}
	// Chart.js animates its bars in; wait for it to settle before the screenshot.
	b.waitJS(chartsSettled, "the charts to settle")
	b.screenshot("dashboard-workflow-1280")
	b.looksRight("the workflow dashboard at 1280 px")

	b.run(chromedp.Click(chromedp.CSS(`[data-suggestion="parallelize.score.geo.firmo"] form.apply button`)))
	b.waitText(".flash", "a new draft")
	b.waitText("#applied-steps", "parallel_score")
	if n := b.count(`document.querySelectorAll('#applied-steps li[data-kind="added"]').length`); n != 1 {
		t.Errorf("the diff lists %d added steps, want 1 (the parallel step)", n)
	}
	b.screenshot("dashboard-applied-1280")
	b.looksRight("the applied suggestion at 1280 px")
	applied := evalJS[string](b, `location.pathname + location.search`)

	b.run(chromedp.Click(chromedp.ID("review-designer")))
	b.waitJS(`document.getElementById('designer') && document.getElementById('designer').dataset.ready === 'true'`, "the designer on the draft")
	if got := evalJS[string](b, `location.pathname + location.search`); got != "/workflows/"+enrich+"/designer?version=2" {
		t.Errorf("Review in the designer opened %s", got)
	}
	if !evalJS[bool](b, `window.designer.definition().steps.some(s => s.id === 'parallel_score' && s.type === 'parallel')`) {
		t.Errorf("the designer's draft has no parallel step: %v", evalJS[[]string](b, `window.designer.definition().steps.map(s => s.id)`))
	}
	b.waitText("#designer-status", "draft")
	b.screenshot("dashboard-designer-1280")

	// A workflow of human tasks: the wait, and the tasks done late or overdue.
	b.run(chromedp.Navigate(h.http.URL + "/dashboards/workflows/" + approve))
	b.waitText(`#step-stats tr[data-step="review"] [data-col="waiting"]`, "half within 2 h 14 min")
	b.waitJS(chartDatasets("runs-chart")+" === 2", "the runs chart with completed and waiting runs")
	b.waitJS(chartsSettled, "the charts to settle")
	b.screenshot("dashboard-tasks-1280")
	b.looksRight("the human tasks' dashboard at 1280 px")

	// The same pages on a phone.
	phone := newPhone(t, h)
	phone.signIn("manager@example.com")
	for _, p := range []struct {
		name, path, wait string
	}{
		{"dashboards-390", "/dashboards", "#overview-workflows"},
		{"dashboard-workflow-390", "/dashboards/workflows/" + enrich, "#step-stats"},
		{"dashboard-day-390", "/dashboards/workflows/" + enrich + "?timeframe=day", "#no-data"},
		{"dashboard-applied-390", applied, "#applied-steps"},
		// The share of tasks done within their due date, per step and per person, on a phone.
		{"dashboard-tasks-390", "/dashboards/workflows/" + approve, "#tasks-due"},
	} {
		phone.run(chromedp.Navigate(h.http.URL + p.path))
		phone.waitText(p.wait, "")
		if strings.HasPrefix(p.name, "dashboard-workflow") {
			phone.waitJS(chartDatasets("runs-chart")+" === 2 && "+chartDatasets("duration-chart")+" === 1", "the charts on a phone")
			phone.waitJS(chartsSettled, "the charts to settle")
		}
		if w := phone.count(`document.documentElement.clientWidth`); w != 390 {
			t.Fatalf("the phone's page is %d px wide, want 390", w)
		}
		phone.screenshot(p.name)
		phone.looksRight(p.path + " at 390 px")
	}
}

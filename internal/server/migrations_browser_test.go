package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// Moving waiting runs on a desktop and on a phone: from the versions page, the dry run lists where each run
// lands and the runs whose step is gone, with a choice of where they go; the move takes them all.
func TestBrowserMoveWaitingRuns(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(waitingWorkflow(false))
	var runs []string
	for _, note := range []string{"task", "day", "long", "task", "long", "day"} {
		runs = append(runs, h.startRun(wf, map[string]any{"note": note}))
	}
	for _, r := range runs {
		h.waitFor(r, "waiting", func(e execution) bool { return e.Status == "paused" || e.WaitingUntil != nil })
	}
	var saved struct{ Version int }
	h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, waitingWorkflow(true), &saved)
	h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/publish", map[string]int{"version": saved.Version}, nil)
	for _, width := range []int{390, 1280} {
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("manager@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/workflows/" + wf + "/versions"))
		b.run(chromedp.Click(chromedp.CSS(`#versions a.migrate`)))
		b.waitText("#migrate-preview", "4 waiting runs will move from version 1 to version 2; 2 runs cannot move as asked")
		b.waitText("#migrate .stuck-steps", "Wait a week")
		b.screenshot("migrate-dry-run-" + strconv.Itoa(width))
		b.looksRight("the dry run of a move at " + strconv.Itoa(width) + " px")
		if width == 1280 {
			// Send the week's waits to the day's wait, look again, and move all six.
			b.run(chromedp.SetValue(`#migrate select[name="map.wait_long"]`, "wait_a_day"))
			b.run(chromedp.Click(chromedp.CSS(`#migrate button[formmethod="get"]`)))
			b.waitText("#migrate-preview", "6 waiting runs will move from version 1 to version 2.")
			b.run(chromedp.Click(chromedp.ID("migrate-move")))
			b.waitText("#batch-state", "done")
			b.waitText("#batch-progress", "6 of 6 runs handled: 6 moved")
			b.screenshot("migrate-done-" + strconv.Itoa(width))
		}
	}
	for _, r := range runs {
		if e := h.get(r); e.WorkflowVersion != 2 {
			t.Fatalf("run %s is on v%d after the move", r, e.WorkflowVersion)
		}
	}
}

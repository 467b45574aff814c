package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A lead's journey on a desktop and on a phone: the run, its step and the workflow's change of the status
// with Undo; Undo sets the status back and the page says so.
func TestBrowserLeadJourneyAndUndo(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(markContacted())
	for _, width := range []int{1280, 390} {
		id := h.createLead(h.rep, record{"firstName": "Ana", "lastName": "Lopez " + strconv.Itoa(width), "email": "ana@bistro.example", "assignedTo": "rep@example.com"})
		var lead record
		h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+id, nil, &lead)
		h.waitStatus(h.startRun(wf, map[string]any{"lead": map[string]any(lead)}), "completed")
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("manager@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/crm/leads/" + id))
		b.waitText("#record-journey .journey-entry.field", "status")
		b.waitText("#record-journey", "Mark contacted started")
		b.run(chromedp.ScrollIntoView("#record-journey"))
		b.screenshot("lead-journey-" + strconv.Itoa(width))
		b.looksRight("a lead's journey at " + strconv.Itoa(width) + " px")
		b.run(chromedp.Click(chromedp.CSS(`#record-journey .journey-undo button`)))
		b.waitText(".flash", "Undone: status is new again.")
		b.waitText("#record-status", "new")
		b.waitText("#record-journey", "undone by manager@example.com")
	}
}

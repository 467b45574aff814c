package server_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The dashboard counts the share of tasks done within their due date, per step and per person, from the
// tasks themselves: done in time counts for it, done late and still open past the due date against it, and
// open with time left not yet. Three runs of "Call back" (due in 2 hours) then "Confirm" (due in a day):
// the rep answers one call at once and one three hours late; the manager confirms the first run at once,
// leaves the third run's call overdue, and has the second's confirmation still in time.
func TestDashboardCountsTasksDoneWithinTheirDueDate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		id := h.createWorkflow([]byte(`{
		  "name": "Call back", "trigger": {"type": "manual", "configuration": {}},
		  "variables": [{"name": "owner", "type": "string", "required": true}],
		  "steps": [
		    {"id": "call", "name": "Call back", "type": "human_task", "nextSteps": ["confirm"],
		     "configuration": {"assignee": "{{ owner }}", "title": "Call back", "dueDate": "+2 hours"}},
		    {"id": "confirm", "name": "Confirm", "type": "human_task", "nextSteps": [],
		     "configuration": {"assignee": "manager@example.com", "title": "Confirm", "dueDate": "+1 day"}}]
		}`))
		complete := func(token, run, step string) {
			t.Helper()
			tk := h.openTask(run)
			if tk.StepID != step {
				t.Fatalf("run %s waits on %s, want %s", run, tk.StepID, step)
			}
			h.must(http.StatusOK, token, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{}}, nil)
		}
		r1 := h.startRun(id, map[string]any{"owner": "rep@example.com"})
		r2 := h.startRun(id, map[string]any{"owner": "rep@example.com"})
		r3 := h.startRun(id, map[string]any{"owner": "manager@example.com"})
		complete(h.rep, r1, "call")
		complete(h.manager, r1, "confirm")
		h.openTask(r3)
		h.clock.Advance(3 * time.Hour)
		complete(h.rep, r2, "call")
		h.waitFor(r2, "waiting on its confirmation", func(e execution) bool {
			for _, tk := range e.Tasks {
				if tk.StepID == "confirm" && tk.Status == "open" {
					return true
				}
			}
			return false
		})

		type share struct {
			StepID, StepName, Who       string
			InTime, Late, Overdue, Open int64
			WithinDue                   *float64
		}
		var m struct {
			TasksDue *struct {
				Total         share
				Steps, People []share
			} `json:"tasksDue"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"/metrics?timeframe=week", nil, &m)
		d := m.TasksDue
		if d == nil {
			t.Fatal("the metrics have no tasksDue")
		}
		same := func(what string, got share, inTime, late, overdue, open int64, pct float64) {
			t.Helper()
			if got.InTime != inTime || got.Late != late || got.Overdue != overdue || got.Open != open || got.WithinDue == nil || math.Abs(*got.WithinDue-pct) > 1e-9 {
				t.Errorf("%s: %+v (within due %v), want %d in time, %d late, %d overdue, %d open, %v %%", what, got, deref(got.WithinDue), inTime, late, overdue, open, pct)
			}
		}
		same("all tasks", d.Total, 2, 1, 1, 1, 50)
		if len(d.Steps) != 2 || d.Steps[0].StepID != "call" || d.Steps[0].StepName != "Call back" || d.Steps[1].StepID != "confirm" {
			t.Fatalf("steps = %+v", d.Steps)
		}
		same("Call back", d.Steps[0], 1, 1, 1, 0, 100.0/3)
		same("Confirm", d.Steps[1], 1, 0, 0, 1, 100)
		if len(d.People) != 2 || d.People[0].Who != "manager@example.com" || d.People[1].Who != "rep@example.com" {
			t.Fatalf("people = %+v", d.People)
		}
		same("the manager", d.People[0], 1, 0, 1, 1, 50)
		same("the rep", d.People[1], 1, 1, 0, 0, 50)

		// The dashboard shows the same.
		_, doc := h.session("manager@example.com").get("/dashboards/workflows/" + id + "?timeframe=week")
		card := doc.Find("#tasks-due")
		if got := squash(card.Find(`[data-kpi="withinDue"]`)); got != "50 %" {
			t.Errorf("the dashboard's share within due is %q", got)
		}
		if got := squash(card.Find(".kpi-line .muted")); !strings.Contains(got, "2 of 4 done in time; 1 done late, 1 overdue, 1 with time left") {
			t.Errorf("the dashboard says %q", got)
		}
		if got := squash(card.Find(`#tasks-due-people tr[data-who="rep@example.com"] [data-col="withinDue"]`)); got != "50 %" {
			t.Errorf("the rep's share on the dashboard is %q", got)
		}
		if got := squash(card.Find(`#tasks-due-steps tr[data-step="call"] [data-col="overdue"]`)); got != "1" {
			t.Errorf("Call back's overdue tasks on the dashboard: %q", got)
		}
	})
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// berlin reads a wall-clock time in Berlin.
func berlin(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// logMessage is the message of a step's first log entry with the action.
func logMessage(e execution, step string, action workflow.LogAction) string {
	for _, le := range e.ExecutionLog {
		if le.StepID == step && le.Action == action {
			return le.Message
		}
	}
	return ""
}

// The company's working hours (Berlin, Mon–Fri 09:00–17:00, Monday 7 December a holiday), set through the
// API, count for a delay of "2 business days" started on Friday 4 December at 15:00: it wakes on Wednesday
// 9 December at 15:00 (Tuesday is the first business day), not a second earlier, on the injected clock. A
// team's own working hours (UTC, no holiday) override the company's for its member's human task and CRM
// to-do due in 2 business days, and for a delay that names the team; someone in no team counts in the
// company's.
func TestBusinessTimeCountsInTheCompanyOrTheTeamCalendar(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		h.person("ann@example.com", auth.RoleRep)
		h.person("bob@example.com", auth.RoleRep)
		company := map[string]any{"timezone": "Europe/Berlin", "days": []int{1, 2, 3, 4, 5}, "start": "09:00", "end": "17:00",
			"holidays": []string{"2026-12-07 Company day"}}
		h.must(http.StatusForbidden, h.manager, "PUT", "/api/calendar", company, nil)
		var problem struct {
			Details []struct{ Path, Message string }
		}
		bad := map[string]any{"timezone": "Europe/Atlantis", "days": []int{1}, "start": "09:00", "end": "17:00"}
		h.must(http.StatusUnprocessableEntity, h.admin, "PUT", "/api/calendar", bad, &problem)
		if len(problem.Details) != 1 || problem.Details[0].Path != "timezone" || !strings.Contains(problem.Details[0].Message, `"Europe/Atlantis" is not known`) {
			t.Fatalf("a bad zone: %+v", problem)
		}
		h.must(http.StatusOK, h.admin, "PUT", "/api/calendar", company, nil)
		var cal struct {
			TimeZone string   `json:"timezone"`
			Days     []int    `json:"days"`
			Start    string   `json:"start"`
			End      string   `json:"end"`
			Holidays []string `json:"holidays"`
		}
		h.must(http.StatusOK, h.rep, "GET", "/api/calendar", nil, &cal)
		if cal.TimeZone != "Europe/Berlin" || len(cal.Days) != 5 || cal.Start != "09:00" || len(cal.Holidays) != 1 || cal.Holidays[0] != "2026-12-07 Company day" {
			t.Fatalf("GET /api/calendar = %+v", cal)
		}
		h.must(http.StatusCreated, h.manager, "PUT", "/api/teams/closers", map[string]any{"members": []string{"ann@example.com"},
			"calendar": map[string]any{"timezone": "UTC", "start": "09:00", "end": "17:00", "days": []int{1, 2, 3, 4, 5}}}, nil)

		friday := berlin(t, "2026-12-04 15:00")
		h.clock.Set(friday)
		delay := func(name string, cfg map[string]any) string {
			return h.createWorkflow(def(name,
				map[string]any{"id": "wait", "name": "Wait", "type": "delay", "nextSteps": []string{"after"}, "configuration": cfg},
				setVar("after", "x", 1)))
		}
		companyRun := h.startRun(delay("Two business days", map[string]any{"duration": "2 business days"}), nil)
		teamRun := h.startRun(delay("Two team days", map[string]any{"duration": "2 business days", "calendar": "team:closers"}), nil)
		nextRun := h.startRun(delay("Next morning", map[string]any{"until": "next business day 9:00"}), nil)

		wednesday := berlin(t, "2026-12-09 15:00")
		e := h.waitLog(companyRun, "wait", workflow.LogStarted)
		if msg := logMessage(e, "wait", workflow.LogStarted); msg != "Waiting until Wed 9 Dec 15:00 CET (2 business days)" {
			t.Fatalf("the delay says %q", msg)
		}
		if e.WaitingUntil == nil || !e.WaitingUntil.Equal(wednesday) {
			t.Fatalf("the company delay waits until %v, want %v", e.WaitingUntil, wednesday)
		}
		// The team's calendar has no holiday on Monday: Tuesday 8 December, 14:00 UTC (15:00 in Berlin).
		tuesday := time.Date(2026, 12, 8, 14, 0, 0, 0, time.UTC)
		if e := h.waitLog(teamRun, "wait", workflow.LogStarted); e.WaitingUntil == nil || !e.WaitingUntil.Equal(tuesday) {
			t.Fatalf("the team delay waits until %v, want %v", e.WaitingUntil, tuesday)
		}
		if e := h.waitLog(nextRun, "wait", workflow.LogStarted); e.WaitingUntil == nil || !e.WaitingUntil.Equal(berlin(t, "2026-12-08 09:00")) {
			t.Fatalf("next business day 9:00 waits until %v", e.WaitingUntil)
		}

		// Due dates: ann's team counts in UTC without the holiday, bob (in no team) in the company's hours.
		for _, c := range []struct {
			who  string
			want time.Time
		}{{"ann@example.com", tuesday}, {"bob@example.com", wednesday}} {
			run := h.startRun(h.createWorkflow(def("Due for "+c.who,
				map[string]any{"id": "todo", "name": "To-do", "type": "action", "nextSteps": []string{"call"},
					"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
						"title": "Call back", "assignee": c.who, "dueDate": "+2 business days"}}},
				map[string]any{"id": "call", "name": "Call", "type": "human_task", "nextSteps": []string{}, "configuration": map[string]any{
					"title": "Call the lead", "assignee": c.who, "due": "+2 business days",
					"formFields": []map[string]any{{"name": "note", "label": "Note", "type": "text"}}}})), nil)
			tk := h.openTask(run)
			var got struct {
				DueAt time.Time `json:"dueAt"`
			}
			h.must(http.StatusOK, h.manager, "GET", "/api/tasks/"+tk.ID, nil, &got)
			if !got.DueAt.Equal(c.want) {
				t.Errorf("%s's task is due %s, want %s", c.who, got.DueAt, c.want)
			}
			out, _ := h.get(run).StepOutputs["todo"].(map[string]any)
			if due, _ := out["dueDate"].(string); due != c.want.UTC().Format(time.RFC3339) {
				t.Errorf("%s's to-do is due %q, want %s", c.who, due, c.want.Format(time.RFC3339))
			}
		}

		h.clock.Set(wednesday.Add(-time.Second))
		if _, err := h.srv.Engine.FireDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if e := h.waitStatus(teamRun, "completed"); countLog(e, "after", workflow.LogCompleted) != 1 {
			t.Fatalf("the team delay:\n%s", logText(e))
		}
		if e := h.get(companyRun); e.Status != "running" || countLog(e, "wait", workflow.LogCompleted) != 0 {
			t.Fatalf("a second before Wednesday 15:00 the company delay is %s:\n%s", e.Status, logText(e))
		}
		h.clock.Set(wednesday)
		e = h.waitStatus(companyRun, "completed")
		for _, le := range e.ExecutionLog {
			if le.StepID == "wait" && le.Action == workflow.LogCompleted && le.Timestamp.Before(wednesday) {
				t.Fatalf("the delay ended at %v, before its time", le.Timestamp)
			}
		}
	})
}

// Settings → Working hours: an admin's save with a time zone that does not exist is refused with the
// problem under the time zone and everything typed kept (the days ticked, the hours, the holidays, the zone
// as chosen), and nothing stored; corrected, it is stored and shown. A manager may not open the page.
func TestWorkingHoursPageSaysWhatIsWrongAndKeepsTheForm(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		if status, _ := h.session("manager@example.com").get("/settings/calendar"); status != http.StatusForbidden {
			t.Fatalf("a manager opens the working hours: %d", status)
		}
		admin := h.session("admin@example.com")
		status, doc := admin.get("/settings/calendar")
		if status != http.StatusOK || doc.Find(`select[name="timezone"] option[value="UTC"][selected]`).Length() != 1 ||
			doc.Find(`input[name="days"][value="5"][checked]`).Length() != 1 || doc.Find(`input[name="days"][value="6"][checked]`).Length() != 0 {
			t.Fatalf("the page at first: %d\n%s", status, pageText(doc))
		}
		form := url.Values{"timezone": {"Mars/Olympus"}, "start": {"08:30"}, "end": {"16:30"}, "days": {"1", "2", "3", "4"},
			"holidays": {"2026-12-24 Christmas Eve\n2026-12-31 New Year's Eve"}}
		status, doc = admin.post("/settings/calendar", form)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("a bad zone saved: %d", status)
		}
		zone := doc.Find(`select[name="timezone"]`).Closest(".field")
		if msg := zone.Find(".field-error").Text(); !strings.Contains(msg, `"Mars/Olympus" is not known`) {
			t.Errorf("under the time zone: %q", msg)
		}
		if doc.Find(".field-error").Length() != 1 {
			t.Errorf("%d problems shown, want the zone's only", doc.Find(".field-error").Length())
		}
		if zone.Find(`option[value="Mars/Olympus"][selected]`).Length() != 1 {
			t.Error("the zone as chosen is lost")
		}
		if v, _ := doc.Find(`input[name="start"]`).Attr("value"); v != "08:30" {
			t.Errorf("the start is %q", v)
		}
		if v, _ := doc.Find(`input[name="end"]`).Attr("value"); v != "16:30" {
			t.Errorf("the end is %q", v)
		}
		if doc.Find(`input[name="days"][checked]`).Length() != 4 || doc.Find(`input[name="days"][value="5"][checked]`).Length() != 0 {
			t.Error("the days ticked are lost")
		}
		if v := doc.Find(`textarea[name="holidays"]`).Text(); !strings.Contains(v, "2026-12-31 New Year's Eve") {
			t.Errorf("the holidays are %q", v)
		}
		var cal struct {
			TimeZone string `json:"timezone"`
		}
		if h.must(http.StatusOK, h.admin, "GET", "/api/calendar", nil, &cal); cal.TimeZone != "UTC" {
			t.Fatalf("a refused save stored %q", cal.TimeZone)
		}

		form.Set("timezone", "Europe/Berlin")
		if status, _ = admin.post("/settings/calendar", form); status != http.StatusSeeOther {
			t.Fatalf("the corrected save: %d", status)
		}
		status, doc = admin.get("/settings/calendar")
		if status != http.StatusOK || doc.Find(`select[name="timezone"] option[value="Europe/Berlin"][selected]`).Length() != 1 ||
			!strings.Contains(doc.Find(`textarea[name="holidays"]`).Text(), "2026-12-24 Christmas Eve") {
			t.Fatalf("after saving:\n%s", pageText(doc))
		}
	})
}

package server_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A rep finds a task of their team's queue under "My teams' queue", claims it from its page (which says
// when the reminders and the escalation fire), and sets their time zone and time away on My account; a
// manager sees the Teams page. At 1280 and 390 px.
func TestBrowserTeamQueueClaimAndMySettings(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	h.person("ann@example.com", auth.RoleRep)
	h.person("bob@example.com", auth.RoleRep)
	ctx := context.Background()
	rep, err := h.srv.DB.UserByEmail(ctx, "rep@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.App.SetManager(ctx, managerActor(h), rep.ID, "manager@example.com"); err != nil {
		t.Fatal(err)
	}
	h.must(http.StatusCreated, h.manager, "PUT", "/api/teams/closers", map[string]any{"members": []string{"rep@example.com", "ann@example.com"},
		"calendar": map[string]any{"timezone": "Europe/Berlin", "start": "08:30", "end": "17:30", "days": []int{1, 2, 3, 4, 5}}}, nil)
	h.must(http.StatusCreated, h.manager, "PUT", "/api/teams/openers", map[string]any{"members": []string{"bob@example.com"}}, nil)
	h.clock.Set(time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)) // a Friday afternoon
	wf := h.createWorkflow(teamTask("Queue", map[string]any{"assignee": "team:closers", "title": "Call Bistro Ana back about the spring menu",
		"due": "+8 business hours", "reminders": []string{"-4h", "0h"}, "escalation": map[string]any{"after": "2h", "to": "manager"}}))

	for _, width := range []int{1280, 390} {
		task := h.openTask(h.startRun(wf, nil))
		b := browserAt(t, h, width)
		b.signIn("rep@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/inbox?queue=team"))
		b.waitText("#tasks", "Call Bistro Ana back")
		b.waitText("#tasks", "team closers · unclaimed")
		b.screenshot("inbox-team-queue-" + strconv.Itoa(width))
		b.looksRight("the team queue at " + strconv.Itoa(width) + " px")

		b.run(chromedp.Navigate(h.http.URL + "/tasks/" + task.ID))
		b.waitText("#task-assignee", "In the queue of team closers")
		// The rep reads the SLA in their own time zone: UTC, until they choose Europe/Berlin below (at the
		// first width), and then the same instants in CET.
		reminder, escalates := "Reminder at Mon 30 Nov 10:00 UTC", "Escalates Mon 30 Nov 16:00 UTC, to the assignee's manager"
		if width != 1280 {
			reminder, escalates = "Reminder at Mon 30 Nov 11:00 CET", "Escalates Mon 30 Nov 17:00 CET, to the assignee's manager"
		}
		b.waitText("#task-sla", reminder)
		b.waitText("#task-sla", escalates)
		b.run(chromedp.Click(chromedp.CSS(`#task-claim`)))
		b.waitText(".flash", "The task is yours now")
		b.waitText("#task-assignee", "rep@example.com")
		b.screenshot("task-claimed-" + strconv.Itoa(width))
		b.looksRight("a claimed task at " + strconv.Itoa(width) + " px")
		// Back to the queue for the next width's run.
		b.run(chromedp.Click(chromedp.CSS(`#task-unclaim`)))
		b.waitText(".flash", "back in the queue of team closers")

		b.run(chromedp.Navigate(h.http.URL + "/settings/me"))
		b.run(chromedp.SetValue(chromedp.ID("f-timezone"), "Mars/Olympus"))
		b.run(chromedp.Click(chromedp.CSS(`#prefs-form button[type=submit]`)))
		b.waitText("#prefs-form", `"Mars/Olympus" is not a time zone`)
		b.run(chromedp.SetValue(chromedp.ID("f-timezone"), "Europe/Berlin"),
			chromedp.SetValue(chromedp.ID("f-awayFrom"), "2026-12-21"),
			chromedp.SetValue(chromedp.ID("f-awayTo"), "2027-01-04"),
			chromedp.SetValue(chromedp.ID("f-delegate"), "ann@example.com"))
		b.run(chromedp.Click(chromedp.CSS(`#prefs-form button[type=submit]`)))
		b.waitText(".flash", "Your settings are saved.")
		b.waitText("#prefs-form", "manager@example.com")
		b.screenshot("my-settings-" + strconv.Itoa(width))
		b.looksRight("My account at " + strconv.Itoa(width) + " px")

		m := browserAt(t, h, width)
		m.signIn("manager@example.com")
		m.run(chromedp.Navigate(h.http.URL + "/settings/teams"))
		m.waitText("#team-closers", "Mon Tue Wed Thu Fri 08:30–17:30 Europe/Berlin")
		m.waitText("#team-openers", "bob@example.com")
		m.screenshot("teams-" + strconv.Itoa(width))
		m.looksRight("the Teams page at " + strconv.Itoa(width) + " px")
	}
	var s struct {
		Timezone    string `json:"timezone"`
		OutOfOffice struct {
			Delegate string    `json:"delegate"`
			To       time.Time `json:"to"`
		} `json:"outOfOffice"`
	}
	h.must(http.StatusOK, h.rep, "GET", "/api/users/me/settings", nil, &s)
	if s.Timezone != "Europe/Berlin" || s.OutOfOffice.Delegate != "ann@example.com" || s.OutOfOffice.To.Format(time.DateOnly) != "2027-01-04" {
		t.Fatalf("the form stored %+v", s)
	}
}

package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A to-do's page on a desktop and on a phone: what it asks, whom it is about, Done and "Give it to", and a
// comment written from the page.
func TestBrowserToDoPage(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	var lead struct {
		ID string `json:"id"`
	}
	h.must(http.StatusCreated, h.manager, "POST", "/api/leads", map[string]any{"firstName": "Ana", "lastName": "Lopez",
		"email": "ana.lopez@bistro-ana-and-sons.example", "phone": "+1 555 0101", "assignedTo": "rep@example.com"}, &lead)
	var todo struct {
		ID string `json:"id"`
	}
	h.must(http.StatusCreated, h.rep, "POST", "/api/crm-tasks", map[string]any{"title": "Call Ana back about the spring menu",
		"description": "She asked for the vegetarian options and prices for a party of forty.", "priority": "high",
		"relatedType": "lead", "relatedId": lead.ID, "assignedTo": "rep@example.com"}, &todo)
	for _, width := range []int{1280, 390} {
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("rep@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/crm/todos/" + todo.ID))
		b.waitText("h1", "Call Ana back")
		b.run(chromedp.SendKeys(chromedp.CSS(`#todo-comment-form textarea[name="body"]`), "Left a voicemail at "+strconv.Itoa(width)),
			chromedp.Click(chromedp.CSS(`#todo-comment-form button[type="submit"]`)))
		b.waitText("#todo-comments", "Left a voicemail at "+strconv.Itoa(width))
		b.screenshot("todo-" + strconv.Itoa(width))
		b.looksRight("the to-do's page at " + strconv.Itoa(width) + " px")
	}
}

// A run that waits for its to-do, on a desktop and on a phone: the run's page names the to-do it waits for,
// one click opens it, Done there, and the run's page (which refreshes itself) shows the run completed.
func TestBrowserRunWaitsForItsToDo(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	d := def("Call Ana and wait", map[string]any{"id": "call", "name": "Call Ana back", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
			"title": "Call Ana back about the spring menu", "assignee": "manager@example.com", "wait": true}}})
	wf := h.createWorkflow(d)
	for _, width := range []int{1280, 390} {
		run := h.startRun(wf, nil)
		h.waitStatus(run, "paused")
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("manager@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/executions/" + run))
		b.waitText("#run-todos", "The run goes on when this is done.")
		b.screenshot("run-waits-for-todo-" + strconv.Itoa(width))
		b.looksRight("a run waiting for its to-do at " + strconv.Itoa(width) + " px")
		b.run(chromedp.Click(chromedp.CSS(`#run-todos a[href^="/crm/todos/"]`)))
		b.waitText("h1", "Call Ana back about the spring menu")
		b.run(chromedp.Click(chromedp.CSS(`form.todo-done button[type="submit"]`)))
		h.waitStatus(run, "completed")
		b.run(chromedp.Navigate(h.http.URL + "/executions/" + run))
		b.waitText("#status", "completed")
		b.waitText("#log", `The to-do "Call Ana back about the spring menu" was done by manager@example.com`)
	}
}

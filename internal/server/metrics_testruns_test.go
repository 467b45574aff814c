package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// The designer's test runs stay out of a workflow's figures unless the manager asks for them, on the API
// (?test=include|only) and on the dashboard's "Test runs" switch.
func TestMetricsCountTestRunsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		id := h.createWorkflow([]byte(`{
		  "name": "Counted once", "trigger": {"type": "manual", "configuration": {}},
		  "steps": [{"id": "call", "name": "Call", "type": "action", "nextSteps": [],
		             "configuration": {"action": "flaky", "parameters": {"failTimes": 0}}}]}`))
		for range 3 {
			h.waitStatus(h.startRun(id, nil), "completed")
		}
		actor := &auth.Principal{Email: "manager@example.com", Role: auth.RoleManager}
		for range 2 {
			test, err := h.srv.App.StartTest(context.Background(), actor, id, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			h.waitStatus(test, "completed")
		}
		h.flushMetrics()

		for q, want := range map[string]int64{"": 3, "&test=exclude": 3, "&test=include": 5, "&test=only": 2} {
			var m metricsBody
			h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+id+"/metrics?timeframe=day"+q, nil, &m)
			if m.TotalExecutions != want || len(m.Steps) != 1 || m.Steps[0].Runs != want {
				t.Errorf("metrics%s: %d runs (steps %+v), want %d", q, m.TotalExecutions, m.Steps, want)
			}
		}
		var problem struct {
			Details []struct{ Path string } `json:"details"`
		}
		if status := h.call(h.manager, "GET", "/api/workflows/"+id+"/metrics?test=yes", nil, &problem); status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
			t.Errorf("?test=yes: %d, want a problem", status)
		} else if len(problem.Details) == 0 || problem.Details[0].Path != "test" {
			t.Errorf("?test=yes: the problem should name test: %+v", problem)
		}

		m := h.session("manager@example.com")
		for q, want := range map[string]string{"": "3", "&test=include": "5", "&test=only": "2"} {
			_, doc := m.get("/dashboards/workflows/" + id + "?timeframe=day" + q)
			if got := doc.Find(`[data-kpi="totalExecutions"]`).Text(); got != want {
				t.Errorf("dashboard%s shows %q runs, want %s", q, got, want)
			}
			current := doc.Find(`#test-runs a[aria-current="true"]`)
			wantChoice := map[string]string{"": "exclude", "&test=include": "include", "&test=only": "only"}[q]
			if v, _ := current.Attr("data-test-runs"); current.Length() != 1 || v != wantChoice {
				t.Errorf("dashboard%s: the test-runs switch marks %q, want %s", q, v, wantChoice)
			}
			if note := doc.Find("#test-runs-note").Length(); (q == "") != (note == 0) {
				t.Errorf("dashboard%s: a note that test runs are counted: %d, want one only when they are", q, note)
			}
			// The timeframe switch keeps the test-runs choice.
			if href, _ := doc.Find(`nav.timeframes a[data-timeframe="week"]`).Attr("href"); q != "" && !strings.Contains(href, q[1:]) {
				t.Errorf("dashboard%s: the week link %q drops the test-runs choice", q, href)
			}
		}
	})
}

package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// snapshot counts the rows of every table a request could change, plus the stored definitions.
func (h *harness) snapshot() string {
	h.t.Helper()
	var b strings.Builder
	for _, m := range []any{&store.Workflow{}, &store.WorkflowVersion{}, &store.Execution{}, &store.LogRow{},
		&store.HumanTask{}, &store.Mail{}, &store.CRMTask{}} {
		n, err := h.srv.DB.CountRows(context.Background(), m)
		if err != nil {
			h.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%T=%d ", m, n)
	}
	defs, err := h.srv.DB.Workflows().AllDefinitions(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	b.WriteString(strings.Join(defs, "|"))
	wfs, err := h.srv.DB.Workflows().ListWorkflows(context.Background(), -1, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	enc, _ := json.Marshal(wfs)
	b.Write(enc)
	return b.String()
}

func TestBadRequestsGet4xxWithAClearMessageAndChangeNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		valid := def("Valid", setVar("only", "x", 1))
		wf := h.createWorkflow(valid)
		run := h.startRun(wf, nil)
		h.waitStatus(run, "completed")
		approval := h.createWorkflow(def("Approval",
			map[string]any{"id": "approve", "name": "Approve", "type": "human_task", "nextSteps": []string{},
				"configuration": map[string]any{"assignee": "rep@example.com", "title": "Approve",
					"formFields": []map[string]any{{"name": "x", "type": "number", "required": true}}}}))
		taskRun := h.startRun(approval, nil)
		tk := h.openTask(taskRun)

		withStep := func(step map[string]any) map[string]any { return def("Broken", step) }
		big := `{"name": "` + strings.Repeat("a", 1<<20) + `"}`
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			says                      string
		}{
			{"malformed JSON", "POST", "/api/workflows", h.manager, `{"name": "x", "steps": [`, 400, "line 1"},
			{"not JSON at all", "POST", "/api/workflows", h.manager, `name=x`, 400, "not valid JSON"},
			{"wrong type", "POST", "/api/workflows", h.manager, `{"name": "x", "steps": {"id": "a"}}`, 400, "steps must be a list"},
			{"wrong type inside a step", "POST", "/api/workflows", h.manager, `{"name": "x", "steps": [{"id": "a", "nextSteps": "b"}]}`, 400, "must be a list"},
			{"unknown field", "POST", "/api/workflows", h.manager, `{"name": "x", "stepz": []}`, 400, `unknown field "stepz"`},
			{"empty body", "POST", "/api/workflows", h.manager, ``, 400, "empty"},
			{"body over 1 MiB", "POST", "/api/workflows", h.manager, big, 413, "1 MiB"},
			{"no steps", "POST", "/api/workflows", h.manager, def("Empty"), 422, "no steps"},
			{"unknown action", "POST", "/api/workflows", h.manager, withStep(map[string]any{"id": "a", "name": "A", "type": "action",
				"nextSteps": []string{}, "configuration": map[string]any{"action": "fax"}}), 422, `unknown action "fax"`},
			{"unknown step type", "POST", "/api/workflows", h.manager, withStep(map[string]any{"id": "a", "name": "A", "type": "loop",
				"nextSteps": []string{}, "configuration": map[string]any{}}), 422, `unknown type "loop"`},
			{"unknown next step", "POST", "/api/workflows", h.manager, withStep(setVar("a", "x", 1, "nowhere")), 422, `"nowhere", which does not exist`},
			{"bad expression", "POST", "/api/workflows", h.manager, withStep(map[string]any{"id": "c", "name": "C", "type": "condition",
				"nextSteps": []string{}, "configuration": map[string]any{"condition": "x >", "trueSteps": []string{}, "falseSteps": []string{}}}), 422, "position"},
			{"undeclared variable", "POST", "/api/workflows", h.manager, withStep(setVar("a", "x", "{{ score }}")), 422, `unknown name "score"`},
			{"bad delay", "POST", "/api/workflows", h.manager, withStep(map[string]any{"id": "d", "name": "D", "type": "delay",
				"nextSteps": []string{}, "configuration": map[string]any{"duration": -5}}), 422, "more than 0"},
			{"bad form field", "POST", "/api/workflows", h.manager, withStep(map[string]any{"id": "h", "name": "H", "type": "human_task",
				"nextSteps": []string{}, "configuration": map[string]any{"assignee": "rep@example.com", "title": "T",
					"formFields": []map[string]any{{"name": "x", "type": "colour"}}}}), 422, `unknown type "colour"`},
			{"bad cron", "POST", "/api/workflows", h.manager, map[string]any{"name": "Nightly", "trigger": map[string]any{"type": "scheduled",
				"configuration": map[string]any{"cron": "every night", "timezone": "Europe/Berlin"}}, "steps": []any{setVar("a", "x", 1)},
				"variables": []any{map[string]any{"name": "x", "type": "number"}}}, 422, "not a valid cron line"},
			{"bad timezone", "POST", "/api/workflows", h.manager, map[string]any{"name": "Nightly", "trigger": map[string]any{"type": "scheduled",
				"configuration": map[string]any{"cron": "0 2 * * *", "timezone": "Mars/Olympus"}}, "steps": []any{setVar("a", "x", 1)},
				"variables": []any{map[string]any{"name": "x", "type": "number"}}}, 422, "unknown timezone"},
			{"duplicate id on create", "POST", "/api/workflows", h.manager, map[string]any{"id": wf, "name": "Again",
				"trigger": map[string]any{"type": "manual"}, "steps": []any{setVar("a", "x", 1)},
				"variables": []any{map[string]any{"name": "x", "type": "number"}}}, 409, "exists already"},
			{"invalid new version", "PUT", "/api/workflows/" + wf, h.manager, withStep(setVar("a", "nope", 1)), 422, `"nope" is not a declared variable`},
			{"malformed new version", "PUT", "/api/workflows/" + wf, h.manager, `{"name":`, 400, "ends too early"},
			{"publish a missing version", "POST", "/api/workflows/" + wf + "/publish", h.manager, map[string]any{"version": 9}, 404, "no version 9"},
			{"publish without a version", "POST", "/api/workflows/" + wf + "/publish", h.manager, `{}`, 422, "version"},
			{"publish with a text version", "POST", "/api/workflows/" + wf + "/publish", h.manager, `{"version": "2"}`, 400, "must be a number"},
			{"start with a wrong variable type", "POST", "/api/workflows/" + wf + "/executions", h.manager, map[string]any{"variables": map[string]any{"x": "ten"}}, 422, "must be a number"},
			{"start with an undeclared variable", "POST", "/api/workflows/" + wf + "/executions", h.manager, map[string]any{"variables": map[string]any{"score": 1}}, 422, `"score" is not a variable`},
			{"start a missing workflow", "POST", "/api/workflows/nope/executions", h.manager, `{}`, 404, `no workflow "nope"`},
			{"complete with a bad value", "POST", "/api/tasks/" + tk.ID + "/complete", h.rep, map[string]any{"values": map[string]any{"x": "many"}}, 422, "must be a number"},
			{"complete with an unknown field", "POST", "/api/tasks/" + tk.ID + "/complete", h.rep, map[string]any{"values": map[string]any{"x": 1, "y": 2}}, 422, `no field "y"`},
			{"complete with values not an object", "POST", "/api/tasks/" + tk.ID + "/complete", h.rep, `{"values": [1]}`, 400, "must be an object"},
			{"bad limit", "GET", "/api/executions?limit=0", h.manager, nil, 422, "limit"},
			{"bad status filter", "GET", "/api/executions?status=done", h.manager, nil, 422, "not a status"},
			{"no token", "POST", "/api/workflows", "", def("Valid", setVar("only", "x", 1)), 401, "API token"},
			{"wrong token", "POST", "/api/workflows", "pf_wrong", def("Valid", setVar("only", "x", 1)), 401, "wrong"},
			{"a rep may not create workflows", "POST", "/api/workflows", h.rep, def("Valid", setVar("only", "x", 1)), 403, "role"},
			{"a rep may not start runs", "POST", "/api/workflows/" + wf + "/executions", h.rep, `{}`, 403, "role"},
		}
		before := h.snapshot()
		for _, c := range cases {
			var body struct {
				Error   string `json:"error"`
				Details []struct {
					Path    string `json:"path"`
					Message string `json:"message"`
				} `json:"details"`
			}
			got := h.call(c.token, c.method, c.path, c.body, &body)
			all := body.Error
			for _, d := range body.Details {
				all += " | " + d.Path + ": " + d.Message
			}
			if got != c.status || !strings.Contains(all, c.says) {
				t.Errorf("%s: %d %q, want %d saying %q", c.name, got, all, c.status, c.says)
			}
			if after := h.snapshot(); after != before {
				t.Fatalf("%s changed what was stored", c.name)
			}
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	h.must(http.StatusOK, "", "GET", "/healthz", nil, nil)
	h.must(http.StatusOK, "", "GET", "/readyz", nil, nil)
	h.srv.Web.Ready = func(context.Context) error { return errors.New("the database is gone") }
	h.must(http.StatusServiceUnavailable, "", "GET", "/readyz", nil, nil)
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// reply is a status and the raw body, to compare a retry's reply with the first one byte for byte.
type reply struct {
	status int
	body   string
}

// keyed sends a JSON request with the given Idempotency-Key values (none: no header).
func (h *harness) keyed(token, method, path string, body any, keys ...string) reply {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
	}
	req, err := http.NewRequest(method, h.http.URL+path, bytes.NewReader(raw))
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for _, k := range keys {
		req.Header.Add("Idempotency-Key", k)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("read the reply of %s %s: %v", method, path, err)
	}
	return reply{res.StatusCode, string(got)}
}

// count counts the rows of model that match where (args after it).
func (h *harness) count(model any, where ...any) int64 {
	h.t.Helper()
	var cond string
	var args []any
	if len(where) > 0 {
		cond, args = where[0].(string), where[1:]
	}
	n, err := h.srv.DB.CountWhere(context.Background(), model, cond, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// approvalWorkflow is a published workflow whose one step is a task for the rep.
func (h *harness) approvalWorkflow() string {
	h.t.Helper()
	return h.createWorkflow(def("Approval", map[string]any{"id": "approve", "name": "Approve", "type": "human_task",
		"nextSteps": []string{}, "configuration": map[string]any{"assignee": "rep@example.com", "title": "Approve",
			"formFields": []map[string]any{{"name": "x", "type": "number", "required": true}}}}))
}

// TestARetryWithTheSameIdempotencyKeyCreatesNothing sends every creating request of the API twice with one
// key: the second is answered what the first was (status and body, byte for byte) and creates nothing — one
// workflow, one version, one run, one event (and the run it starts), one record of each kind (and its
// event), one completion, one secret.
func TestARetryWithTheSameIdempotencyKeyCreatesNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := startTuned(t, url, func(c *config.Config, _ *server.Options) { c.SecretKey = testSecretKey })
		wf := h.createWorkflow(def("Started twice", setVar("only", "x", 1)))
		signed := h.createWorkflow(withTrigger(def("Deal signed", setVar("only", "x", "{{ x }}")), "event",
			map[string]any{"event": "deal_signed"}))
		tk := h.openTask(h.startRun(h.approvalWorkflow(), nil))
		var templates struct {
			Items []struct{ ID string } `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/templates", nil, &templates)
		if len(templates.Items) == 0 {
			t.Fatal("no templates to import")
		}
		draft := def("Started twice", setVar("only", "x", 2))

		cases := []struct {
			name, token, method, path string
			body                      any
			status                    int
			created                   func() int64 // what the request creates: one more after both
		}{
			{"create a workflow", h.manager, "POST", "/api/workflows", def("Created twice", setVar("only", "x", 1)), 201,
				func() int64 { return h.count(&store.Workflow{}, "name = ?", "Created twice") }},
			{"save a draft", h.manager, "PUT", "/api/workflows/" + wf, draft, 200,
				func() int64 { return h.count(&store.WorkflowVersion{}, "workflow_id = ?", wf) }},
			{"start a run", h.manager, "POST", "/api/workflows/" + wf + "/executions", map[string]any{"variables": map[string]any{"x": 1}}, 202,
				func() int64 { return h.count(&store.Execution{}, "workflow_id = ?", wf) }},
			{"import a template", h.manager, "POST", "/api/templates/" + templates.Items[0].ID + "/import", map[string]any{"id": "imported_once"}, 201,
				func() int64 { return h.count(&store.Workflow{}, "id = ?", "imported_once") }},
			{"post an event", h.manager, "POST", "/api/events", map[string]any{"event": "deal_signed", "data": map[string]any{"x": 10}}, 202,
				func() int64 { return h.count(&store.Event{}, "type = ?", "deal_signed") }},
			{"the run the event starts", h.manager, "POST", "/api/events", map[string]any{"event": "deal_signed", "data": map[string]any{"x": 11}}, 202,
				func() int64 { return h.count(&store.Execution{}, "workflow_id = ?", signed) }},
			{"create a lead", h.rep, "POST", "/api/leads", map[string]any{"firstName": "Lou", "lastName": "Once"}, 201,
				func() int64 { return h.count(&store.Lead{}, "last_name = ?", "Once") }},
			{"the lead's event", h.rep, "POST", "/api/leads", map[string]any{"firstName": "Lea", "lastName": "Evented"}, 201,
				func() int64 { return h.count(&store.Event{}, "type = ?", "lead_created") }},
			{"create a contact", h.rep, "POST", "/api/contacts", map[string]any{"firstName": "Cora", "lastName": "Once"}, 201,
				func() int64 { return h.count(&store.Contact{}, "last_name = ?", "Once") }},
			{"create a company", h.rep, "POST", "/api/companies", map[string]any{"name": "Once Bakery"}, 201,
				func() int64 { return h.count(&store.Company{}, "name = ?", "Once Bakery") }},
			{"create an opportunity", h.manager, "POST", "/api/opportunities", map[string]any{"name": "Once deal"}, 201,
				func() int64 { return h.count(&store.Opportunity{}, "name = ?", "Once deal") }},
			{"create a CRM task", h.rep, "POST", "/api/crm-tasks", map[string]any{"title": "Call once"}, 201,
				func() int64 { return h.count(&store.CRMTask{}, "title = ?", "Call once") }},
			{"complete a task", h.rep, "POST", "/api/tasks/" + tk.ID + "/complete", map[string]any{"values": map[string]any{"x": 5}}, 200,
				func() int64 { return h.count(&store.HumanTask{}, "id = ? AND status = ?", tk.ID, "completed") }},
			{"create a secret", h.manager, "POST", "/api/secrets", map[string]any{"name": "ONCE_KEY", "value": "long enough value"}, 201,
				func() int64 { return h.count(&store.Secret{}, "name = ?", "ONCE_KEY") }},
		}
		for _, c := range cases {
			key := "retry-" + strings.ReplaceAll(c.name, " ", "-")
			before := c.created()
			first := h.keyed(c.token, c.method, c.path, c.body, key)
			if first.status != c.status {
				t.Fatalf("%s: the first request = %d %s, want %d", c.name, first.status, first.body, c.status)
			}
			again := h.keyed(c.token, c.method, c.path, c.body, key)
			if again != first {
				t.Errorf("%s: the retry was answered %d %s, the first request %d %s", c.name, again.status, again.body, first.status, first.body)
			}
			if n := c.created(); n != before+1 {
				t.Errorf("%s: two requests with one key created %d, want 1", c.name, n-before)
			}
		}
	})
}

// TestAnIdempotencyKeyBelongsToOneRequest: the key with another body or address is a 422 naming the header
// and creates nothing; another user's key of the same text is theirs; a key that is empty, too long, sent
// twice or holding a control character is a 422 naming the header; without the header nothing changes.
func TestAnIdempotencyKeyBelongsToOneRequest(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Started", setVar("only", "x", 1)))
		other := h.createWorkflow(def("Other", setVar("only", "x", 1)))
		start := func(id string, x int, keys ...string) reply {
			t.Helper()
			return h.keyed(h.manager, "POST", "/api/workflows/"+id+"/executions", map[string]any{"variables": map[string]any{"x": x}}, keys...)
		}
		refused := func(what string, a reply, says string) {
			t.Helper()
			var body struct {
				Error   string
				Details []struct{ Path, Message string }
			}
			if err := json.Unmarshal([]byte(a.body), &body); err != nil || a.status != http.StatusUnprocessableEntity {
				t.Fatalf("%s = %d %s, want 422", what, a.status, a.body)
			}
			if len(body.Details) != 1 || body.Details[0].Path != "Idempotency-Key" || !strings.Contains(body.Details[0].Message, says) ||
				!strings.Contains(body.Error, "Idempotency-Key") {
				t.Fatalf("%s: %+v, want the header named and %q", what, body, says)
			}
		}

		if a := start(wf, 1, "k"); a.status != http.StatusAccepted {
			t.Fatalf("first start = %+v", a)
		}
		refused("the key with another body", start(wf, 2, "k"), "another address or body")
		refused("the key for another workflow", start(other, 1, "k"), "another address or body")
		refused("the key on another route", h.keyed(h.manager, "POST", "/api/leads", map[string]any{"firstName": "A", "lastName": "B"}, "k"),
			"another address or body")
		if n := h.runsOf(wf) + h.runsOf(other); n != 1 {
			t.Fatalf("refused keys started runs: %d runs, want 1", n)
		}
		if n := h.count(&store.Lead{}); n != 0 {
			t.Fatalf("a refused key created %d leads", n)
		}

		// Keys are per user: the rep's "k" is not the manager's.
		mine := h.keyed(h.manager, "POST", "/api/leads", map[string]any{"firstName": "M", "lastName": "Mine"}, "lead-key")
		theirs := h.keyed(h.rep, "POST", "/api/leads", map[string]any{"firstName": "M", "lastName": "Mine"}, "lead-key")
		if mine.status != http.StatusCreated || theirs.status != http.StatusCreated || mine.body == theirs.body {
			t.Fatalf("two users' keys of one text: %+v and %+v, want two leads", mine, theirs)
		}

		refused("an empty key", start(wf, 1, ""), "is empty")
		refused("a key of 256 characters", start(wf, 1, strings.Repeat("a", 256)), "is 256 characters long")
		refused("a key with a tab", start(wf, 1, "a\tb"), "control character U+0009")
		refused("two keys", start(wf, 1, "x", "y"), "was sent 2 times")
		if n := h.runsOf(wf); n != 1 {
			t.Fatalf("bad keys started runs: %d, want 1", n)
		}
		long := strings.Repeat("é", 255)
		if a, b := start(wf, 1, long), start(wf, 1, long); a.status != http.StatusAccepted || a != b {
			t.Fatalf("a key of 255 characters: %+v then %+v", a, b)
		}
		if a, b := start(wf, 1), start(wf, 1); a.status != http.StatusAccepted || b.status != http.StatusAccepted || a == b {
			t.Fatalf("without a key: %+v then %+v, want two runs", a, b)
		}
		if n := h.runsOf(wf); n != 4 {
			t.Fatalf("%d runs, want 4 (the first, the long key's and two without a key)", n)
		}
	})
}

// TestConcurrentRequestsWithOneKeyCreateOneThing: requests with one key sent at once, to start a run and to
// complete a task, create one run and one completion, and every one of them gets the same reply.
func TestConcurrentRequestsWithOneKeyCreateOneThing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Started at once", setVar("only", "x", 1)))
		approvalRun := h.startRun(h.approvalWorkflow(), nil)
		tk := h.openTask(approvalRun)
		const n = 6
		for _, c := range []struct {
			name, token, path string
			body              any
			status            int
		}{
			{"start", h.manager, "/api/workflows/" + wf + "/executions", map[string]any{"variables": map[string]any{"x": 1}}, http.StatusAccepted},
			{"complete", h.rep, "/api/tasks/" + tk.ID + "/complete", map[string]any{"values": map[string]any{"x": 5}}, http.StatusOK},
		} {
			answers := make([]reply, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = h.keyed(c.token, "POST", c.path, c.body, "at-once-"+c.name)
				}()
			}
			wg.Wait()
			for i, a := range answers {
				if a.status != c.status || a != answers[0] {
					t.Fatalf("%s: reply %d = %d %s; reply 0 = %d %s", c.name, i, a.status, a.body, answers[0].status, answers[0].body)
				}
			}
		}
		if runs := h.runsOf(wf); runs != 1 {
			t.Fatalf("%d requests with one key started %d runs", n, runs)
		}
		e := h.waitStatus(approvalRun, "completed")
		if got := countLog(e, "approve", "completed"); got != 1 {
			t.Fatalf("the task's step was completed %d times:\n%s", got, logText(e))
		}
	})
}

// TestAnIdempotencyKeyIsKeptTwoDaysThenForgotten: 47 hours on (past the 24 promised), the key still refuses
// another request; after 48 hours the cleanup removes it and the key is free for a new request.
func TestAnIdempotencyKeyIsKeptTwoDaysThenForgotten(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		ctx := context.Background()
		wf := h.createWorkflow(def("Started", setVar("only", "x", 1)))
		start := func(x int) reply {
			t.Helper()
			return h.keyed(h.manager, "POST", "/api/workflows/"+wf+"/executions", map[string]any{"variables": map[string]any{"x": x}}, "two-days")
		}
		first := start(1)
		if first.status != http.StatusAccepted {
			t.Fatalf("first start = %+v", first)
		}
		h.clock.Advance(47 * time.Hour)
		if a := start(2); a.status != http.StatusUnprocessableEntity {
			t.Fatalf("47 hours on, another request with the key = %+v, want 422", a)
		}
		if a := start(1); a != first {
			t.Fatalf("47 hours on, the retry = %+v, want %+v", a, first)
		}
		if n, err := h.srv.Keys.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("the cleanup 47 hours on forgot %d keys (%v), want none", n, err)
		}
		h.clock.Advance(time.Hour + time.Second)
		if n, err := h.srv.Keys.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("the cleanup 48 hours on forgot %d keys (%v), want 1", n, err)
		}
		if n := h.count(&store.IdempotencyKey{}); n != 0 {
			t.Fatalf("%d keys left after the cleanup", n)
		}
		if a := start(2); a.status != http.StatusAccepted || a == first {
			t.Fatalf("48 hours on, a new request with the key = %+v, want a new run", a)
		}
		if n := h.runsOf(wf); n != 2 {
			t.Fatalf("%d runs, want 2", n)
		}
	})
}

// TestAFailedCreationLeavesItsKeyFree: a start whose transaction fails after the key is claimed (the
// variables do not fit the workflow) leaves the key unclaimed, so the same request succeeds once the
// workflow takes it, and its retries are then answered what it was and start nothing.
func TestAFailedCreationLeavesItsKeyFree(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		typed := func(typ string) map[string]any {
			d := def("Typed", setVar("only", "note", "{{ note }}"))
			d["variables"] = []map[string]any{{"name": "note", "type": typ}}
			return d
		}
		wf := h.createWorkflow(typed("number"))
		body := map[string]any{"variables": map[string]any{"note": "five"}}
		send := func() reply {
			t.Helper()
			return h.keyed(h.manager, "POST", "/api/workflows/"+wf+"/executions", body, "after-a-failure")
		}
		if a := send(); a.status != http.StatusUnprocessableEntity {
			t.Fatalf("a start whose variables do not fit = %+v, want 422", a)
		}
		if n := h.count(&store.IdempotencyKey{}); n != 0 {
			t.Fatalf("the failed start left %d keys claimed", n)
		}
		var saved struct{ Version int }
		h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, typed("string"), &saved)
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/publish", map[string]any{"version": saved.Version}, nil)
		first := send()
		if first.status != http.StatusAccepted {
			t.Fatalf("the same request once the workflow takes it = %+v, want 202", first)
		}
		if again := send(); again != first {
			t.Fatalf("its retry = %+v, want %+v", again, first)
		}
		if n := h.runsOf(wf); n != 1 {
			t.Fatalf("%d runs, want 1", n)
		}
	})
}

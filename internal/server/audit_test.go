package server_test

import (
	"net/http"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
)

type auditEntry struct {
	Actor, Action, Entity, EntityID string
	Before, After                   map[string]any
}

// What managers do is in the audit log, with who and the values before and after, for admins to read and
// filter; managers and reps may not read it.
func TestTheAuditLogRecordsWhatPeopleDid(t *testing.T) {
	t.Parallel()
	h := startTuned(t, storetestSQLiteURL(t), func(c *config.Config, _ *server.Options) { c.SecretKey = testSecretKey })
	wf := h.createWorkflow(mailToEmail()) // created and published
	h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/enabled", map[string]any{"enabled": false}, nil)
	h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/enabled", map[string]any{"enabled": true}, nil)
	run := h.startRun(wf, map[string]any{"email": "nobody"})
	h.waitStatus(run, "failed")
	h.must(http.StatusOK, h.manager, "PATCH", "/api/executions/"+run+"/variables", map[string]any{"variables": map[string]any{"email": "ana@example.com"}}, nil)
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", nil, nil)
	h.waitStatus(run, "completed")
	h.must(http.StatusCreated, h.manager, "POST", "/api/secrets", map[string]any{"name": "CRM_KEY", "value": "s3cret-value"}, nil)

	h.must(http.StatusForbidden, h.manager, "GET", "/api/audit", nil, nil)
	var all struct {
		Items []auditEntry
		Total int
	}
	h.must(http.StatusOK, h.admin, "GET", "/api/audit", nil, &all)
	actions := map[string]auditEntry{}
	for _, e := range all.Items {
		if e.Actor != "manager@example.com" {
			continue
		}
		actions[e.Action] = e
	}
	for _, want := range []string{"workflow published", "workflow disabled", "workflow enabled", "run data edited", "run retried", "secret created"} {
		if _, ok := actions[want]; !ok {
			t.Fatalf("the audit log lacks %q: %+v", want, all.Items)
		}
	}
	if e := actions["run data edited"]; e.Entity != "execution" || e.EntityID != run || e.After["variables"].(map[string]any)["email"] != "ana@example.com" {
		t.Fatalf("the edit is logged as %+v", e)
	}
	if e := actions["workflow disabled"]; e.EntityID != wf || e.After["enabled"] != false {
		t.Fatalf("disabling is logged as %+v", e)
	}
	for _, e := range all.Items {
		for _, v := range []map[string]any{e.Before, e.After} {
			if v["value"] != nil {
				t.Fatalf("a secret's value is in the audit log: %+v", e)
			}
		}
	}
	var runs struct{ Items []auditEntry }
	h.must(http.StatusOK, h.admin, "GET", "/api/audit?entity=execution&actor=manager@example.com", nil, &runs)
	if len(runs.Items) != 2 || runs.Items[0].Action != "run retried" || runs.Items[1].Action != "run data edited" {
		t.Fatalf("filtered by execution: %+v", runs.Items)
	}
	_, page := h.session("admin@example.com").get("/settings/audit?entity=workflow")
	if n := page.Find(".audit-list li").Length(); n != 3 {
		t.Fatalf("the audit page lists %d workflow entries: %q", n, squash(page.Find("#audit")))
	}
}

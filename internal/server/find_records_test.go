package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// find_records reads a company's contacts from the CRM for later steps, newest first, and a filter on a
// field the entity does not have fails the step in words.
func TestFindRecordsListsACompanysContacts(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	var acme, other record
	h.must(http.StatusCreated, h.manager, "POST", "/api/companies", record{"name": "Acme Kitchens"}, &acme)
	h.must(http.StatusCreated, h.manager, "POST", "/api/companies", record{"name": "Other Bistro"}, &other)
	for _, c := range []struct{ first, company string }{{"Ana", acme["id"].(string)}, {"Ben", other["id"].(string)}, {"Cy", acme["id"].(string)}} {
		h.must(http.StatusCreated, h.manager, "POST", "/api/contacts", record{"firstName": c.first, "lastName": "Lopez", "companyId": c.company}, nil)
		h.clock.Advance(1e9) // newest first needs distinct creation times
	}
	wf := h.createWorkflow(map[string]any{"name": "Contacts of a company", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "companyId", "type": "string", "required": true}},
		"steps": []map[string]any{{"id": "find", "name": "Find the contacts", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "find_records", "parameters": map[string]any{
				"entity": "contact", "where": map[string]any{"companyId": "{{companyId}}"}}}}}})

	e := h.waitStatus(h.startRun(wf, map[string]any{"companyId": acme["id"]}), "completed")
	out, _ := e.StepOutputs["find"].(map[string]any)
	items, _ := out["items"].([]any)
	if len(items) != 2 || out["total"] != float64(2) {
		t.Fatalf("find_records output %v\n%s", out, logText(e))
	}
	if first, second := items[0].(map[string]any), items[1].(map[string]any); first["firstName"] != "Cy" || second["firstName"] != "Ana" {
		t.Fatalf("the contacts are not newest first: %v", items)
	}

	bad := h.createWorkflow(map[string]any{"name": "A filter on nothing", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"steps": []map[string]any{{"id": "find", "name": "Find", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "find_records", "parameters": map[string]any{
				"entity": "contact", "where": map[string]any{"shoeSize": "42"}}}}}})
	e = h.waitStatus(h.startRun(bad, nil), "failed")
	if e.Error == "" || !strings.Contains(e.Error, "shoeSize") {
		t.Fatalf("the failed step says %q, want it to name shoeSize", e.Error)
	}
}

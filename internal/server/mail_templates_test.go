package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type mailTemplate struct {
	Name         string   `json:"name"`
	Subject      string   `json:"subject"`
	Body         string   `json:"body"`
	Placeholders []string `json:"placeholders"`
	Version      int      `json:"version"`
	UpdatedBy    string   `json:"updatedBy"`
	UsedBy       []struct {
		ID       string `json:"id"`
		StepID   string `json:"stepId"`
		StepName string `json:"stepName"`
	} `json:"usedBy"`
}

type problem struct {
	Error   string `json:"error"`
	Details []struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"details"`
}

func (p problem) at(path string) string {
	var out []string
	for _, d := range p.Details {
		if d.Path == path {
			out = append(out, d.Message)
		}
	}
	return strings.Join(out, " | ")
}

// Mail templates through the API: listed with their placeholders, created and changed as versions (a stale
// edit refused), previewed with a CRM record or variables, and never changed or deleted under a published
// workflow that sends them: a new placeholder its step does not give is refused, naming workflow and step.
func TestMailTemplatesAPI(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		var list struct{ Items []mailTemplate }
		h.must(http.StatusOK, h.manager, "GET", "/api/mail-templates", nil, &list)
		found := false
		for _, m := range list.Items {
			if m.Name == "welcome_qualified_lead" {
				found = fmt.Sprint(m.Placeholders) == "[firstName companyName]" && m.Version == 1
			}
		}
		if !found {
			t.Fatalf("welcome_qualified_lead is not listed with firstName and companyName at version 1: %+v", list.Items)
		}
		h.must(http.StatusForbidden, h.rep, "GET", "/api/mail-templates", nil, nil)

		// Bad input is refused by field, in words.
		var p problem
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/mail-templates",
			map[string]any{"name": "Demo Invite", "subject": "", "body": "Hi {{ firstName"}, &p)
		if !strings.Contains(p.at("name"), "lowercase") || !strings.Contains(p.at("subject"), "write the subject") || !strings.Contains(p.at("body"), "not closed") {
			t.Fatalf("problems: %+v", p)
		}

		var made mailTemplate
		h.must(http.StatusCreated, h.manager, "POST", "/api/mail-templates",
			map[string]any{"name": "demo_invite", "subject": "A demo for {{ companyName }}", "body": "Hi {{ firstName }},\n\nShall we?"}, &made)
		if made.Version != 1 || fmt.Sprint(made.Placeholders) != "[companyName firstName]" || made.UpdatedBy != "manager@example.com" {
			t.Fatalf("created %+v", made)
		}
		p = problem{}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/mail-templates",
			map[string]any{"name": "demo_invite", "subject": "x", "body": "y"}, &p)
		if !strings.Contains(p.at("name"), "already") {
			t.Fatalf("a second demo_invite: %+v", p)
		}

		// A published workflow sends it, giving the two names.
		wf := h.createWorkflow(def("Invite to a demo",
			map[string]any{"id": "invite", "name": "Send the invitation", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{"template": "demo_invite",
					"recipient": "lead@example.com", "data": map[string]any{"firstName": "Ana", "companyName": "Bistro Ana"}}}}))

		var v2 mailTemplate
		h.must(http.StatusOK, h.manager, "PUT", "/api/mail-templates/demo_invite",
			map[string]any{"subject": "A demo for {{ companyName }}", "body": "Hello {{ firstName }}, shall we?", "version": 1}, &v2)
		if v2.Version != 2 || len(v2.UsedBy) != 1 || v2.UsedBy[0].ID != wf || v2.UsedBy[0].StepName != "Send the invitation" {
			t.Fatalf("saved %+v", v2)
		}
		// Saving over version 1 again: someone saved version 2 since.
		h.must(http.StatusConflict, h.manager, "PUT", "/api/mail-templates/demo_invite",
			map[string]any{"subject": "Old", "body": "Old", "version": 1}, nil)

		// A placeholder the step does not give would make the published workflow fail: refused, nothing saved.
		p = problem{}
		h.must(http.StatusUnprocessableEntity, h.manager, "PUT", "/api/mail-templates/demo_invite",
			map[string]any{"subject": "A demo for {{ companyName }}", "body": "Hello {{ firstName }}, we will call {{ phone }}.", "version": 2}, &p)
		if msg := p.at("body"); !strings.Contains(msg, `"Invite to a demo"`) || !strings.Contains(msg, `"Send the invitation"`) || !strings.Contains(msg, `"phone"`) {
			t.Fatalf("the refusal does not name the workflow, step and placeholder: %+v", p)
		}
		var now mailTemplate
		h.must(http.StatusOK, h.manager, "GET", "/api/mail-templates/demo_invite", nil, &now)
		if now.Version != 2 || strings.Contains(now.Body, "phone") {
			t.Fatalf("a refused save changed the template: %+v", now)
		}
		var versions struct{ Items []struct{ Version int } }
		h.must(http.StatusOK, h.manager, "GET", "/api/mail-templates/demo_invite/versions", nil, &versions)
		if len(versions.Items) != 2 || versions.Items[0].Version != 2 || versions.Items[1].Version != 1 {
			t.Fatalf("versions %+v", versions.Items)
		}

		// Preview with a lead: the record's own fields fill the names it has; the rest show as [name].
		lead := h.createLead(h.manager, record{"firstName": "Ana", "lastName": "Lopez", "email": "ana@bistro.example", "assignedTo": "rep@example.com"})
		var pv struct {
			Subject, Body, Record string
			Missing               []string
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/mail-templates/welcome_qualified_lead/preview",
			map[string]any{"recordType": "lead", "recordId": lead}, &pv)
		if pv.Subject != "Welcome to Kitchen Pantry, Ana" || !strings.Contains(pv.Body, "talking with [companyName]") ||
			fmt.Sprint(pv.Missing) != "[companyName]" || !strings.Contains(pv.Record, "Ana Lopez") {
			t.Fatalf("preview with the lead: %+v", pv)
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/mail-templates/demo_invite/preview",
			map[string]any{"variables": map[string]any{"firstName": "Ben", "companyName": "Ben's Diner"}}, &pv)
		if pv.Subject != "A demo for Ben's Diner" || pv.Body != "Hello Ben, shall we?" || len(pv.Missing) != 0 {
			t.Fatalf("preview with variables: %+v", pv)
		}
		h.must(http.StatusNotFound, h.manager, "POST", "/api/mail-templates/welcome_qualified_lead/preview",
			map[string]any{"recordType": "lead", "recordId": "no-such-lead"}, nil)

		// Deleting: not while a published workflow sends it.
		p = problem{}
		h.must(http.StatusConflict, h.manager, "DELETE", "/api/mail-templates/demo_invite", nil, &p)
		if !strings.Contains(p.Error, "Invite to a demo") {
			t.Fatalf("delete refusal: %+v", p)
		}
		h.must(http.StatusCreated, h.manager, "POST", "/api/mail-templates", map[string]any{"name": "unused", "subject": "s", "body": "b"}, nil)
		h.noContent(h.manager, "/api/mail-templates/unused")
		h.must(http.StatusNotFound, h.manager, "GET", "/api/mail-templates/unused", nil, nil)
	})
}

// The Mail templates pages: the list shows each template's placeholders and who sends it; a new template
// is written in a form, its mistakes shown beside the fields with what was typed kept; the edit page
// saves versions, previews the text as typed with a picked lead, and restores an earlier version.
func TestMailTemplatePages(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	lead := h.createLead(h.manager, record{"firstName": "Ana", "lastName": "Lopez", "email": "ana@bistro.example", "assignedTo": "rep@example.com"})
	mgr := h.session("manager@example.com")

	status, doc := mgr.get("/mail/templates")
	if status != http.StatusOK || doc.Find("#template-welcome_qualified_lead code.chip").Length() != 2 {
		t.Fatalf("the list: %d, chips %d", status, doc.Find("#template-welcome_qualified_lead code.chip").Length())
	}
	if status, _ := h.session("rep@example.com").get("/mail/templates"); status != http.StatusForbidden {
		t.Fatalf("a rep reads the templates: %d", status)
	}

	mgr.get("/mail/templates/new")
	status, doc = mgr.post("/mail/templates", url.Values{"name": {"follow_up"}, "subject": {"About {{ companyName"}, "body": {"Hi"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(doc, "subject"), "not closed") ||
		doc.Find("#f-name").AttrOr("value", "") != "follow_up" {
		t.Fatalf("a bad subject: %d, %q", status, fieldError(doc, "subject"))
	}
	status, _ = mgr.post("/mail/templates", url.Values{"name": {"follow_up"}, "subject": {"About {{ companyName }}"}, "body": {"Hi {{ firstName }},\r\nthanks."}})
	if status != http.StatusSeeOther {
		t.Fatalf("create: %d", status)
	}
	_, doc = mgr.get("/mail/templates/follow_up")
	if !strings.Contains(doc.Find(".flash").Text(), "follow_up is saved") || doc.Find("#preview-record option").Length() < 2 {
		t.Fatalf("the new template's page: flash %q, %d records to preview with", doc.Find(".flash").Text(), doc.Find("#preview-record option").Length())
	}

	// Preview the text as typed, not saved, with the lead.
	status, doc = mgr.htmx("POST", "/mail/templates/follow_up/preview", url.Values{"record": {"lead:" + lead},
		"subject": {"About {{ lead.lastName }}"}, "body": {"Hi {{ firstName }}, from {{ companyName }}"}})
	if status != http.StatusOK || doc.Find("#preview-subject").Text() != "About Lopez" ||
		doc.Find("#preview-body").Text() != "Hi Ana, from [companyName]" || !strings.Contains(doc.Find("#preview-missing").Text(), "companyName") {
		t.Fatalf("preview: %d %q %q", status, doc.Find("#preview-subject").Text(), doc.Find("#preview-body").Text())
	}

	status, _ = mgr.post("/mail/templates/follow_up", url.Values{"version": {"1"}, "subject": {"About {{ companyName }}"}, "body": {"Hello {{ firstName }}."}})
	if status != http.StatusSeeOther {
		t.Fatalf("save: %d", status)
	}
	// The stale form of version 1 again: refused, what was typed kept.
	status, doc = mgr.post("/mail/templates/follow_up", url.Values{"version": {"1"}, "subject": {"Mine"}, "body": {"Mine too"}})
	if status != http.StatusConflict || !strings.Contains(doc.Find("#template-error").Text(), "since you opened version 1") ||
		doc.Find("#f-subject").AttrOr("value", "") != "Mine" {
		t.Fatalf("a stale save: %d %q", status, doc.Find("#template-error").Text())
	}
	_, doc = mgr.get("/mail/templates/follow_up")
	if doc.Find("#template-versions li").Length() != 2 {
		t.Fatalf("%d versions listed, want 2", doc.Find("#template-versions li").Length())
	}
	status, _ = mgr.post("/mail/templates/follow_up/restore/1", url.Values{"version": {"2"}})
	if status != http.StatusSeeOther {
		t.Fatalf("restore: %d", status)
	}
	var now mailTemplate
	h.must(http.StatusOK, h.manager, "GET", "/api/mail-templates/follow_up", nil, &now)
	if now.Version != 3 || now.Body != "Hi {{ firstName }},\nthanks." {
		t.Fatalf("after restoring version 1: %+v", now)
	}
	status, _ = mgr.post("/mail/templates/follow_up/delete", nil)
	if status != http.StatusSeeOther {
		t.Fatalf("delete: %d", status)
	}
	if status, _ := mgr.get("/mail/templates/follow_up"); status != http.StatusNotFound {
		t.Fatalf("a deleted template's page: %d", status)
	}
}

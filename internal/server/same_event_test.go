package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// Two enabled workflows started by the same event both run for each such event (leads got two welcome
// mails when three did): the API, the workflows list and the designer say so, and stop saying it once one
// is turned off.
func TestWorkflowsStartedByTheSameEventAreNamed(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	welcome := h.createWorkflow(withTrigger(def("Welcome qualified leads", setVar("a", "x", 1)), "event", map[string]any{"event": "lead_qualified"}))
	nurture := h.createWorkflow(withTrigger(def("Nurture qualified leads", setVar("b", "x", 1)), "event", map[string]any{"event": "lead_qualified"}))
	other := h.createWorkflow(withTrigger(def("Thank won deals", setVar("c", "x", 1)), "event", map[string]any{"event": "opportunity_won"}))

	same := func() map[string][]string {
		var list struct {
			Items []struct {
				ID        string
				SameEvent []struct{ ID, Name string } `json:"sameEvent"`
			}
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows", nil, &list)
		out := map[string][]string{}
		for _, w := range list.Items {
			for _, o := range w.SameEvent {
				out[w.ID] = append(out[w.ID], o.ID)
			}
		}
		return out
	}
	got := same()
	if len(got[welcome]) != 1 || got[welcome][0] != nurture || len(got[nurture]) != 1 || got[nurture][0] != welcome || len(got[other]) != 0 {
		t.Fatalf("sameEvent: %v", got)
	}
	mgr := h.session("manager@example.com")
	_, doc := mgr.get("/workflows")
	if text := doc.Find("#wf-" + welcome + " .same-event").Text(); !strings.Contains(text, "lead_qualified also starts") || !strings.Contains(text, "Nurture qualified leads") {
		t.Fatalf("the list says %q", text)
	}
	if doc.Find("#wf-"+other+" .same-event").Length() != 0 {
		t.Fatal("a workflow alone on its event is marked")
	}
	_, doc = mgr.get("/workflows/" + welcome + "/designer")
	if status := doc.Find("#designer-status").Text(); !strings.Contains(status, `"Nurture qualified leads"`) {
		t.Fatalf("the designer says %q", status)
	}

	h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+nurture+"/enabled", map[string]any{"enabled": false}, nil)
	if got := same(); len(got) != 0 {
		t.Fatalf("after turning one off, sameEvent: %v", got)
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The boxes of the canvas say what the server says: the designer page brings every step's summary, the
// check of an imported definition its steps', and the catalog the palette's new steps with theirs.
func TestDesignerBoxesAreSummarizedByTheServer(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	m := h.session("manager@example.com")
	_, doc := m.get("/workflows/" + wf + "/designer")
	var page map[string]app.StepSummary
	if err := json.Unmarshal([]byte(doc.Find("script#summaries").Text()), &page); err != nil {
		t.Fatalf("the page's summaries: %v", err)
	}
	var catalog app.Catalog
	if err := json.Unmarshal([]byte(doc.Find("script#catalog").Text()), &catalog); err != nil {
		t.Fatalf("the page's catalog: %v", err)
	}
	def, err := h.srv.App.GetDefinition(context.Background(), wf, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := app.SummarizeSteps(def, catalog.Actions)
	if len(want) != len(def.Steps) || !reflect.DeepEqual(page, want) {
		t.Fatalf("the page's summaries\n%v\nwant\n%v", page, want)
	}
	if want["wait_3_days"].Detail != "3 days" {
		t.Errorf("the delay's box says %q", want["wait_3_days"].Detail)
	}
	if d := catalog.NewSteps[workflow.StepDelay]; d.Summary.Detail != "1 day" || d.Type != workflow.StepDelay {
		t.Errorf("the palette's delay: %+v", d)
	}

	var checked struct {
		Problems  []app.Detail               `json:"problems"`
		Summaries map[string]app.StepSummary `json:"summaries"`
	}
	def.Steps[1].Configuration = map[string]any{"duration": 7200}
	if status, raw := m.designerJSON("POST", "/designer/check", map[string]any{"definition": def}, &checked); status != http.StatusOK {
		t.Fatalf("check: %d %s", status, raw)
	}
	if got := checked.Summaries[def.Steps[1].ID]; got != (app.StepSummary{Kind: "Delay", Detail: "2 hours"}) || len(checked.Summaries) != len(def.Steps) {
		t.Fatalf("the check's summaries: %v", checked.Summaries)
	}
}

package app

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
)

// The branches of GET /api/executions/{id} keep the JSON they had when the API returned the engine's
// branches: every field, named the same, with the same values.
func TestBranchViewsKeepTheAPIShape(t *testing.T) {
	wake := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	b := engine.Branch{ID: 2, Step: "wait_3_days", State: engine.BranchWaiting, Phase: "running", Wait: engine.WaitDelay,
		WakeAt: &wake, Attempt: 1, Activation: 3, Frame: 1, TaskID: "task-1", EnteredAt: wake.Add(-time.Hour),
		Note: "woken early", InfraRetries: 2}
	want, err := json.Marshal([]engine.Branch{b})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(branchViews([]engine.Branch{b}))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("branches read\n%s\nwant\n%s", got, want)
	}
	// A field added to the engine's branch must be decided on here: shown (added to BranchView) or not.
	if n, m := reflect.TypeOf(engine.Branch{}).NumField(), reflect.TypeOf(BranchView{}).NumField(); n != m {
		t.Fatalf("engine.Branch has %d fields and BranchView %d: map the new one in branchViews", n, m)
	}
	if got, _ := json.Marshal(branchViews(nil)); string(got) != "[]" {
		t.Fatalf("no branches read %s, want []", got)
	}
}

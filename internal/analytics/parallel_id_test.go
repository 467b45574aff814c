package analytics

import (
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A parallel step made from steps with long ids still has an id within the id rule.
func TestParallelStepIDKeepsToTheIDRule(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("enrich_the_lead_", 4)[:60]
	def := &workflow.Definition{Steps: []workflow.Step{{ID: long}, {ID: "parallel_" + long[:51]}}}
	id := parallelStepID(def, []string{long})
	if problem := workflow.CheckID("the id", id); problem != "" || id == def.Steps[1].ID {
		t.Fatalf("parallelStepID = %q (%d characters): %s", id, len(id), problem)
	}
}

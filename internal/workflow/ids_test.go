package workflow_test

import (
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Workflow and step ids are short words: what every example, template and generated id already is, and
// nothing of 5,000 characters.
func TestIDRules(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", workflow.MaxIDLength+1)
	max := strings.Repeat("a", workflow.MaxIDLength)
	tests := []struct {
		name   string
		mutate func(d *workflow.Definition)
		want   []wantProblem
	}{
		{"the longest workflow id", func(d *workflow.Definition) { d.ID = max }, nil},
		{"digits, _ and - in ids", func(d *workflow.Definition) { d.ID = "2026-lead_nurture" }, nil},
		{"a workflow id one too long", func(d *workflow.Definition) { d.ID = long },
			[]wantProblem{{"id", "the id is 65 characters long; use " + workflow.IDRule}}},
		{"a workflow id of 5,000 characters", func(d *workflow.Definition) { d.ID = strings.Repeat("x", 5000) },
			[]wantProblem{{"id", "the id is 5000 characters long"}}},
		{"a workflow id with a slash", func(d *workflow.Definition) { d.ID = "a/b" },
			[]wantProblem{{"id", `the id "a/b" may only hold letters, digits, _ and -`}}},
		{"a workflow id starting with -", func(d *workflow.Definition) { d.ID = "-x" },
			[]wantProblem{{"id", "must start with a letter or digit"}}},
		{"a workflow id in other letters", func(d *workflow.Definition) { d.ID = strings.Repeat("é", 65) },
			[]wantProblem{{"id", "the id is 65 characters long"}}},
		{"the longest step id", func(d *workflow.Definition) { renameStep(d, iWait, max) }, nil},
		{"a step id one too long", func(d *workflow.Definition) { renameStep(d, iWait, long) },
			[]wantProblem{{"steps[6].id", "the step id is 65 characters long; use " + workflow.IDRule}}},
		{"a step id starting with _", func(d *workflow.Definition) { renameStep(d, iWait, "_wait") },
			[]wantProblem{{"steps[6].id", `the step id "_wait" may only hold letters, digits, _ and -, and must start with a letter or digit`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := base(t)
			tt.mutate(d)
			checkProblems(t, workflow.Validate(d, setup(t)), tt.want)
		})
	}
}

// renameStep gives step i a new id and points its predecessors in baseJSON (mail and fan_out lead to wait)
// at it.
func renameStep(d *workflow.Definition, i int, id string) {
	d.Steps[i].ID = id
	d.Steps[iMail].NextSteps = []string{id}
	d.Steps[iFanOut].NextSteps = []string{id}
}

func TestCheckID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"lead_nurture_sequence": "",
		"a":                     "",
		"":                      "the id is empty",
		"lead nurture":          `the id "lead nurture" may only hold`,
		"lead\x00":              `the id "lead\x00" may only hold`,
	} {
		got := workflow.CheckID("the id", id)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckID(%q) = %q, want %q", id, got, want)
		}
	}
}

package workflow_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// examplesDir holds the shared example workflows, relative to this package's directory.
const examplesDir = "../../examples"

// emailTemplates are the templates the examples use; any other name does not exist.
var emailTemplates = map[string]bool{
	"welcome_qualified_lead": true,
	"followup_engaged_lead":  true,
	"proposal":               true,
	"demo_followup":          true,
}

// newEnv builds the real validation environment: the built-in actions, the expr-lang engine and a fake clock.
func newEnv() engine.Environment {
	clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	expr := expression.New(clk, expression.Limits{})
	reg := actions.NewRegistry(actions.Builtin(actions.Deps{Expr: expr, NewID: func() string { return "id" }})...)
	return engine.Environment{
		Actions:   reg,
		Expr:      expr,
		Clock:     clk,
		Templates: func(n string) bool { return emailTemplates[n] },
	}
}

func setup(t *testing.T) engine.Environment {
	t.Helper()
	return newEnv()
}

// decode decodes a definition that must be well-formed JSON.
func decode(t *testing.T, src string) *workflow.Definition {
	t.Helper()
	def, err := workflow.Decode([]byte(src))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return def
}

// readExample decodes one of the shared example files.
func readExample(t *testing.T, name string) *workflow.Definition {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir, name))
	if err != nil {
		t.Fatalf("reading example %s: %v", name, err)
	}
	def, err := workflow.Decode(data)
	if err != nil {
		t.Fatalf("decoding example %s: %v", name, err)
	}
	return def
}

// wantProblem is one expected problem: its exact path and a distinctive part of its message.
type wantProblem struct {
	path string
	msg  string
}

// checkProblems asserts that got holds exactly the wanted problems, in order.
func checkProblems(t *testing.T, got workflow.Problems, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problem(s), want %d:\n%s", len(got), len(want), listProblems(got))
	}
	for i, w := range want {
		if got[i].Path != w.path {
			t.Fatalf("problem %d: path %q, want %q\n%s", i, got[i].Path, w.path, listProblems(got))
		}
		if !strings.Contains(got[i].Message, w.msg) {
			t.Fatalf("problem %d at %s: message %q does not contain %q", i, got[i].Path, got[i].Message, w.msg)
		}
	}
}

func listProblems(ps workflow.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.Path + " [" + p.StepID + "]: " + p.Message + "\n")
	}
	return b.String()
}

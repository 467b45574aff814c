package workflow_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/examples"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// normalise is JSON with its keys sorted and its numbers as JSON writes them: both sides of a round trip go
// through it, so only what the JSON says counts, not how it was spaced.
func normalise(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	out, err := json.Marshal(generic) // encoding/json writes map keys sorted
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(out)
}

// definitionSource is one definition found somewhere: its name (file and place) and its JSON.
type definitionSource struct {
	name string
	data []byte
}

// shippedDefinitions are every example and gallery template, and the seed's examples as the seed writes them.
func shippedDefinitions(t *testing.T) []definitionSource {
	t.Helper()
	var out []definitionSource
	err := fs.WalkDir(examples.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := fs.ReadFile(examples.FS, path)
		out = append(out, definitionSource{"examples/" + path, b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// moduleRoot is the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// testDefinitions are the definitions the repository's tests write as string literals: every literal of any
// _test.go file that is a JSON object with steps (literals with fmt verbs in them are not JSON and are left
// out; the files under testdata/ are read whole).
func testDefinitions(t *testing.T) []definitionSource {
	t.Helper()
	root := moduleRoot(t)
	var out []definitionSource
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if strings.Contains(rel, "testdata"+string(filepath.Separator)) && strings.HasSuffix(path, ".json") {
			b, err := os.ReadFile(path)
			if err == nil && isDefinition(b) {
				out = append(out, definitionSource{rel, b})
			}
			return err
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && isDefinition([]byte(s)) {
				out = append(out, definitionSource{rel + ":" + strconv.Itoa(fset.Position(lit.Pos()).Line), []byte(s)})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isDefinition(b []byte) bool {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, ok := m["steps"].([]any)
	return ok
}

// roundTripConfigurations checks every step configuration of a definition, read as plain JSON, through its
// typed form: decoded, encoded, and equal to what it was.
func roundTripConfigurations(t *testing.T, src definitionSource) {
	t.Helper()
	var doc struct {
		Steps []struct {
			Type          string         `json:"type"`
			Configuration map[string]any `json:"configuration"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(src.data, &doc); err != nil {
		t.Fatalf("%s: %v", src.name, err)
	}
	for i, s := range doc.Steps {
		typed := workflow.DecodeConfig(s.Type, s.Configuration)
		if got, want := normalise(t, workflow.ConfigMap(typed)), normalise(t, s.Configuration); got != want {
			t.Errorf("%s: steps[%d] (%s) does not round-trip through %T:\n got  %s\n want %s", src.name, i, s.Type, typed, got, want)
		}
	}
}

// TestEveryDefinitionRoundTripsThroughTheTypedConfiguration reads every shipped and every test definition
// into the typed configuration and back: each step configuration, and each definition as a whole, is the JSON
// it was.
func TestEveryDefinitionRoundTripsThroughTheTypedConfiguration(t *testing.T) {
	t.Parallel()
	shipped := shippedDefinitions(t)
	tests := testDefinitions(t)
	if len(shipped) < 8 {
		t.Fatalf("found %d shipped definitions; the examples, the gallery and the seed's two are more", len(shipped))
	}
	if len(tests) < 15 {
		t.Fatalf("found %d definitions in the tests; the finder lost them", len(tests))
	}
	for _, src := range append(shipped, tests...) {
		roundTripConfigurations(t, src)
		def, err := workflow.Decode(src.data)
		if err != nil {
			continue // a test of decoding errors; its configurations were checked as plain JSON above
		}
		before := normalise(t, def)
		for i := range def.Steps {
			def.Steps[i].SetConfig(def.Steps[i].Config())
		}
		if after := normalise(t, def); after != before {
			t.Errorf("%s: the definition changed through the typed configuration:\n got  %s\n want %s", src.name, after, before)
		}
	}
	t.Logf("%d shipped definitions, %d from tests", len(shipped), len(tests))
}

// The shipped definitions that are valid are read by the typed fields alone: nothing is left over in Extra and
// no value misfits its field, so the typed form, not a copy of the JSON, is what the round trip writes back.
func TestShippedDefinitionsFitTheTypedConfiguration(t *testing.T) {
	t.Parallel()
	env := newEnv()
	checked := 0
	for _, src := range shippedDefinitions(t) {
		if strings.Contains(src.name, "seed-verbatim") {
			continue
		}
		def, err := workflow.Decode(src.data)
		if err != nil {
			t.Fatalf("%s: %v", src.name, err)
		}
		plan := workflow.Outline(def)
		if !strings.Contains(src.name, "gallery") { // the gallery's CRM actions need the CRM to compile
			var problems workflow.Problems
			if plan, problems = workflow.Compile(def, env); len(problems) > 0 {
				t.Fatalf("%s: %v", src.name, problems)
			}
		}
		for _, s := range def.Steps {
			checked++
			cfg := plan.Step(s.ID).Config
			leftOver(t, src.name+" "+s.ID, cfg, s.Configuration)
			if a, ok := cfg.(*workflow.ActionConfig); ok {
				params, _ := s.Configuration["parameters"].(map[string]any)
				if a.Parameters == nil || a.Parameters.ActionName() != a.Action {
					t.Errorf("%s %s: parameters typed as %T for %s", src.name, s.ID, a.Parameters, a.Action)
				}
				if _, other := a.Parameters.(*workflow.OtherParams); other {
					t.Errorf("%s %s: action %s has no typed parameters", src.name, s.ID, a.Action)
				}
				leftOver(t, src.name+" "+s.ID+" parameters", a.Parameters, params)
			}
			if h, ok := cfg.(*workflow.HumanTaskConfig); ok {
				for j := range h.FormFields {
					if len(h.FormFields[j].Extra) > 0 {
						t.Errorf("%s %s: form field %d has unknown keys %v", src.name, s.ID, j, h.FormFields[j].Unknown())
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d steps", checked)
	}
}

type restful interface {
	Has(string) bool
	Misfit(string) (any, bool)
	Unknown() []string
}

func leftOver(t *testing.T, where string, typed restful, m map[string]any) {
	t.Helper()
	if u := typed.Unknown(); len(u) > 0 {
		t.Errorf("%s: unknown keys %v", where, u)
	}
	for k := range m {
		if !typed.Has(k) {
			t.Errorf("%s: key %q was not read", where, k)
		}
		if raw, bad := typed.Misfit(k); bad {
			t.Errorf("%s: %q = %v does not fit its field", where, k, raw)
		}
	}
}

// What the typed configuration does not know, and values of the wrong type, survive a round trip; dropping
// them would fail it.
func TestUnknownAndMisfitKeysSurviveTheRoundTrip(t *testing.T) {
	t.Parallel()
	src := `{"name": "Keep", "trigger": {"type": "manual"}, "steps": [
	  {"id": "a", "name": "A", "type": "action", "configuration": {"action": "call_api", "comment": "kept",
	    "parameters": {"url": "https://api.example.com", "timeout": 5, "retryBudget": {"max": 3}, "method": 7}},
	   "nextSteps": ["b"]},
	  {"id": "b", "name": "B", "type": "condition", "configuration": {"condition": "x == 1", "trueSteps": ["c", 4],
	    "falseSteps": [], "note": null}},
	  {"id": "c", "name": "C", "type": "human_task", "configuration": {"assignee": "a@example.com", "title": "T",
	    "description": "", "dueDate": null, "formFields": [{"name": "x", "type": "text", "placeholder": "kept"}, "junk"]}},
	  {"id": "d", "name": "D", "type": "delay", "configuration": {"duration": "3 days", "color": "red"}},
	  {"id": "e", "name": "E", "type": "parallel", "configuration": {"parallelSteps": "a", "join": "all"}},
	  {"id": "f", "name": "F", "type": "action", "configuration": {"action": "set_variable", "parameters": "oops"}},
	  {"id": "g", "name": "G", "type": "loop", "configuration": {"over": "items"}}
	]}`
	roundTripConfigurations(t, definitionSource{"unknown fields", []byte(src)})

	def := decode(t, src)
	a := def.Steps[0].Config().(*workflow.ActionConfig)
	p, ok := a.Parameters.(*workflow.CallAPIParams)
	if !ok || p.URL != "https://api.example.com" || p.Timeout != 5.0 || a.Extra["comment"] != "kept" {
		t.Fatalf("call_api typed as %#v, %#v", a, a.Parameters)
	}
	if _, bad := p.Misfit("method"); !bad || p.Method != "" || len(p.Unknown()) != 1 {
		t.Fatalf("a number for the method must be kept as written, apart from the typed text: %#v", p)
	}
	// Without Extra the round trip loses the keys: the check above is what notices.
	p.Extra = nil
	if got := workflow.ParamsMap(p); got["retryBudget"] != nil {
		t.Fatalf("Extra was not where the unknown parameter was kept: %v", got)
	}
	h := def.Steps[2].Config().(*workflow.HumanTaskConfig)
	if len(h.FormFields) != 1 || h.FormFields[0].Extra["placeholder"] != "kept" || !h.Has("description") {
		t.Fatalf("human task typed as %#v", h)
	}
	c := def.Steps[1].Config().(*workflow.ConditionConfig)
	if len(c.TrueSteps) != 1 || c.TrueSteps[0] != "c" || c.FalseSteps == nil {
		t.Fatalf("condition typed as %#v", c)
	}

	// A change to a typed field is written; the rest stays as it was.
	c.TrueSteps = []string{"d"}
	c.Unset("falseSteps")
	c.FalseSteps = nil
	def.Steps[1].SetConfig(c)
	got, _ := json.Marshal(def.Steps[1].Configuration)
	if want := `{"condition":"x == 1","note":null,"trueSteps":["d"]}`; !bytes.Equal(got, []byte(want)) {
		t.Fatalf("changed condition: %s, want %s", got, want)
	}
}

// The keys each step type knows are the seed's, in its order, and then the ones later issues added (issue 13:
// a human task's SLA and team assignment; issue 15: the working calendar a delay counts in).
func TestConfigKeysAreTheSeeds(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		workflow.StepAction:    "action parameters",
		workflow.StepCondition: "condition trueSteps falseSteps",
		workflow.StepParallel:  "parallelSteps",
		workflow.StepHumanTask: "assignee title description dueDate formFields" + " due assignment reminders escalation delegation",
		workflow.StepDelay:     "duration until" + " calendar",
	}
	types := make([]string, 0, len(want))
	for k := range want {
		types = append(types, k)
	}
	sort.Strings(types)
	for _, typ := range types {
		if got := strings.Join(workflow.ConfigKeys(typ), " "); got != want[typ] {
			t.Errorf("%s knows %q, want %q", typ, got, want[typ])
		}
	}
}

package expression

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestParseValueRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // JSON of the rendered value
	}{
		{"scalar literals", `[1, true, null, "plain"]`, `[1,true,null,"plain"]`},
		{"root string", `"Hi {{ lead.firstName }}"`, `"Hi Ada"`},
		{
			"email action",
			`{"recipient": "{{lead.email}}", "subject": "Hello {{lead.firstName}}", "retries": 3,
			  "data": {"company": "{{ lead.company }}", "score": "{{ lead.score }}"},
			  "headers": ["X-Lead: {{ lead.score }}", "static"]}`,
			`{"data":{"company":{"name":"Analytical Engines","size":12},"score":3},` +
				`"headers":["X-Lead: 3","static"],"recipient":"ada@example.com","retries":3,"subject":"Hello Ada"}`,
		},
		{"nested lists", `[[ "{{ score }}" ]]`, `[[7]]`},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vt, errs := e.ParseValue(decodeJSON(t, tc.in), templateNames)
			if len(errs) > 0 {
				t.Fatalf("ParseValue: %v", errs)
			}
			got, err := vt.Render(context.Background(), templateVars())
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if string(b) != tc.want {
				t.Fatalf("Render = %s, want %s", b, tc.want)
			}
		})
	}
}

func TestParseValueErrors(t *testing.T) {
	t.Parallel()
	in := `{
		"data": {"firstName": "{{ lead.frstName ", "ok": "{{ lead.firstName }}", "first name": "{{ nope }}"},
		"headers": ["a", "b", "X: {{ bogus }}"],
		"recipient": "{{ lead.email }}"
	}`
	_, errs := newTestEngine().ParseValue(decodeJSON(t, in), templateNames)
	want := []struct {
		path string
		pos  int
		msg  string
	}{
		{`data["first name"]`, 4, `unknown name "nope"`},
		{"data.firstName", 1, "{{ is not closed"},
		{"headers[2]", 7, `unknown name "bogus"`},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(want))
	}
	for i, w := range want {
		got := errs[i]
		if got.Path != w.path || got.Err.Position != w.pos || !strings.Contains(got.Err.Message, w.msg) {
			t.Fatalf("error %d = %q at %d: %q; want %q at %d: %q", i, got.Path, got.Err.Position, got.Err.Message, w.path, w.pos, w.msg)
		}
		if !strings.HasPrefix(got.Error(), w.path+": ") {
			t.Fatalf("PathError.Error() = %q, want prefix %q", got.Error(), w.path)
		}
	}
}

func TestValueRenderErrorHasPath(t *testing.T) {
	t.Parallel()
	vt, errs := newTestEngine().ParseValue(decodeJSON(t, `{"due": ["{{ date(lead.dueAt) }}"]}`), templateNames)
	if len(errs) > 0 {
		t.Fatalf("ParseValue: %v", errs)
	}
	_, err := vt.Render(context.Background(), map[string]any{})
	if err == nil || !strings.HasPrefix(err.Error(), "due[0]: ") || !strings.Contains(err.Error(), "the value is empty") {
		t.Fatalf("Render error = %v, want due[0]: ... the value is empty", err)
	}
}

func TestValueRefs(t *testing.T) {
	t.Parallel()
	in := `{"a": "{{ steps.crm.id }} {{ lead.email }}", "b": ["{{ score }}", {"c": "{{ steps.ai.text }}{{ lead.x }}"}], "d": "plain"}`
	vt, errs := newTestEngine().ParseValue(decodeJSON(t, in), templateNames)
	if len(errs) > 0 {
		t.Fatalf("ParseValue: %v", errs)
	}
	if got, want := fmt.Sprint(vt.Names()), "[lead score]"; got != want {
		t.Fatalf("Names() = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(vt.StepRefs()), "[ai crm]"; got != want {
		t.Fatalf("StepRefs() = %s, want %s", got, want)
	}
}

func TestRenderDoesNotShareState(t *testing.T) {
	t.Parallel()
	in := map[string]any{"list": []any{"{{ score }}"}, "obj": map[string]any{"k": "v"}}
	vt, errs := newTestEngine().ParseValue(in, templateNames)
	if len(errs) > 0 {
		t.Fatalf("ParseValue: %v", errs)
	}
	first, err := vt.Render(context.Background(), map[string]any{"score": 1})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	first.(map[string]any)["obj"].(map[string]any)["k"] = "changed"
	second, err := vt.Render(context.Background(), map[string]any{"score": 2})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if got := fmt.Sprint(second); got != "map[list:[2] obj:map[k:v]]" {
		t.Fatalf("second Render = %s", got)
	}
	if in["list"].([]any)[0] != "{{ score }}" {
		t.Fatalf("input was modified: %v", in)
	}
}

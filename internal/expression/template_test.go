package expression

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

var templateNames = []string{"lead", "deal", "score"}

func templateVars() map[string]any {
	return map[string]any{
		"lead": map[string]any{
			"email":     "ada@example.com",
			"firstName": "Ada",
			"company":   map[string]any{"name": "Analytical Engines", "size": float64(12)},
			"tags":      []any{"vip"},
			"score":     float64(3),
			"ratio":     2.5,
			"createdAt": time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		},
		"score": 7,
		"steps": map[string]any{"enrich": map[string]any{"industry": "Software"}},
	}
}

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want any
	}{
		{"literal", "Hello there", "Hello there"},
		{"empty", "", ""},
		{"whole string", "{{lead.email}}", "ada@example.com"},
		{"whole with spaces", "{{  lead.email  }}", "ada@example.com"},
		{"whole object is raw", "{{ lead.company }}", map[string]any{"name": "Analytical Engines", "size": float64(12)}},
		{"whole number is raw", "{{ lead.score }}", float64(3)},
		{"whole bool is raw", "{{ score > 5 }}", true},
		{"whole nil is raw", "{{ lead.missing.deep }}", nil},
		{"whole int is raw", "{{ score }}", 7},
		{"surrounding space makes text", " {{ lead.score }}", " 3"},
		{"mixed", "Hello {{lead.firstName}}!", "Hello Ada!"},
		{"mixed two segments", "{{lead.firstName}} <{{ lead.email }}>", "Ada <ada@example.com>"},
		{"mixed nil is empty", "Hi {{ lead.middleName }}.", "Hi ."},
		{"mixed whole float", "Score: {{ lead.score }}", "Score: 3"},
		{"mixed fraction float", "Ratio: {{ lead.ratio }}", "Ratio: 2.5"},
		{"mixed int", "n={{ score }}", "n=7"},
		{"mixed bool", "vip={{ 'vip' in lead.tags }}", "vip=true"},
		{"mixed time is RFC3339", "since {{ lead.createdAt }}", "since 2026-03-01T09:30:00Z"},
		{"mixed now", "at {{ now() }}", "at 2026-03-15T12:00:00Z"},
		{"mixed map is JSON", "c={{ lead.company }}", `c={"name":"Analytical Engines","size":12}`},
		{"mixed list is JSON", "t={{ lead.tags }}", `t=["vip"]`},
		{"steps", "Industry: {{ steps.enrich.industry }}", "Industry: Software"},
		{"map literal with braces", `{{ {"a": {"b": 1}} }}`, map[string]any{"a": map[string]any{"b": 1}}},
		{"string with braces", `x{{ "}}" + lead.firstName }}y`, "x}}Aday"},
		{"stray closing braces are text", "a }} b", "a }} b"},
		{"strict equality in template", "{{ lead.firstName === 'Ada' ? 'yes' : 'no' }}", "yes"},
		{"non-ASCII text", "Grüße {{ lead.firstName }}", "Grüße Ada"},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := e.ParseTemplate(tc.src, templateNames)
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", tc.src, err)
			}
			got, err := tmpl.Render(context.Background(), templateVars())
			if err != nil {
				t.Fatalf("Render(%q): %v", tc.src, err)
			}
			if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", tc.want, tc.want) {
				t.Fatalf("Render(%q) = %T %v, want %T %v", tc.src, got, got, tc.want, tc.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		src         string
		limits      Limits
		wantPos     int
		wantMessage string
	}{
		{"unknown name in segment", "Hi {{ nextSteps }}", Limits{}, 7, `unknown name "nextSteps"`},
		{"unknown name in second segment", "{{lead.email}} and {{ foo }}", Limits{}, 23, `unknown name "foo"`},
		{"unknown name after non-ASCII", "Grüße {{ nme }}", Limits{}, 10, `unknown name "nme"`},
		{"unterminated", "Hello {{ lead.firstName", Limits{}, 7, "{{ is not closed"},
		{"unterminated after a good segment", "{{ lead.email }} {{", Limits{}, 18, "{{ is not closed"},
		{"unterminated string inside", `{{ "abc }}`, Limits{}, 1, "{{ is not closed"},
		{"empty segment", "Hello {{ }}", Limits{}, 7, "{{ }} is empty"},
		{"empty segment no space", "{{}}", Limits{}, 1, "{{ }} is empty"},
		{"js date in segment", "Due {{ new Date() }}", Limits{}, 8, "new Date()"},
		{"syntax error", "x {{ lead. }}", Limits{}, 0, "unexpected end"},
		{"syntax error position", "x {{ lead.email = 1 }}", Limits{}, 17, `unexpected "=" here`},
		{"segment length limit", "ok {{ " + strings.Repeat("1", 30) + " }}", Limits{MaxLength: 10}, 16, "characters long; the limit is 10"},
		{"segment node limit", "{{ " + strings.Repeat("1+", 20) + "1 }}", Limits{MaxNodes: 10}, 0, "too complex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := New(fakeClock{t: testNow}, tc.limits)
			_, err := e.ParseTemplate(tc.src, templateNames)
			if err == nil {
				t.Fatalf("ParseTemplate(%q) succeeded, want error", tc.src)
			}
			got := asError(t, err)
			if tc.wantPos != 0 && got.Position != tc.wantPos {
				t.Fatalf("ParseTemplate(%q) position = %d, want %d (%v)", tc.src, got.Position, tc.wantPos, got)
			}
			if !strings.Contains(got.Message, tc.wantMessage) {
				t.Fatalf("ParseTemplate(%q) message = %q, want it to contain %q", tc.src, got.Message, tc.wantMessage)
			}
			if got.Source != tc.src {
				t.Fatalf("ParseTemplate(%q) error source = %q", tc.src, got.Source)
			}
		})
	}
}

func TestTemplateRenderError(t *testing.T) {
	t.Parallel()
	const src = "Since {{ date(lead.createdAt) }}"
	tmpl, err := newTestEngine().ParseTemplate(src, templateNames)
	if err != nil {
		t.Fatalf("ParseTemplate: %v", err)
	}
	_, err = tmpl.Render(context.Background(), map[string]any{"lead": map[string]any{}})
	if err == nil {
		t.Fatalf("Render succeeded, want error")
	}
	got := asError(t, err)
	if got.Message != "date(): the value is empty" {
		t.Fatalf("message = %q", got.Message)
	}
	if got.Position != 10 || got.Source != src {
		t.Fatalf("position = %d, source = %q; want 10 in the template", got.Position, got.Source)
	}
	if !strings.Contains(err.Error(), "date(lead.createdAt)") {
		t.Fatalf("error %q does not name the expression", err)
	}
}

func TestTemplateRefs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src         string
		wantLiteral bool
		wantNames   []string
		wantSteps   []string
	}{
		{"plain text", true, nil, nil},
		{"a }} b {", true, nil, nil},
		{"{{ now() }}", false, nil, nil},
		{"{{ score }} {{ lead.email }} {{ score }}", false, []string{"lead", "score"}, nil},
		{"{{ steps.b.x }}{{ steps.a.y }}{{ deal.id }}{{ steps.b.z }}", false, []string{"deal"}, []string{"a", "b"}},
	}
	e := newTestEngine()
	for _, tc := range tests {
		tmpl, err := e.ParseTemplate(tc.src, templateNames)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tc.src, err)
		}
		if tmpl.IsLiteral() != tc.wantLiteral {
			t.Fatalf("IsLiteral(%q) = %v", tc.src, tmpl.IsLiteral())
		}
		if !equalStrings(tmpl.Names(), tc.wantNames) {
			t.Fatalf("Names(%q) = %q, want %q", tc.src, tmpl.Names(), tc.wantNames)
		}
		if !equalStrings(tmpl.StepRefs(), tc.wantSteps) {
			t.Fatalf("StepRefs(%q) = %q, want %q", tc.src, tmpl.StepRefs(), tc.wantSteps)
		}
	}
}

func TestFormatText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"x", "x"},
		{float64(3), "3"},
		{3.25, "3.25"},
		{float64(1e21), "1000000000000000000000"},
		{-0.5, "-0.5"},
		{42, "42"},
		{int64(-7), "-7"},
		{uint8(9), "9"},
		{true, "true"},
		{90 * time.Minute, "1h30m0s"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"},
		{map[string]any{"b": 1, "a": []any{"x", nil}}, `{"a":["x",null],"b":1}`},
		{[]any{1.5, "y"}, `[1.5,"y"]`},
		{[]string{"p"}, `["p"]`},
	}
	for _, tc := range tests {
		got, err := formatText(tc.in)
		if err != nil {
			t.Fatalf("formatText(%v): %v", tc.in, err)
		}
		if got != tc.want {
			t.Fatalf("formatText(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package expression

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

var conditionNames = []string{"lead", "nextAction", "score", "deal"}

func TestCompileAndRun(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"nextAction": "schedule_demo",
		"score":      float64(72),
		"lead": map[string]any{
			"email":           "ada@example.com",
			"firstName":       "Ada",
			"lastInteraction": "2026-03-14T09:00:00Z",
			"tags":            []any{"vip", "trial"},
			"company":         nil,
		},
		"steps": map[string]any{"enrich": map[string]any{"size": float64(250)}},
	}
	tests := []struct {
		name string
		src  string
		want any
	}{
		{"strict equals", `nextAction === "schedule_demo"`, true},
		{"strict not equals", `nextAction !== "schedule_demo"`, false},
		{"strict equals inside string is untouched", `"a===b" == "a" + "===" + "b"`, true},
		{"strict not equals inside string is untouched", `'x!==y' + nextAction`, "x!==yschedule_demo"},
		{"strict equals inside raw string is untouched", "`===` + \"!==\"", "===!=="},
		{"plain equals", `nextAction == "schedule_demo" && score > 50`, true},
		{"nil-safe member", `lead.company.name`, nil},
		{"nil-safe deep member", `lead.company.address.city.name`, nil},
		{"nil-safe missing variable member", `deal.owner.email`, nil},
		{"nil-safe index", `lead.company.contacts[0].email`, nil},
		{"nil-safe with default", `lead.company.name ?? "unknown"`, "unknown"},
		{"user optional chaining still works", `lead?.company?.name ?? "n/a"`, "n/a"},
		{"member access", `lead.firstName + " <" + lead.email + ">"`, "Ada <ada@example.com>"},
		{"index access", `lead.tags[0]`, "vip"},
		{"in operator", `"vip" in lead.tags`, true},
		{"contains operator", `lead.email contains "@example"`, true},
		{"startsWith operator", `lead.email startsWith "ada"`, true},
		{"steps", `steps.enrich.size > 100`, true},
		{"missing step is nil", `steps.missing.size`, nil},
		{"builtin len", `len(lead.tags)`, 2},
		{"builtin upper", `upper(lead.firstName)`, "ADA"},
		{"builtin filter", `count(lead.tags, # startsWith "v")`, 1},
		{"date comparison", `date(lead.lastInteraction) > now() - duration("72h")`, true},
		{"date comparison false", `date(lead.lastInteraction) > now() - duration("1h")`, false},
		{"daysSince", `daysSince(lead.lastInteraction) < 2`, true},
		{"method on time", `now().Year()`, 2026},
		{"let variable", `let s = score; s * 2`, float64(144)},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := e.Compile(tc.src, conditionNames)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			got, err := p.Run(context.Background(), vars)
			if err != nil {
				t.Fatalf("Run(%q): %v", tc.src, err)
			}
			if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", tc.want, tc.want) {
				t.Fatalf("Run(%q) = %T %v, want %T %v", tc.src, got, got, tc.want, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		src         string
		wantPos     int
		wantMessage string // substring
		wantHint    string // substring
	}{
		{
			name:        "unknown name after a condition",
			src:         `nextAction == "x" && foo > 1`,
			wantPos:     22,
			wantMessage: `unknown name "foo": it is not a declared variable`,
		},
		{
			name:        "unknown name inside a helper's arguments",
			src:         `daysSince(foo) > 3`,
			wantPos:     11,
			wantMessage: `unknown name "foo"`,
		},
		{
			name:        "unknown name inside date() in a comparison",
			src:         `lead.x != nil && date(lastSeen) > now()`,
			wantPos:     23,
			wantMessage: `unknown name "lastSeen"`,
		},
		{
			name:        "unknown name after strict equals keeps original position",
			src:         `nextAction === "x" && foo > 1`,
			wantPos:     23,
			wantMessage: `unknown name "foo"`,
		},
		{
			name:        "unknown name after two rewrites",
			src:         `score === 1 || score !== 2 || nextStep`,
			wantPos:     31,
			wantMessage: `unknown name "nextStep"`,
		},
		{
			name:        "unknown name after non-ASCII text counts characters",
			src:         `"héllo ✓" == lead.x && foo`,
			wantPos:     24,
			wantMessage: `unknown name "foo"`,
		},
		{
			name:        "single equals gets a hint",
			src:         `nextAction = "x"`,
			wantPos:     12,
			wantMessage: `unexpected "=" here`,
			wantHint:    "use == to compare",
		},
		{
			name:        "typo gets a suggestion",
			src:         `nextActon == "x"`,
			wantPos:     1,
			wantMessage: `unknown name "nextActon"`,
			wantHint:    "did you mean nextAction?",
		},
		{
			name:        "null gets a hint",
			src:         `lead.email == null`,
			wantPos:     15,
			wantMessage: `unknown name "null"`,
			wantHint:    "nil",
		},
		{
			name:        "unknown function",
			src:         `lowercase(lead.email) == "x"`,
			wantPos:     1,
			wantMessage: `unknown function "lowercase"`,
		},
		{
			name:        "disabled builtin",
			src:         `repeat("a", 1000)`,
			wantPos:     1,
			wantMessage: `function "repeat" is not available`,
		},
		{
			name:        "disabled predicate builtin",
			src:         `reduce(lead.tags, #acc + 1, 0)`,
			wantPos:     1,
			wantMessage: `function "reduce" is not available`,
		},
		{
			name:        "expr date builtin replaced, timezone gone",
			src:         `timezone("Europe/Paris")`,
			wantPos:     1,
			wantMessage: `function "timezone" is not available`,
		},
		{
			name:        "nil compared with a number",
			src:         `nil > 1`,
			wantPos:     5,
			wantMessage: "mismatched types",
		},
		{
			name:        "syntax error",
			src:         `score >`,
			wantMessage: "incomplete",
		},
		{
			name:        "empty",
			src:         "   ",
			wantMessage: "empty",
		},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Compile(tc.src, conditionNames)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want error", tc.src)
			}
			got := asError(t, err)
			if tc.wantPos != 0 && got.Position != tc.wantPos {
				t.Fatalf("Compile(%q) position = %d, want %d (%v)", tc.src, got.Position, tc.wantPos, got)
			}
			if !strings.Contains(got.Message, tc.wantMessage) {
				t.Fatalf("Compile(%q) message = %q, want it to contain %q", tc.src, got.Message, tc.wantMessage)
			}
			if !strings.Contains(got.Hint, tc.wantHint) {
				t.Fatalf("Compile(%q) hint = %q, want it to contain %q", tc.src, got.Hint, tc.wantHint)
			}
			if got.Source != tc.src {
				t.Fatalf("Compile(%q) error source = %q", tc.src, got.Source)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		src         string
		vars        map[string]any
		wantMessage string
		wantPos     int
	}{
		{
			name:        "nil greater than number",
			src:         `lead.score > 1`,
			vars:        map[string]any{"lead": map[string]any{}},
			wantMessage: "<nil> > int",
			wantPos:     12,
		},
		{
			name:        "missing variable compared",
			src:         `score !== 1 && score > 1`,
			vars:        map[string]any{"score": nil},
			wantMessage: "nil",
		},
		{
			name:        "lower of nil",
			src:         `lower(lead.name)`,
			vars:        map[string]any{},
			wantMessage: "empty (nil) where string was expected",
		},
		{
			name:        "date of nil",
			src:         `date(lead.lastInteraction) > now()`,
			vars:        map[string]any{"lead": map[string]any{}},
			wantMessage: "date(): the value is empty",
			wantPos:     1,
		},
		{
			name:        "date of empty string",
			src:         `date(lead.lastInteraction)`,
			vars:        map[string]any{"lead": map[string]any{"lastInteraction": ""}},
			wantMessage: "date(): the value is empty",
		},
		{
			name:        "date of garbage names the value",
			src:         `date(lead.lastInteraction)`,
			vars:        map[string]any{"lead": map[string]any{"lastInteraction": "last tuesday"}},
			wantMessage: `"last tuesday" is not a date`,
		},
		{
			name:        "index out of range",
			src:         `lead.tags[3]`,
			vars:        map[string]any{"lead": map[string]any{"tags": []any{}}},
			wantMessage: "index out of range",
		},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := e.Compile(tc.src, conditionNames)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			_, err = p.Run(context.Background(), tc.vars)
			if err == nil {
				t.Fatalf("Run(%q) succeeded, want error", tc.src)
			}
			if !strings.Contains(err.Error(), tc.src) {
				t.Fatalf("Run(%q) error %q does not name the expression", tc.src, err)
			}
			got := asError(t, err)
			if !strings.Contains(got.Message, tc.wantMessage) {
				t.Fatalf("Run(%q) message = %q, want it to contain %q", tc.src, got.Message, tc.wantMessage)
			}
			if tc.wantPos != 0 && got.Position != tc.wantPos {
				t.Fatalf("Run(%q) position = %d, want %d", tc.src, got.Position, tc.wantPos)
			}
		})
	}
}

func TestCompileBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		src        string
		vars       map[string]any
		want       bool
		compileErr string
		runErr     string
	}{
		{name: "true", src: `nextAction === "schedule_demo"`, vars: map[string]any{"nextAction": "schedule_demo"}, want: true},
		{name: "false", src: `score > 50`, vars: map[string]any{"score": 10}, want: false},
		{name: "static number", src: `1 + 2`, compileErr: "gives a number"},
		{name: "static text", src: `lower("A")`, compileErr: "gives text"},
		{name: "dynamic string", src: `nextAction`, vars: map[string]any{"nextAction": "call"}, runErr: `gave text ("call")`},
		{name: "dynamic nil", src: `lead.flag`, vars: map[string]any{}, runErr: "gave nothing (nil)"},
		{name: "dynamic number", src: `score`, vars: map[string]any{"score": float64(3)}, runErr: "gave a number (3)"},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := e.CompileBool(tc.src, conditionNames)
			if tc.compileErr != "" {
				if err == nil || !strings.Contains(asError(t, err).Message, tc.compileErr) {
					t.Fatalf("CompileBool(%q) error = %v, want %q", tc.src, err, tc.compileErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CompileBool(%q): %v", tc.src, err)
			}
			got, err := p.Run(context.Background(), tc.vars)
			if tc.runErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.runErr) {
					t.Fatalf("Run(%q) error = %v, want %q", tc.src, err, tc.runErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run(%q): %v", tc.src, err)
			}
			if got != tc.want {
				t.Fatalf("Run(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		limits      Limits
		src         string
		wantMessage string
		wantPos     int
	}{
		{
			name:        "default length limit",
			src:         "score > " + strings.Repeat("1", 2000),
			wantMessage: "expression is 2008 characters long; the limit is 2000",
			wantPos:     2001,
		},
		{
			name:        "custom length limit counts characters, not bytes",
			limits:      Limits{MaxLength: 5},
			src:         `"ééé"` + "+1",
			wantMessage: "expression is 7 characters long; the limit is 5",
			wantPos:     6,
		},
		{
			name:        "default node limit",
			limits:      Limits{MaxLength: 100_000},
			src:         strings.Repeat("score + ", 1500) + "1",
			wantMessage: "too complex",
		},
		{
			name:        "custom node limit",
			limits:      Limits{MaxNodes: 5},
			src:         "score + score + score + score",
			wantMessage: "more than 5 parts",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := New(fakeClock{t: testNow}, tc.limits)
			_, err := e.Compile(tc.src, conditionNames)
			if err == nil {
				t.Fatalf("Compile succeeded, want error")
			}
			got := asError(t, err)
			if !strings.Contains(got.Message, tc.wantMessage) {
				t.Fatalf("message = %q, want it to contain %q", got.Message, tc.wantMessage)
			}
			if tc.wantPos != 0 && got.Position != tc.wantPos {
				t.Fatalf("position = %d, want %d", got.Position, tc.wantPos)
			}
		})
	}
}

func TestLimitsAllowNormalExpressions(t *testing.T) {
	t.Parallel()
	e := New(fakeClock{t: testNow}, Limits{MaxNodes: 5})
	if _, err := e.Compile("score + 1", conditionNames); err != nil {
		t.Fatalf("Compile: %v", err)
	}
}

func TestProgramRefs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		src       string
		wantNames []string
		wantSteps []string
	}{
		{"none", `1 + 2`, nil, nil},
		{"helpers are not names", `daysAgo(3) < now() && len("x") > 0`, nil, nil},
		{"sorted distinct", `score > 1 && lead.email != "" && score < 9 && deal.value > 0`, []string{"deal", "lead", "score"}, nil},
		{"steps", `steps.enrich.size > 1 && steps["send-mail"].ok && steps.enrich.x`, nil, []string{"enrich", "send-mail"}},
		{"dynamic step id is not a ref", `steps[nextAction]`, []string{"nextAction"}, nil},
		{"let variables are not names", `let x = 1; x + score`, []string{"score"}, nil},
		{"predicates", `all(lead.tags, # != "x") && any(deal.items, .price > score)`, []string{"deal", "lead", "score"}, nil},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := e.Compile(tc.src, conditionNames)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			if !equalStrings(p.Names(), tc.wantNames) {
				t.Fatalf("Names() = %q, want %q", p.Names(), tc.wantNames)
			}
			if !equalStrings(p.StepRefs(), tc.wantSteps) {
				t.Fatalf("StepRefs() = %q, want %q", p.StepRefs(), tc.wantSteps)
			}
			if p.Source() != tc.src {
				t.Fatalf("Source() = %q, want %q", p.Source(), tc.src)
			}
		})
	}
}

func TestConcurrentCompileAndRun(t *testing.T) {
	t.Parallel()
	e := newTestEngine()
	done := make(chan error)
	for i := range 8 {
		go func() {
			src := fmt.Sprintf(`lead.company.name ?? "none %d"`, i)
			p, err := e.Compile(src, conditionNames)
			if err != nil {
				done <- err
				return
			}
			got, err := p.Run(context.Background(), map[string]any{"lead": map[string]any{}})
			if err == nil && got != fmt.Sprintf("none %d", i) {
				err = fmt.Errorf("got %v", got)
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatalf("concurrent run: %v", err)
		}
	}
}

func TestNowUsesInjectedClockInUTC(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	e := New(fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, paris)}, Limits{})
	p, err := e.Compile(`now()`, nil)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got, err := p.Run(context.Background(), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC)
	if got != want {
		t.Fatalf("now() = %v, want %v", got, want)
	}
}

package expression

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// doublingTemplate is the 289-character set_variable value that took a server past 4 GB: each let makes a
// text ten times longer than the one before, up to ten billion letters.
const doublingTemplate = `{{ let a = "xxxxxxxxxx"; let b = a+a+a+a+a+a+a+a+a+a; let c = b+b+b+b+b+b+b+b+b+b; ` +
	`let d = c+c+c+c+c+c+c+c+c+c; let e = d+d+d+d+d+d+d+d+d+d; let f = e+e+e+e+e+e+e+e+e+e; ` +
	`let g = f+f+f+f+f+f+f+f+f+f; let h = g+g+g+g+g+g+g+g+g+g; let i = h+h+h+h+h+h+h+h+h+h; ` +
	`let j = i+i+i+i+i+i+i+i+i+i; len(j) }}`

// limitOf returns the budget that stopped an evaluation, failing the test when none did.
func limitOf(t *testing.T, err error) *LimitError {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("want the evaluation stopped by its budget, got %v", err)
	}
	var xe *Error
	if !errors.As(err, &xe) {
		t.Fatalf("a budget error must still be an *Error with the source and a position: %v", err)
	}
	return le
}

// heapGrowth runs fn and returns how far the live heap grew past where it started, sampled while fn runs.
func heapGrowth(t *testing.T, fn func()) uint64 {
	t.Helper()
	runtime.GC()
	var start runtime.MemStats
	runtime.ReadMemStats(&start)
	peak := start.HeapAlloc
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		max := peak
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > max {
				max = m.HeapAlloc
			}
			select {
			case <-done:
				sampled <- max
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	peak = <-sampled
	if peak < start.HeapAlloc {
		return 0
	}
	return peak - start.HeapAlloc
}

func ones(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// TestBudgetStopsAttacks runs the expressions a probe used against the server. Each must stop with the
// budget it exceeded, named in the message, without holding much memory. The time limit is set far off
// here, so that the limits that do not depend on the machine's speed are the ones tested (the time limit
// has its own test).
func TestBudgetStopsAttacks(t *testing.T) {
	t.Parallel()
	tenMB := strings.Repeat("x", 10<<20)
	halfMB := strings.Repeat("x", 512<<10)
	tests := []struct {
		name    string
		src     string // a template
		vars    map[string]any
		limit   string
		message string
	}{
		{"string doubling", doublingTemplate, nil, LimitValueSize, "larger than 1 MiB, the limit for one value"},
		{"nested loops over ranges", `{{ count(1..2500, count(1..2500, # > 0) > 0) }}`, nil, LimitWork,
			"more than 1,000,000 items"},
		{"nested loops over a list", `{{ count(list, count(list, # > 0) >= 5000) }}`,
			map[string]any{"list": ones(5000)}, LimitWork, "more than 1,000,000 items"},
		{"a loop over a 10 MB text", `{{ count(1..2500, len(upper(g)) > 0) }}`, map[string]any{"g": tenMB},
			LimitValueSize, "larger than 1 MiB"},
		{"a loop that only makes small texts", `{{ count(1..2500, len(upper(g)) > 0) }}`, map[string]any{"g": halfMB},
			LimitTotalSize, "more than 16 MiB of text and lists in all"},
		{"a 10 MB result of one value", `{{ g }}`, map[string]any{"g": tenMB}, LimitValueSize, "larger than 1 MiB"},
		{"a 10 MB result of mixed text", `Hi {{ g }} and {{ g }}`, map[string]any{"g": halfMB + halfMB[:1000]},
			LimitValueSize, "the text is larger than 1 MiB"},
		{"replace before every letter", `{{ replace(g, "", g) }}`, map[string]any{"g": strings.Repeat("x", 100_000)},
			LimitValueSize, "replace() would make a value larger than 1 MiB"},
		{"join a long list with a long separator", `{{ join(map(1..2000, "x"), g) }}`, map[string]any{"g": halfMB},
			LimitValueSize, "join() would make a value larger than 1 MiB"},
		{"split a text into letters", `{{ split(g, "") }}`, map[string]any{"g": halfMB}, LimitValueSize,
			"split() would make a value larger than 1 MiB"},
		{"a list of many copies", `{{ map(1..100000, g) }}`, map[string]any{"g": strings.Repeat("x", 1000)},
			LimitValueSize, "made a list larger than 1 MiB"},
		{"text made in a loop", `{{ map(1..5000, g + "y") }}`, map[string]any{"g": strings.Repeat("x", 5000)},
			LimitTotalSize, "more than 16 MiB"},
	}
	e := New(fakeClock{t: testNow}, Limits{Timeout: time.Minute})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names := make([]string, 0, len(tc.vars))
			for k := range tc.vars {
				names = append(names, k)
			}
			tmpl, err := e.ParseTemplate(tc.src, names)
			if err != nil {
				t.Fatalf("ParseTemplate: %v", err)
			}
			var took time.Duration
			grew := heapGrowth(t, func() {
				began := time.Now()
				_, err = tmpl.Render(context.Background(), tc.vars)
				took = time.Since(began)
			})
			le := limitOf(t, err)
			if le.Limit != tc.limit {
				t.Errorf("stopped by the %s limit, want %s: %v", le.Limit, tc.limit, err)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message %q does not say %q", err.Error(), tc.message)
			}
			if took > 10*time.Second {
				t.Errorf("took %s to stop", took)
			}
			if grew > 96<<20 {
				t.Errorf("the heap grew by %d MiB while it ran, want under 96 MiB", grew>>20)
			}
		})
	}
}

// TestBudgetDeadlineStopsSlowLoops: a loop that makes nothing but takes long stops at the time limit.
func TestBudgetDeadlineStopsSlowLoops(t *testing.T) {
	t.Parallel()
	e := New(fakeClock{t: testNow}, Limits{Timeout: 50 * time.Millisecond})
	p, err := e.CompileBool(`count(1..900000, indexOf(s, "y") >= 0) > 0`, []string{"s"})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err = p.Run(context.Background(), map[string]any{"s": strings.Repeat("x", 256<<10)})
	took := time.Since(began)
	le := limitOf(t, err)
	if le.Limit != LimitTime || !strings.Contains(err.Error(), "stopped after 50ms, the time limit for one evaluation") {
		t.Fatalf("want the time limit, got %s: %v", le.Limit, err)
	}
	if took > time.Second {
		t.Fatalf("took %s to stop at a 50ms limit", took)
	}
}

// TestBudgetStopsWhenTheCallerGivesUp: a cancelled run stops its evaluation, and the error says so and
// wraps the context's error, so the engine can tell it from the expression's own failure.
func TestBudgetStopsWhenTheCallerGivesUp(t *testing.T) {
	t.Parallel()
	e := New(fakeClock{t: testNow}, Limits{Timeout: time.Minute})
	p, err := e.CompileBool(`count(1..900000, indexOf(s, "y") >= 0) > 0`, []string{"s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	began := time.Now()
	_, err = p.Run(ctx, map[string]any{"s": strings.Repeat("x", 256<<10)})
	if took := time.Since(began); took > time.Second {
		t.Fatalf("took %s to stop after the cancel", took)
	}
	le := limitOf(t, err)
	if le.Limit != LimitStopped || !errors.Is(err, context.Canceled) {
		t.Fatalf("want stopped by the caller, wrapping context.Canceled: %s, %v", le.Limit, err)
	}
}

// TestBudgetIsSharedByAValue: all templates of one value (a step's parameters) share one budget.
func TestBudgetIsSharedByAValue(t *testing.T) {
	t.Parallel()
	e := New(fakeClock{t: testNow}, Limits{})
	params := map[string]any{}
	for i := range 20 {
		params[fmt.Sprintf("field%02d", i)] = `{{ upper(g) }}`
	}
	vt, errs := e.ParseValue(params, []string{"g"})
	if errs != nil {
		t.Fatal(errs)
	}
	g := strings.Repeat("x", 1000<<10)
	_, err := vt.Render(context.Background(), map[string]any{"g": g})
	if le := limitOf(t, err); le.Limit != LimitTotalSize {
		t.Fatalf("want the total limit over 20 fields of 1000 KiB, got %s: %v", le.Limit, err)
	}
	// Each field alone is within the budget.
	one, errs := e.ParseValue(map[string]any{"field": `{{ upper(g) }}`}, []string{"g"})
	if errs != nil {
		t.Fatal(errs)
	}
	out, err := one.Render(context.Background(), map[string]any{"g": g})
	if err != nil {
		t.Fatalf("one field of 1000 KiB: %v", err)
	}
	if got := out.(map[string]any)["field"].(string); len(got) != len(g) {
		t.Fatalf("rendered %d bytes, want %d", len(got), len(g))
	}
}

// TestBudgetKeepsMeaning: guarded expressions give the same values and the same compile-time errors as
// before the guard, and the builtins Pantryflow replaced behave like expr's.
func TestBudgetKeepsMeaning(t *testing.T) {
	t.Parallel()
	e := New(fakeClock{t: testNow}, Limits{})
	vars := map[string]any{"lead": map[string]any{"name": "Ana Lopez", "tags": []any{"vip", "trial"}}, "s": "a,b,c"}
	names := []string{"lead", "s"}
	values := []struct {
		src  string
		want any
	}{
		{`upper(lead.name) + "!"`, "ANA LOPEZ!"},
		{`replace(lead.name, "a", "4")`, "An4 Lopez"},
		{`replace(lead.name, "o", "0", 1)`, "Ana L0pez"},
		{`replace("ab", "", "-")`, "-a-b-"},
		{`join(lead.tags, " & ")`, "vip & trial"},
		{`join(split(s, ","))`, "abc"},
		{`split(s, ",", 2)`, []string{"a", "b,c"}},
		{`len(split(s, ""))`, 5},
		{`filter(lead.tags, # != "vip")`, []any{"trial"}},
		{`map(1..3, # * 2)`, []any{2, 4, 6}},
		{`count(lead.tags, hasPrefix(#, "t"))`, 1},
		{`let a = "x"; let b = a + a; b + b`, "xxxx"},
		{`toJSON(lead.tags)`, "[\n  \"vip\",\n  \"trial\"\n]"},
	}
	for _, tc := range values {
		p, err := e.Compile(tc.src, names)
		if err != nil {
			t.Errorf("Compile(%s): %v", tc.src, err)
			continue
		}
		got, err := p.Run(context.Background(), vars)
		if err != nil {
			t.Errorf("Run(%s): %v", tc.src, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.src, got, tc.want)
		}
	}
	// A condition whose result is known to be text is still refused when it is saved.
	if _, err := e.CompileBool(`upper(lead.name)`, names); err == nil || !strings.Contains(err.Error(), "gives text") {
		t.Errorf("CompileBool(upper(...)) = %v, want the 'gives text' error", err)
	}
	// Nobody can reach the meter or the guard's functions by name.
	for _, src := range []string{`pantryflow`, `$env["pantryflow meter"].total`} {
		p, err := e.Compile(src, names)
		if err != nil {
			continue
		}
		if v, err := p.Run(context.Background(), vars); err == nil && v != nil {
			t.Errorf("%s = %v; the meter must not be readable", src, v)
		}
	}
}

// TestBudgetLimitsAreConfigurable: smaller limits stop smaller work.
func TestBudgetLimitsAreConfigurable(t *testing.T) {
	t.Parallel()
	e := New(fakeClock{t: testNow}, Limits{MaxValueBytes: 1000, MaxTotalBytes: 5000, MaxWork: 100})
	cases := []struct{ src, limit string }{
		{`{{ upper(g) + g }}`, LimitValueSize},
		{`{{ count(1..50, len(upper(g)) > 0) }}`, LimitTotalSize},
		{`{{ count(1..200, true) }}`, LimitWork},
	}
	for _, tc := range cases {
		tmpl, err := e.ParseTemplate(tc.src, []string{"g"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tmpl.Render(context.Background(), map[string]any{"g": strings.Repeat("x", 600)})
		if le := limitOf(t, err); le.Limit != tc.limit {
			t.Errorf("%s stopped by %s, want %s", tc.src, le.Limit, tc.limit)
		}
	}
	if got := e.Limits(); got.Timeout != time.Second || got.MaxValueBytes != 1000 {
		t.Errorf("Limits() = %+v; want the given ones with defaults filled in", got)
	}
}

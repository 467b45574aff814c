package expression

import (
	"context"
	"strings"
	"testing"
)

func TestJavaScriptDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		src         string
		wantPos     int
		wantMessage string // substring
		wantHint    string // substring
	}{
		{
			name:        "seed expression",
			src:         `lead.lastInteraction > (new Date() - 3 * 24 * 60 * 60 * 1000)`,
			wantPos:     25,
			wantMessage: "JavaScript's `new Date()`",
			wantHint:    `date(lead.lastInteraction) > now() - duration("72h")`,
		},
		{
			name:     "without parentheses",
			src:      `lead.lastInteraction >= new Date() - 90 * 60 * 1000`,
			wantPos:  25,
			wantHint: `date(lead.lastInteraction) >= now() - duration("90m")`,
		},
		{
			name:     "seconds",
			src:      `deal.closedAt < (new Date() - 45000)`,
			wantPos:  18,
			wantHint: `date(deal.closedAt) < now() - duration("45s")`,
		},
		{
			name:     "milliseconds",
			src:      `deal.closedAt <= new Date() - 1500`,
			wantPos:  18,
			wantHint: `date(deal.closedAt) <= now() - duration("1500ms")`,
		},
		{
			name:        "Date.now",
			src:         `lead.lastInteraction > Date.now() - 2 * 60 * 60 * 1000`,
			wantPos:     24,
			wantMessage: "Date.now()",
			wantHint:    `date(lead.lastInteraction) > now() - duration("2h")`,
		},
		{
			name:     "new Date of Date.now",
			src:      `lead.lastInteraction > new Date(Date.now() - 86400000)`,
			wantPos:  24,
			wantHint: `date(lead.lastInteraction) > now() - duration("24h")`,
		},
		{
			name:     "new Date with an argument",
			src:      `new Date(lead.createdAt) < new Date()`,
			wantPos:  1,
			wantHint: "write date(lead.createdAt) instead of new Date(lead.createdAt)",
		},
		{
			name:     "compound condition gets the general hint",
			src:      `score > 1 && lead.lastInteraction > (new Date() - 3 * 24 * 60 * 60 * 1000)`,
			wantPos:  38,
			wantHint: `use now() for the current time`,
		},
		{
			name:     "new Date alone",
			src:      `new Date()`,
			wantPos:  1,
			wantHint: `duration("72h")`,
		},
		{
			name:     "non-ASCII before counts characters",
			src:      `"é" == lead.x && lead.y > new Date()`,
			wantPos:  27,
			wantHint: `use now()`,
		},
		{
			name:     "after a strict equality",
			src:      `nextAction === "x" && lead.at > new   Date()`,
			wantPos:  33,
			wantHint: `use now()`,
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
			if got.Position != tc.wantPos {
				t.Fatalf("Compile(%q) position = %d, want %d", tc.src, got.Position, tc.wantPos)
			}
			wantMessage := tc.wantMessage
			if wantMessage == "" {
				wantMessage = "is not available in Pantryflow expressions"
			}
			if !strings.Contains(strings.ReplaceAll(got.Message, "`", ""), strings.ReplaceAll(wantMessage, "`", "")) {
				t.Fatalf("Compile(%q) message = %q, want it to contain %q", tc.src, got.Message, wantMessage)
			}
			if !strings.Contains(got.Hint, tc.wantHint) {
				t.Fatalf("Compile(%q) hint = %q, want it to contain %q", tc.src, got.Hint, tc.wantHint)
			}
		})
	}
}

func TestJavaScriptDateInsideStringIsFine(t *testing.T) {
	t.Parallel()
	e := newTestEngine()
	p, err := e.Compile(`"new Date() - 1" + 'Date.now()'`, nil)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got, err := p.Run(context.Background(), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got != "new Date() - 1Date.now()" {
		t.Fatalf("got %q", got)
	}
}

func TestSeedHintExact(t *testing.T) {
	t.Parallel()
	const src = `lead.lastInteraction > (new Date() - 3 * 24 * 60 * 60 * 1000)`
	_, err := newTestEngine().Compile(src, []string{"lead"})
	got := asError(t, err)
	if got.Position != 25 {
		t.Fatalf("position = %d, want 25", got.Position)
	}
	if []rune(src)[got.Position-1] != 'n' || !strings.HasPrefix(string([]rune(src)[got.Position-1:]), "new Date") {
		t.Fatalf("position %d does not point at new Date", got.Position)
	}
	const want = `date(lead.lastInteraction) > now() - duration("72h")`
	if !strings.Contains(got.Hint, want) {
		t.Fatalf("hint = %q, want it to contain %q", got.Hint, want)
	}
	// The hint itself must compile and hold for a recent interaction.
	p, err := newTestEngine().CompileBool(want, []string{"lead"})
	if err != nil {
		t.Fatalf("hint does not compile: %v", err)
	}
	ok, err := p.Run(context.Background(), map[string]any{"lead": map[string]any{"lastInteraction": "2026-03-14T12:00:00Z"}})
	if err != nil || ok != true {
		t.Fatalf("hint Run = %v, %v; want true", ok, err)
	}
}

func TestMillisToDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"3 * 24 * 60 * 60 * 1000", "72h", true},
		{"90*60*1000", "90m", true},
		{"45000", "45s", true},
		{"1500", "1500ms", true},
		{"0", "", false},
		{"99999999999 * 99999999999", "", false},
	}
	for _, tc := range tests {
		got, ok := millisToDuration(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Fatalf("millisToDuration(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

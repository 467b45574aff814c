package expression

import (
	"context"
	"testing"
	"unicode/utf8"
)

func FuzzTemplate(f *testing.F) {
	seeds := []string{
		"",
		"Hello {{lead.firstName}}",
		"{{ lead.company }}",
		"{{",
		"}}",
		"{{ }}",
		"{{ {'a': {'b': 1}} }}",
		`{{ "}}" }}`,
		"{{ lead.lastInteraction > (new Date() - 3 * 24 * 60 * 60 * 1000) }}",
		"{{ a === b }} {{ c !== 'd===' }}",
		"{{ date(lead.x) > now() - duration(\"72h\") }}",
		"{{ reduce(lead.tags, #acc) }}",
		"{{ `raw }} {{` }}",
		"{{ /* }} */ 1 }}",
		"{{ 'unterminated }}",
		"Grüße {{ nme }} ✓",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	e := New(fakeClock{t: testNow}, Limits{MaxLength: 200, MaxNodes: 100})
	names := []string{"lead", "a", "b", "c"}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := e.ParseTemplate(src, names)
		if err != nil {
			perr := asError(t, err)
			if perr.Position < 0 || perr.Position > utf8.RuneCountInString(src)+1 {
				t.Fatalf("ParseTemplate(%q) position %d outside the source", src, perr.Position)
			}
			return
		}
		vars := map[string]any{"lead": map[string]any{"x": "2026-01-02", "tags": []any{1.0, "t"}}, "a": 1.5, "b": nil}
		got, err := tmpl.Render(context.Background(), vars)
		if err != nil {
			asError(t, err) // run-time errors must also be *Error
			return
		}
		if tmpl.IsLiteral() && got != src {
			t.Fatalf("literal Render(%q) = %v", src, got)
		}
	})
}

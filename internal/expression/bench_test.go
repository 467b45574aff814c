package expression

import (
	"context"
	"testing"
)

func BenchmarkRunCondition(b *testing.B) {
	e := New(fakeClock{t: testNow}, Limits{})
	p, err := e.CompileBool(`nextAction === "schedule_demo" && lead.company.size > 10 && date(lead.lastInteraction) > now() - duration("72h")`,
		[]string{"lead", "nextAction"})
	if err != nil {
		b.Fatalf("CompileBool: %v", err)
	}
	vars := map[string]any{
		"nextAction": "schedule_demo",
		"lead": map[string]any{
			"company":         map[string]any{"size": float64(250)},
			"lastInteraction": "2026-03-14T09:00:00Z",
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.Run(context.Background(), vars)
		if err != nil || got != true {
			b.Fatalf("Run = %v, %v", got, err)
		}
	}
}

func BenchmarkRenderTemplate(b *testing.B) {
	e := New(fakeClock{t: testNow}, Limits{})
	tmpl, err := e.ParseTemplate("Hello {{ lead.firstName }}, your score is {{ lead.score }}", []string{"lead"})
	if err != nil {
		b.Fatalf("ParseTemplate: %v", err)
	}
	vars := map[string]any{"lead": map[string]any{"firstName": "Ada", "score": float64(3)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Render(context.Background(), vars); err != nil {
			b.Fatalf("Render: %v", err)
		}
	}
}

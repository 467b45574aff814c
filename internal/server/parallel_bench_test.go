package server_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkParallelizedRun runs three independent 100 ms steps one after another and side by side (as the
// parallelize suggestion rewrites them), on the system clock, one run at a time, and reports the mean run
// (completedAt − startedAt) in ms. The sub-benchmarks alternate with -count:
//
//	go test -run '^$' -bench ParallelizedRun -benchtime 10x -count 3 ./internal/server/
func BenchmarkParallelizedRun(b *testing.B) {
	const ms = 100
	for _, c := range []struct{ name, def string }{
		{"sequential", slowChain(ms)},
		{"parallel", slowFork(ms)},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := startRealClock(b, storetestSQLiteURL(b), newSlowAction())
			id := h.createWorkflow([]byte(c.def))
			h.meanRun(id, 1) // the plan compiled, the workers awake
			var total time.Duration
			n := 0
			for b.Loop() {
				mean, _ := h.meanRun(id, 1)
				total += mean
				n++
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(n), "ms/run")
			b.ReportMetric(float64(3*ms), "ms-of-steps")
		})
	}
}

// slowFork is slowChain's three steps as the branches of one parallel step, as the parallelize suggestion
// applies it.
func slowFork(ms int) string {
	return fmt.Sprintf(`{
  "name": "Enrich a lead", "trigger": {"type": "manual", "configuration": {}},
  "steps": [
    {"id": "enrich", "name": "Enrich", "type": "parallel", "nextSteps": [], "configuration": {"parallelSteps": ["score", "geo", "firmo"]}},
    {"id": "score", "name": "Score", "type": "action", "nextSteps": [], "configuration": {"action": "slow", "parameters": {"ms": %[1]d}}},
    {"id": "geo", "name": "Geo", "type": "action", "nextSteps": [], "configuration": {"action": "slow", "parameters": {"ms": %[1]d}}},
    {"id": "firmo", "name": "Firmographics", "type": "action", "nextSteps": [], "configuration": {"action": "slow", "parameters": {"ms": %[1]d}}}
  ]
}`, ms)
}

package rollup_test

import (
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// expected is what the metrics of a generated history must be, counted straight from the generator's runs
// with none of the analytics code: plain counting, sums and sorting.
type expected struct {
	statuses  analytics.StatusCounts
	durations []int64 // of completed runs, sorted
	steps     map[string]*expectedStep
	series    map[int64]int64 // bucket (hour or UTC day number) → executions
}

type expectedStep struct {
	attempts, failures int64
	reasons            map[string]int64
	durations          []int64
	yes, no            int64
}

// expect counts the runs of generate(·, n) that started in [from, to] (from zero: from the beginning).
func expect(n int, tf analytics.Timeframe, from, to time.Time) expected {
	ex := expected{steps: map[string]*expectedStep{}, series: map[int64]int64{}}
	for i := range n {
		r := generate(i, n)
		if (!from.IsZero() && r.start.Before(from)) || r.start.After(to) {
			continue
		}
		switch r.status {
		case "completed":
			ex.statuses.Completed++
			ex.durations = append(ex.durations, r.done.Sub(r.start).Milliseconds())
		case "failed":
			ex.statuses.Failed++
		case "running":
			ex.statuses.Running++
		case "paused":
			ex.statuses.Paused++
		}
		bucket := r.start.Unix() / 3600
		if tf != analytics.Day {
			bucket = r.start.Unix() / 86400
		}
		ex.series[bucket]++
		for _, e := range r.log {
			if e.action == "started" {
				continue
			}
			s := ex.steps[e.step]
			if s == nil {
				s = &expectedStep{reasons: map[string]int64{}}
				ex.steps[e.step] = s
			}
			s.attempts++
			s.durations = append(s.durations, e.ms)
			if e.action == "failed" {
				s.failures++
				s.reasons[e.reason]++
			}
			if e.data != nil {
				if strings.Contains(*e.data, `"result":true`) {
					s.yes++
				} else {
					s.no++
				}
			}
		}
	}
	slices.Sort(ex.durations)
	for _, s := range ex.steps {
		slices.Sort(s.durations)
	}
	return ex
}

// rate is part ÷ whole × 100 to one decimal; mean is the mean rounded to the ms.
func rate(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

func mean(v []int64) int64 {
	var sum int64
	for _, x := range v {
		sum += x
	}
	return (sum + int64(len(v))/2) / int64(len(v))
}

// rank is the exact nearest-rank percentile of sorted values.
func rank(sorted []int64, p float64) int64 {
	r := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	return sorted[min(max(r, 1), len(sorted))-1]
}

// closeTo says a percentile from the histograms is within their documented error of the exact one.
func closeTo(got *int64, exact int64) bool {
	return got != nil && math.Abs(float64(*got-exact)) <= float64(exact)*analytics.PercentileError+1
}

// TestMetricsOfAGeneratedHistory loads the benchmark's generated history (3,000 executions over 90 days by
// default, PANTRYFLOW_GENERATED_EXECUTIONS to change it) and checks every timeframe's metrics against the
// answers counted from the generator: counts, rates, means and series exactly, percentiles within the
// histograms' error. The rollups are built in small batches, so cells are written many times over.
func TestMetricsOfAGeneratedHistory(t *testing.T) {
	t.Parallel()
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("PANTRYFLOW_GENERATED_EXECUTIONS")); err == nil && v > 0 {
		n = v
	}
	eachDB(t, func(t *testing.T, b *bundle) {
		wf, err := benchWorkflow(b.ctx, b.srv, b.manager)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := load(b.ctx, b.srv.DB, wf, n); err != nil {
			t.Fatal(err)
		}
		b.srv.Analytics.Batch = 997 // batches that end in the middle of executions
		b.flush()
		for _, tf := range []analytics.Timeframe{analytics.Day, analytics.Week, analytics.Month, analytics.All} {
			t.Run(string(tf), func(t *testing.T) {
				from, to := tf.Window(now)
				ex := expect(n, tf, from, to)
				m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, string(tf), 0)
				if err != nil {
					t.Fatal(err)
				}
				total := ex.statuses.Total()
				if m.Statuses != ex.statuses || m.TotalExecutions != total || m.NoData != (total == 0) {
					t.Fatalf("statuses %+v (total %d), want %+v", m.Statuses, m.TotalExecutions, ex.statuses)
				}
				if total == 0 {
					t.Fatalf("the generator made no execution in the %s: use more", tf)
				}
				c := ex.statuses.Completed
				if want := rate(c, c+ex.statuses.Failed); m.SuccessRate != want {
					t.Errorf("successRate = %v, want %v", m.SuccessRate, want)
				}
				if want := rate(c, total); m.CompletionRate != want {
					t.Errorf("completionRate = %v, want %v", m.CompletionRate, want)
				}
				if want := mean(ex.durations); m.AverageExecutionTime != want {
					t.Errorf("averageExecutionTime = %d, want %d", m.AverageExecutionTime, want)
				}
				if !closeTo(m.MedianExecutionTime, rank(ex.durations, 50)) || !closeTo(m.P95ExecutionTime, rank(ex.durations, 95)) {
					t.Errorf("median, p95 = %d, %d; exact %d, %d", *m.MedianExecutionTime, *m.P95ExecutionTime,
						rank(ex.durations, 50), rank(ex.durations, 95))
				}
				var inDistribution int64
				for _, r := range m.DurationDistribution {
					inDistribution += r.Count
				}
				if inDistribution != c {
					t.Errorf("the duration distribution holds %d runs, want the %d completed", inDistribution, c)
				}

				var ids []string
				for _, s := range m.Steps {
					ids = append(ids, s.StepID)
					want := ex.steps[s.StepID]
					if want == nil {
						if s.Runs != 0 {
							t.Errorf("step %s: %d runs, want none", s.StepID, s.Runs)
						}
						continue
					}
					reasons := want.reasons
					if s.Runs != want.attempts || s.Failures != want.failures || s.FailureRate != rate(want.failures, want.attempts) ||
						!reflect.DeepEqual(s.Reasons, reasons) || s.MeanMs == nil || *s.MeanMs != mean(want.durations) ||
						!closeTo(s.P50Ms, rank(want.durations, 50)) || !closeTo(s.P95Ms, rank(want.durations, 95)) {
						t.Errorf("step %s = %s\nwant runs %d, failures %d, reasons %v, mean %d, p50 ≈ %d, p95 ≈ %d", s.StepID, asJSON(t, s),
							want.attempts, want.failures, reasons, mean(want.durations), rank(want.durations, 50), rank(want.durations, 95))
					}
					if s.StepID == "check" && (s.ConditionTrue == nil || *s.ConditionTrue != want.yes || *s.ConditionFalse != want.no) {
						t.Errorf("check: %v true, %v false; want %d, %d", s.ConditionTrue, s.ConditionFalse, want.yes, want.no)
					}
				}
				if want := []string{"score", "geo", "check", "notify", "review", "save"}; !slices.Equal(ids, want) {
					t.Errorf("steps %v, want %v", ids, want)
				}
				score := ex.steps["score"]
				wantPoints := []analytics.FailurePoint{{StepID: "score", StepName: "Score the lead",
					FailureRate: rate(score.failures, score.attempts), Reason: "timeout", Failures: score.failures, Attempts: score.attempts}}
				if !reflect.DeepEqual(m.CommonFailurePoints, wantPoints) {
					t.Errorf("commonFailurePoints = %s\nwant %s", asJSON(t, m.CommonFailurePoints), asJSON(t, wantPoints))
				}

				var first int64 = math.MaxInt64
				for k := range ex.series {
					first = min(first, k)
				}
				if !from.IsZero() {
					first = from.Unix() / 3600
					if tf != analytics.Day {
						first = from.Unix() / 86400
					}
				}
				var seriesTotal int64
				for i, p := range m.Series.Points {
					seriesTotal += p.Total
					if want := ex.series[first+int64(i)]; p.Total != want {
						t.Errorf("series point %d (%s): %d executions, want %d", i, p.Start, p.Total, want)
					}
					if p.Total != p.Running+p.Paused+p.Completed+p.Failed+p.Cancelled {
						t.Errorf("series point %d: total %d ≠ its statuses %+v", i, p.Total, p.StatusCounts)
					}
				}
				if seriesTotal != total {
					t.Errorf("the series adds up to %d executions, want %d", seriesTotal, total)
				}
			})
		}

		// The suggestions about the active version (the last 45 days) see what the generator put in: the
		// scoring call fails in about 12 % of its attempts, two thirds of them timeouts, and it and the
		// lookup after it are independent slow calls.
		list, err := b.srv.App.Suggestions(b.ctx, wf)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, s := range list.Items {
			got[s.ID] = true
		}
		for _, id := range []string{"parallelize.score.geo", "retry.score", "timeout.score"} {
			if !got[id] {
				t.Errorf("no suggestion %s in %s", id, asJSON(t, list.Items))
			}
		}

		// Applied one after another, the suggestions build on each other: the parallel draft keeps the
		// retry, applying one again makes no identical version, and the cards say where each was applied.
		retry, err := b.srv.App.ApplySuggestion(b.ctx, b.manager, wf, "retry.score")
		if err != nil {
			t.Fatal(err)
		}
		parallel, err := b.srv.App.ApplySuggestion(b.ctx, b.manager, wf, "parallelize.score.geo")
		if err != nil {
			t.Fatal(err)
		}
		if parallel.Version != retry.Version+1 || parallel.BaseVersion != retry.Version || parallel.PublishedVersion != list.Version {
			t.Fatalf("the parallel draft is v%d on v%d (published v%d); the retry's was v%d", parallel.Version, parallel.BaseVersion, parallel.PublishedVersion, retry.Version)
		}
		def, err := b.srv.App.GetDefinition(b.ctx, wf, parallel.Version)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := def.StepByID("score"); s.ErrorHandling == nil || s.ErrorHandling.OnError != workflow.OnErrorRetry {
			t.Fatalf("the parallel draft lost the retry: %+v", s.ErrorHandling)
		}
		again, err := b.srv.App.ApplySuggestion(b.ctx, b.manager, wf, "retry.score")
		if err != nil {
			t.Fatal(err)
		}
		if !again.AlreadyApplied || again.Version != retry.Version {
			t.Fatalf("applying the retry again: %+v", again)
		}
		versions, err := b.srv.App.ListVersions(b.ctx, wf)
		if err != nil {
			t.Fatal(err)
		}
		newest := 0
		for _, v := range versions {
			newest = max(newest, v.Version)
		}
		if newest != parallel.Version {
			t.Fatalf("applying again made version %d", newest)
		}
		list, err = b.srv.App.Suggestions(b.ctx, wf)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Items {
			want := map[string]int{"retry.score": retry.Version, "parallelize.score.geo": parallel.Version}[s.ID]
			if want != 0 && s.AppliedIn != want {
				t.Errorf("suggestion %s says applied in v%d, want v%d", s.ID, s.AppliedIn, want)
			}
		}
	})
}

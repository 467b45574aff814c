package rollup_test

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The benchmarks measure metrics and suggestions over a generated history: 1,000,000 executions of one
// workflow (PANTRYFLOW_BENCH_EXECUTIONS changes the number) over the 90 days before the fake clock's now, about
// 10 million log rows, bulk-inserted into a fresh database (COPY on PostgreSQL, batched transactions on
// SQLite) and aggregated once before timing. Only benchmarks build it: `go test ./...` never does.

const benchDef = `{
  "name": "Enrich and route leads", "trigger": {"type": "event", "configuration": {"event": "lead_created"}},
  "variables": [{"name": "lead", "type": "object", "required": true}, {"name": "note", "type": "string"}],
  "steps": [
    {"id": "score", "name": "Score the lead", "type": "action", "nextSteps": ["geo"],
     "configuration": {"action": "call_api", "parameters": {"url": "https://score.example.com/leads/{{lead.id}}"}}},
    {"id": "geo", "name": "Locate the company", "type": "action", "nextSteps": ["check"],
     "configuration": {"action": "call_api", "parameters": {"url": "https://geo.example.com/lookup?domain={{lead.domain}}"}}},
    {"id": "check", "name": "Hot lead?", "type": "condition",
     "configuration": {"condition": "lead.score > 50", "trueSteps": ["notify"], "falseSteps": ["review"]}},
    {"id": "notify", "name": "Welcome mail", "type": "action", "nextSteps": ["save"],
     "configuration": {"action": "send_email", "parameters": {"template": "welcome_qualified_lead", "recipient": "{{lead.email}}",
       "data": {"firstName": "{{lead.firstName}}", "companyName": "{{lead.company}}"}}}},
    {"id": "review", "name": "Review the lead", "type": "human_task", "nextSteps": ["save"],
     "configuration": {"assignee": "rep@example.com", "title": "Review {{lead.email}}"}},
    {"id": "save", "name": "Keep the score", "type": "action", "nextSteps": [],
     "configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "{{steps.score.status}}"}}}
  ]
}`

type benchFixture struct {
	srv      *server.Server
	workflow string
	err      error
}

var (
	fixtureMu sync.Mutex
	fixtures  = map[string]*benchFixture{}
	dropAfter []func()
)

// TestMain lets more parallel tests run at once than one per core and drops the benchmarks' databases after
// every test and benchmark of the package.
func TestMain(m *testing.M) {
	storetest.RaiseParallel(4) // the tests wait on the databases, not on the CPU
	code := m.Run()
	fixtureMu.Lock()
	for _, f := range fixtures {
		if f.srv != nil {
			_ = f.srv.Close(context.Background())
		}
	}
	for _, drop := range dropAfter {
		drop()
	}
	fixtureMu.Unlock()
	os.Exit(code)
}

func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("PANTRYFLOW_BENCH_EXECUTIONS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// fixture builds (once per dialect and process) the generated database and returns it.
func fixture(b *testing.B, dialect string) *benchFixture {
	b.Helper()
	if dialect == "postgres" && os.Getenv(storetest.EnvURL) == "" {
		b.Skipf("%s is not set", storetest.EnvURL)
	}
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if f := fixtures[dialect]; f != nil {
		if f.err != nil {
			b.Fatal(f.err)
		}
		return f
	}
	f := &benchFixture{}
	fixtures[dialect] = f
	f.err = buildFixture(b, dialect, f)
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f
}

// keepDir, when PANTRYFLOW_BENCH_KEEP names a directory, keeps the generated databases between runs: the
// SQLite file in that directory and the PostgreSQL database pfbench_kept on the server given. A later run
// finds them and times them without generating again (migrations still run, as on a live server).
func keepDir() string { return os.Getenv("PANTRYFLOW_BENCH_KEEP") }

func buildFixture(b *testing.B, dialect string, f *benchFixture) error {
	ctx := context.Background()
	var dbURL string
	switch dialect {
	case "sqlite":
		dir := keepDir()
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "pfbench"); err != nil {
				return err
			}
			dropAfter = append(dropAfter, func() { _ = os.RemoveAll(dir) })
		}
		dbURL = "sqlite://" + filepath.Join(dir, "bench.db")
	default:
		base := os.Getenv(storetest.EnvURL)
		if keepDir() != "" {
			var err error
			if dbURL, err = store.KeptDatabase(ctx, base, "pfbench_kept"); err != nil {
				return err
			}
			break
		}
		u, drop, err := store.Scratch(ctx, base, "pfbench", false)
		if err != nil {
			return err
		}
		dropAfter = append(dropAfter, drop)
		dbURL = u
	}
	cfg := config.Defaults()
	cfg.DatabaseURL = dbURL
	srv, err := server.Open(ctx, cfg, storetest.Quiet(), server.Options{Clock: clock.NewFake(now)})
	if err != nil {
		return err
	}
	f.srv = srv
	if keepDir() != "" {
		id, err := srv.DB.History().NewestWorkflow(ctx)
		if err != nil {
			return err
		}
		if id != "" {
			f.workflow = id
			started := time.Now()
			srv.Analytics.Batch = 100_000
			if err := srv.Analytics.Flush(ctx); err != nil {
				return err
			}
			report(b, "%s: timing the kept database %s (rollups caught up in %s)", dialect, dbURL, time.Since(started).Round(time.Second))
			return nil
		}
	}
	u, err := srv.App.Auth.CreateUser(ctx, "manager@example.com", "Manager", auth.RoleManager, "correct horse battery")
	if err != nil {
		return err
	}
	wf, err := benchWorkflow(ctx, srv, &app.Actor{ID: u.ID, Email: u.Email, Role: auth.RoleManager})
	if err != nil {
		return err
	}
	f.workflow = wf

	n := benchSize()
	started := time.Now()
	rows, err := load(ctx, srv.DB, wf, n)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	loaded := time.Since(started)
	started = time.Now()
	srv.Analytics.Batch = 100_000
	if err := srv.Analytics.Flush(ctx); err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}
	aggregated := time.Since(started)
	// Write everything out now, so the timed calls do not share the disk with the load's writes (with them,
	// the first calls on the other database took seconds).
	if err := srv.DB.History().Checkpoint(ctx); err != nil {
		return err
	}
	report(b, "%s: generated %d executions and %d log rows in %s; aggregated them in %s",
		dialect, n, rows, loaded.Round(time.Second), aggregated.Round(time.Second))
	return nil
}

// report logs a line of the benchmark's setup where it is seen without -v.
func report(b *testing.B, format string, args ...any) {
	b.Logf(format, args...)
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// benchWorkflow creates the generated history's workflow with two published versions (the generator's runs
// of the first 45 days are of version 1, the rest of version 2, the active one).
func benchWorkflow(ctx context.Context, srv *server.Server, actor *app.Actor) (string, error) {
	def, err := workflow.Decode([]byte(benchDef))
	if err != nil {
		return "", err
	}
	saved, err := srv.App.CreateWorkflow(ctx, actor, def, true)
	if err != nil {
		return "", err
	}
	def, _ = workflow.Decode([]byte(benchDef))
	v2, err := srv.App.SaveDraft(ctx, actor, saved.ID, def)
	if err != nil {
		return "", err
	}
	if err := srv.App.Publish(ctx, actor, saved.ID, v2.Version); err != nil {
		return "", err
	}
	return saved.ID, nil
}

// genRun is one generated execution: its row, its log and its human task.
type genRun struct {
	id, status string
	version    int
	start      time.Time
	done       *time.Time
	log        []genEntry
	task       *genTask
}

type genEntry struct {
	at                   time.Time
	step, action, reason string
	ms                   int64
	data                 *string
	message              string
}

type genTask struct {
	start time.Time
	done  *time.Time
}

// generate is execution i of n: deterministic, so the several passes of a bulk load agree.
func generate(i, n int) genRun {
	rng := mrand.New(mrand.NewPCG(42, uint64(i)))
	span := 90 * 24 * time.Hour
	// Whole milliseconds, which both databases store exactly, so durations are exact.
	start := now.Add(-span + time.Duration(float64(span)*(float64(i)+rng.Float64())/float64(n))).Truncate(time.Millisecond)
	r := genRun{id: fmt.Sprintf("b%08d", i), version: 1, start: start, status: "completed"}
	if start.After(now.Add(-45 * 24 * time.Hour)) {
		r.version = 2
	}
	t := start
	step := func(id string, ms int64, action, reason string, data *string, msg string) {
		r.log = append(r.log, genEntry{at: t, step: id, action: "started", ms: -1})
		t = t.Add(time.Duration(ms) * time.Millisecond)
		r.log = append(r.log, genEntry{at: t, step: id, action: action, reason: reason, ms: ms, data: data, message: msg})
	}
	exp := func(base, mean float64) int64 { return int64(base + rng.ExpFloat64()*mean) }
	fate := rng.Float64()
	if rng.Float64() < 0.08 { // a timeout, retried
		step("score", 10_000, "failed", "timeout", nil, "call_api: GET https://score.example.com did not answer within 10s")
	}
	if fate < 0.04 { // the scoring API refuses the lead: the run fails
		step("score", exp(40, 20), "failed", "http_4xx", nil, "call_api: GET https://score.example.com answered 404 Not Found")
		r.status = "failed"
		r.done = &t
		return r
	}
	step("score", exp(200, 200), "completed", "", nil, "")
	step("geo", exp(200, 150), "completed", "", nil, "")
	if fate > 0.99 { // still running
		r.status = "running"
		return r
	}
	hot := rng.Float64() < 0.8
	data := fmt.Sprintf(`{"next":["notify"],"result":%t}`, hot)
	if !hot {
		data = `{"next":["review"],"result":false}`
	}
	step("check", 1+rng.Int64N(3), "completed", "", &data, "")
	if hot {
		step("notify", exp(30, 30), "completed", "", nil, "")
	} else {
		r.task = &genTask{start: t}
		if fate > 0.985 {
			r.log = append(r.log, genEntry{at: t, step: "review", action: "started", ms: -1})
			r.status = "paused"
			return r
		}
		step("review", exp(3_600_000, 36*3_600_000), "completed", "", nil, "")
		done := t
		r.task.done = &done
	}
	step("save", 1+rng.Int64N(3), "completed", "", nil, "")
	r.done = &t
	return r
}

// historyRun is generated execution i of n as the store writes it.
func historyRun(wf string, i, n int) store.HistoryRun {
	r := generate(i, n)
	out := store.HistoryRun{Execution: store.Execution{ID: r.id, WorkflowID: wf, WorkflowVersion: r.version, Status: r.status,
		StartedAt: r.start, CompletedAt: r.done, UpdatedAt: r.start, Variables: store.JSON("{}"), Outputs: store.JSON("{}"),
		State: store.JSON("{}"), Revision: 1}}
	for _, e := range r.log {
		row := store.LogRow{ExecutionID: r.id, Timestamp: e.at, StepID: e.step, StepName: e.step, Action: e.action,
			Message: e.message, Reason: e.reason}
		if e.ms >= 0 {
			ms := e.ms
			row.DurationMs = &ms
		}
		if e.data != nil {
			row.Data = store.JSON(*e.data)
		}
		out.Log = append(out.Log, row)
	}
	if r.task != nil {
		status, by := "open", ""
		if r.task.done != nil {
			status, by = "completed", "rep@example.com"
		}
		out.Tasks = []store.HumanTask{{ID: r.id + "-review", ExecutionID: r.id, WorkflowID: wf, StepID: "review", Activation: 1,
			Assignee: "rep@example.com", Title: "Review", FormFields: store.JSON("[]"), Status: status, CompletedBy: by,
			CompletedAt: r.task.done, CreatedAt: r.task.start, UpdatedAt: r.task.start}}
	}
	return out
}

// load bulk-loads the n generated executions of workflow wf (see store.History.Load) and says how many log
// rows it wrote.
func load(ctx context.Context, db *store.DB, wf string, n int) (int, error) {
	return db.History().Load(ctx, n, func(i int) store.HistoryRun { return historyRun(wf, i, n) })
}

func benchDialects(b *testing.B, fn func(b *testing.B, f *benchFixture)) {
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			fn(b, fixture(b, d))
		})
	}
}

// timed runs call as b.Loop's body and reports, beside the mean (ns/op), the slowest call (max-ms): the
// target is about every answer, and the first call of a benchmark may find cold caches.
func timed(b *testing.B, call func()) {
	var worst time.Duration
	for b.Loop() {
		started := time.Now()
		call()
		worst = max(worst, time.Since(started))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
}

func BenchmarkMetrics(b *testing.B) {
	benchDialects(b, func(b *testing.B, f *benchFixture) {
		for _, tf := range []string{"day", "week", "month", "all"} {
			b.Run(tf, func(b *testing.B) {
				timed(b, func() {
					m, err := f.srv.App.WorkflowMetrics(context.Background(), f.workflow, tf, 0)
					if err != nil {
						b.Fatal(err)
					}
					if m.TotalExecutions == 0 {
						b.Fatal("no executions")
					}
				})
			})
		}
	})
}

func BenchmarkSuggestions(b *testing.B) {
	benchDialects(b, func(b *testing.B, f *benchFixture) {
		var got []string
		timed(b, func() {
			list, err := f.srv.App.Suggestions(context.Background(), f.workflow)
			if err != nil {
				b.Fatal(err)
			}
			got = got[:0]
			for _, s := range list.Items {
				got = append(got, s.ID)
			}
		})
		b.Logf("suggestions: %v", got)
	})
}

func BenchmarkOverview(b *testing.B) {
	benchDialects(b, func(b *testing.B, f *benchFixture) {
		timed(b, func() {
			if _, err := f.srv.App.ManagerOverview(context.Background(), "month"); err != nil {
				b.Fatal(err)
			}
		})
	})
}

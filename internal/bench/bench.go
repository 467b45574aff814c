// Package bench measures the engine: N runs of a K-step action-only workflow, reported as step transitions
// per second and start-to-completion latency, beside River's own ceiling on the same database and machine
// (the same number of no-op jobs, worked with the same client settings).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Options say what to measure.
type Options struct {
	DatabaseURL string // a PostgreSQL server (a fresh database is created on it) or "" for a temporary SQLite file
	Runs        int
	Steps       int
	Workers     int // River workers; 0 takes the engine's default
	Starters    int // goroutines starting runs
	Committers  int // group-commit goroutines; 0 takes the engine's default
	Keep        bool
}

// Result is one measurement.
type Result struct {
	Dialect              string
	Runs, Steps          int
	Transitions          int
	Elapsed              time.Duration
	TransitionsPerSecond float64
	LatencyRate          float64 // runs per second offered while measuring latency
	LatencyRuns          int
	P50, P99             time.Duration
	NoopJobs             int
	NoopElapsed          time.Duration
	NoopPerSecond        float64
}

// Run measures the engine, then River's no-op ceiling, each on a fresh database.
func Run(ctx context.Context, opts Options, out io.Writer) (*Result, error) {
	if opts.Runs <= 0 || opts.Steps <= 0 {
		return nil, errors.New("bench: --runs and --steps must be positive")
	}
	if opts.Starters <= 0 {
		opts.Starters = 8
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res := &Result{Runs: opts.Runs, Steps: opts.Steps, Transitions: opts.Runs * opts.Steps}

	dbURL, cleanup, err := store.Scratch(ctx, opts.DatabaseURL, "bench_engine", opts.Keep)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err := measureEngine(ctx, dbURL, opts, log, res); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "engine:  %d queued runs × %d steps = %d transitions in %s: %.0f transitions/s\n",
		res.Runs, res.Steps, res.Transitions, res.Elapsed.Round(time.Millisecond), res.TransitionsPerSecond)
	fmt.Fprintf(out, "latency: %d runs started at %.0f runs/s (a quarter of that capacity): start→completion p50 %s, p99 %s\n",
		res.LatencyRuns, res.LatencyRate, res.P50.Round(time.Millisecond), res.P99.Round(time.Millisecond))

	noopURL, cleanupNoop, err := store.Scratch(ctx, opts.DatabaseURL, "bench_noop", opts.Keep)
	if err != nil {
		return nil, err
	}
	defer cleanupNoop()
	if err := measureNoop(ctx, noopURL, opts, log, res); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "river:   %d no-op jobs in %s: %.0f jobs/s (River's ceiling with the same settings)\n",
		res.NoopJobs, res.NoopElapsed.Round(time.Millisecond), res.NoopPerSecond)
	fmt.Fprintf(out, "ratio:   %.2f of River's no-op ceiling per transition (%s, %d CPUs)\n",
		res.TransitionsPerSecond/res.NoopPerSecond, res.Dialect, runtime.NumCPU())
	return res, nil
}

func benchDefinition(steps int) *workflow.Definition {
	def := &workflow.Definition{
		ID: "bench", Name: "Benchmark", Trigger: workflow.Trigger{Type: workflow.TriggerManual},
		Variables: []workflow.Variable{{Name: "counter", Type: "number"}},
	}
	for i := range steps {
		s := workflow.Step{ID: fmt.Sprintf("step_%d", i+1), Name: fmt.Sprintf("Step %d", i+1), Type: workflow.StepAction,
			Configuration: map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "counter", "value": float64(i + 1)}},
			NextSteps:     []string{}}
		if i+1 < steps {
			s.NextSteps = []string{fmt.Sprintf("step_%d", i+2)}
		}
		def.Steps = append(def.Steps, s)
	}
	return def
}

func measureEngine(ctx context.Context, dbURL string, opts Options, log *slog.Logger, res *Result) error {
	cfg := config.Defaults()
	cfg.DatabaseURL = dbURL
	srv, err := server.Open(ctx, cfg, log, server.Options{Engine: engine.Config{Workers: opts.Workers, Committers: opts.Committers}})
	if err != nil {
		return err
	}
	defer srv.Close(context.Background())
	res.Dialect = string(srv.DB.Dialect)
	actor := &auth.Principal{Email: "bench", Role: auth.RoleAdmin}
	if _, err := srv.App.CreateWorkflow(ctx, actor, benchDefinition(opts.Steps), true); err != nil {
		return fmt.Errorf("bench: create the workflow: %w", err)
	}
	start := func() error {
		_, err := srv.App.StartExecution(ctx, actor, "bench", nil, engine.StartMeta{TriggerType: "manual"})
		return err
	}

	// Throughput: the runs are queued first, like River's no-op jobs, then the engine works them off.
	if err := startConcurrently(opts.Runs, opts.Starters, start); err != nil {
		return err
	}
	began := time.Now()
	if err := srv.Start(ctx); err != nil {
		return err
	}
	if err := waitCompleted(ctx, srv.DB, opts.Runs); err != nil {
		return err
	}
	last, err := srv.DB.Executions().LastCompletion(ctx)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res.Elapsed = last.Sub(began)
	res.TransitionsPerSecond = float64(res.Transitions) / res.Elapsed.Seconds()

	// Latency: runs started one by one at a quarter of that capacity, start to completion.
	rate := res.TransitionsPerSecond / float64(opts.Steps) / 4
	latencyRuns := min(opts.Runs, max(50, int(rate*10)))
	phase2 := time.Now().UTC()
	ticker := time.NewTicker(time.Duration(float64(time.Second) / rate))
	for range latencyRuns {
		<-ticker.C
		if err := start(); err != nil {
			ticker.Stop()
			return fmt.Errorf("bench: start a run: %w", err)
		}
	}
	ticker.Stop()
	if err := waitCompleted(ctx, srv.DB, opts.Runs+latencyRuns); err != nil {
		return err
	}
	rows, err := srv.DB.Executions().RunTimesSince(ctx, phase2)
	if err != nil {
		return err
	}
	lat := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		lat = append(lat, r.CompletedAt.Sub(r.StartedAt))
	}
	slices.Sort(lat)
	res.LatencyRate, res.LatencyRuns = rate, len(lat)
	res.P50, res.P99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	return nil
}

func startConcurrently(n, starters int, start func() error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, starters)
	for range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := start(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return fmt.Errorf("bench: start a run: %w", err)
	}
	return nil
}

func waitCompleted(ctx context.Context, db *store.DB, n int) error {
	deadline := time.Now().Add(30 * time.Minute)
	for {
		done, err := db.Executions().CountByStatus(ctx, "completed")
		if err != nil {
			return err
		}
		if int(done) >= n {
			return nil
		}
		failed, err := db.Executions().CountByStatus(ctx, "failed")
		if err != nil {
			return err
		}
		if failed > 0 {
			return fmt.Errorf("bench: %d runs failed", failed)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: only %d of %d runs completed in 30 minutes", done, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type noopArgs struct{}

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

func measureNoop(ctx context.Context, dbURL string, opts Options, log *slog.Logger, res *Result) error {
	db, err := store.Open(ctx, dbURL, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	ecfg := engine.Config{Workers: opts.Workers}.WithDefaults(db.Dialect)
	client, err := river.NewClient(db.RiverDriver(), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: ecfg.Workers}},
		Workers:           workers,
		Logger:            log,
		FetchCooldown:     ecfg.FetchCooldown,
		FetchPollInterval: ecfg.FetchPollInterval,
		PollOnly:          db.Dialect == store.SQLite,
	})
	if err != nil {
		return err
	}
	total := res.Transitions
	for inserted := 0; inserted < total; {
		batch := min(1000, total-inserted)
		params := make([]river.InsertManyParams, batch)
		for i := range params {
			params[i] = river.InsertManyParams{Args: noopArgs{}}
		}
		if _, err := client.InsertManyFast(ctx, params); err != nil {
			return fmt.Errorf("bench: insert no-op jobs: %w", err)
		}
		inserted += batch
	}
	began := time.Now()
	if err := client.Start(ctx); err != nil {
		return err
	}
	// Poll the job table: River finalizes completions in batches, so this is when the work is really done.
	deadline := began.Add(10 * time.Minute)
	for {
		done, err := db.CountJobs(ctx, "completed")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if int(done) >= total {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: River stalled after %d of %d no-op jobs", done, total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.NoopElapsed = time.Since(began)
	res.NoopJobs = total
	res.NoopPerSecond = float64(total) / res.NoopElapsed.Seconds()
	stopCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	return client.Stop(stopCtx)
}

package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Config tunes the engine. Zero values take the defaults.
type Config struct {
	Workers       int           // concurrent River workers (100 on PostgreSQL, 32 on SQLite); they mostly wait on commits
	StepsPerJob   int           // steps one job runs before handing the branch to a new job (100)
	TimerInterval time.Duration // how often due delays and retries are looked for (1s)
	// StaleAfter is how long a ready branch may go untouched before the sweeper gives it a new job, in case
	// the job that owned it died with its process (5m; River would rescue it only after RescueAfter).
	StaleAfter time.Duration
	// JobTimeout is how long River lets one advance job run (3m). StepTimeout is how long one step may run
	// inside it (half of JobTimeout, above call_api's longest timeout of 60s): a job starts a step only while a whole StepTimeout still fits before its
	// own deadline, and hands the branch to a fresh job otherwise, so a job never times out in the middle of
	// a step and a step is never started again because its job outlived a timeout.
	JobTimeout        time.Duration
	StepTimeout       time.Duration
	RescueAfter       time.Duration // 10m
	FetchCooldown     time.Duration // 2ms
	FetchPollInterval time.Duration // 20ms on PostgreSQL, 50ms on SQLite
	// Committers are the goroutines that group-commit workers' transitions (2 on PostgreSQL, 1 on SQLite);
	// MaxBatch caps the transitions one commit carries (128).
	Committers int
	MaxBatch   int
	// DeadAfter is how long an instance may miss its heartbeats (every HeartbeatInterval) before the others
	// take over the jobs it was running (20s and 5s; PostgreSQL only: on SQLite the one process takes over
	// its predecessor's jobs when it starts).
	DeadAfter         time.Duration
	HeartbeatInterval time.Duration
	// HeartbeatsOnly turns off taking over at once from a gone process on this machine (see instances.go).
	HeartbeatsOnly bool
	// OnCommit, when set, is called after every commit of transitions with the ids of the executions it
	// changed, so a test can wait on commits instead of polling. It is called on the committing goroutine
	// and must not block.
	OnCommit func(executionIDs []string)
	// OnBatchItem, when set, is called after each run a batch acted on, with a context that ends when Stop
	// begins (tests stop an instance in the middle of a batch with it).
	OnBatchItem func(stopping context.Context, batchID string)
}

// WithDefaults fills in the defaults for a dialect.
func (c Config) WithDefaults(d store.Dialect) Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Workers <= 0 {
		c.Workers = 100
		if d == store.SQLite {
			c.Workers = 32
		}
	}
	if c.StepsPerJob <= 0 {
		c.StepsPerJob = 100
	}
	if c.Committers <= 0 {
		c.Committers = 2
		if d == store.SQLite {
			c.Committers = 1
		}
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 128
	}
	def(&c.TimerInterval, time.Second)
	def(&c.StaleAfter, 5*time.Minute)
	def(&c.JobTimeout, 3*time.Minute)
	def(&c.StepTimeout, c.JobTimeout/2)
	if c.StepTimeout > c.JobTimeout-c.jobMargin() {
		c.StepTimeout = c.JobTimeout - c.jobMargin()
	}
	def(&c.RescueAfter, 10*time.Minute)
	def(&c.FetchCooldown, 2*time.Millisecond)
	def(&c.DeadAfter, 20*time.Second)
	def(&c.HeartbeatInterval, min(5*time.Second, c.DeadAfter/4))
	if d == store.SQLite {
		def(&c.FetchPollInterval, 50*time.Millisecond)
	}
	def(&c.FetchPollInterval, 20*time.Millisecond)
	return c
}

// Deps are the engine's collaborators.
type Deps struct {
	DB      *store.DB
	Actions *actions.Registry
	Expr    *expression.Engine
	Clock   clock.Clock
	Log     *slog.Logger
	// Workers lets other packages (mail delivery, event dispatch) add their River workers to the engine's
	// client, so every job shares one queue and one transaction model.
	Workers func(*river.Workers)
	// Secrets opens the secrets of the steps that use them; nil when none can be used.
	Secrets SecretSource
	// BaseURL is the public address, for the links to tasks in notification mails.
	BaseURL string
}

// Engine runs executions.
type Engine struct {
	db      *store.DB
	river   *store.RiverClient
	actions *actions.Registry
	secrets SecretSource
	expr    *expression.Engine
	clock   clock.Clock
	log     *slog.Logger
	cfg     Config
	plans   *plans
	newID   func() string
	baseURL string

	committer *committer
	stop      context.CancelFunc
	loops     sync.WaitGroup
	// stopHeartbeat ends the heartbeat, which goes on while Stop waits for running jobs: an instance that
	// is stopping is alive, and its jobs are not taken over.
	stopHeartbeat context.CancelFunc
	heartbeat     sync.WaitGroup
	started       bool
	// loopCtx ends when Stop begins: long jobs (batches) stop between two runs.
	loopCtx context.Context
	// instance names this process to River (its client ID) and to the other instances (its heartbeat row).
	instance instance
}

// NewID returns a time-ordered unique id for executions, tasks and mails.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// New builds an engine and its River client; Start runs it.
func New(deps Deps, cfg Config) (*Engine, error) {
	cfg = cfg.WithDefaults(deps.DB.Dialect)
	e := &Engine{
		db: deps.DB, actions: deps.Actions, secrets: deps.Secrets, expr: deps.Expr, clock: deps.Clock, log: deps.Log, cfg: cfg,
		newID: NewID, instance: newInstance(!cfg.HeartbeatsOnly), baseURL: deps.BaseURL,
	}
	e.plans = &plans{env: e.Environment(nil), m: map[planKey]*workflow.Plan{}}
	workers := river.NewWorkers()
	river.AddWorker(workers, &advanceWorker{e: e})
	river.AddWorker(workers, &todoWorker{e: e})
	river.AddWorker(workers, &batchWorker{e: e})
	if deps.Workers != nil {
		deps.Workers(workers)
	}
	retries := newJobRetries()
	client, err := river.NewClient(deps.DB.RiverDriver(), &river.Config{
		ID:                   e.instance.id,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		Logger:               deps.Log,
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		MaxAttempts:          25,
		PollOnly:             deps.DB.Dialect == store.SQLite,
		// A job the database failed is retried within seconds (job_retry.go); others on River's schedule.
		ErrorHandler: retries,
		RetryPolicy:  retries,
	})
	if err != nil {
		return nil, fmt.Errorf("create the job queue client: %w", err)
	}
	e.river = client
	return e, nil
}

// River is the job client, for packages that insert their own jobs.
func (e *Engine) River() *store.RiverClient { return e.river }

// Clock is the engine's clock.
func (e *Engine) Clock() clock.Clock { return e.clock }

// Environment is the validation environment; templates says which email templates exist (nil: any).
func (e *Engine) Environment(templates func(string) bool) Environment {
	return Environment{Actions: e.actions, Expr: e.expr, Clock: e.clock, Templates: templates}
}

// Start starts the workers, the timer loop, the sweeper and the heartbeat. The jobs a dead process left
// running and the ready branches a crash left are taken up first.
func (e *Engine) Start(ctx context.Context) error {
	if err := store.RetryStartup(ctx, e.log, "register this instance", e.register); err != nil {
		return err
	}
	e.committer = newCommitter(e, e.cfg.Committers, e.cfg.MaxBatch)
	if err := store.RetryStartup(ctx, e.log, "start the job queue", e.river.Start); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	recover := func(ctx context.Context) error {
		_, err := e.Recover(ctx, time.Time{})
		return err
	}
	if err := store.RetryStartup(ctx, e.log, "recover interrupted runs", recover); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stop, e.loopCtx = cancel, loopCtx
	beatCtx, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	e.stopHeartbeat = stopBeat
	e.started = true
	e.loops.Add(2)
	go e.timerLoop(loopCtx)
	go e.backfillSubjects(loopCtx)
	e.heartbeat.Add(1)
	go e.heartbeatLoop(beatCtx)
	return nil
}

// Stop stops the loops and lets running jobs finish (up to the context's deadline).
func (e *Engine) Stop(ctx context.Context) error {
	if !e.started {
		return nil
	}
	e.stop()
	e.loops.Wait()
	err := e.river.Stop(ctx)
	e.stopHeartbeat()
	e.heartbeat.Wait()
	// Workers are done (or abandoned at the deadline): no more commits come.
	e.committer.stop()
	if err != nil {
		// Jobs are still running: stay registered, so that the others take them over once the heartbeat
		// stops, instead of at once while they may still commit.
		return fmt.Errorf("stop the job queue: %w", err)
	}
	inThisProcess.Delete(e.instance.id)
	if err := e.db.RemoveInstance(context.WithoutCancel(ctx), e.instance.id); err != nil {
		e.log.Warn("could not unregister this instance", "error", err)
	}
	return nil
}

// submit commits a worker's transition, together with other workers' when the committer runs.
func (e *Engine) submit(ctx context.Context, c *commit) error {
	if e.committer == nil {
		return e.commitOne(ctx, c)
	}
	return e.committer.submit(ctx, c)
}

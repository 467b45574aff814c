// Package chaos runs the real pantryflow binary under faults and says what a user would have seen: N
// instances on one PostgreSQL database, or one on a SQLite file, run a workflow with a parallel join, a mail,
// a delay and a human task while they are SIGKILLed at random and their database connections are
// terminated; a local SMTP server takes the mail and a rep completes the tasks through the API. The report
// counts runs lost, failed or stuck, steps repeated, joins run twice, mails lost or sent twice, and how long
// the runs waited on the faults. `pantryflow chaos` prints it; docs/RELIABILITY.md records its figures.
package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Options say how hard to shake.
type Options struct {
	Binary      string // the pantryflow binary to run
	DatabaseURL string // a PostgreSQL server (a fresh database is made on it) or "" for a SQLite file
	Instances   int    // processes on PostgreSQL; SQLite allows one
	Runs        int
	Kills       int // SIGKILLs, each followed by a restart of the killed instance
	// Terminations end every connection to the database (pg_terminate_backend) this many times; PostgreSQL only.
	Terminations int
	// Duration is the time over which the runs are started and the faults spread; 0: a second per kill, at
	// least 10 s.
	Duration time.Duration
	// Settle is how long the runs may take to finish after the last fault before they count as stuck.
	Settle time.Duration
	// DeadAfter is the instances' PANTRYFLOW_DEAD_AFTER; 0 keeps the server's default.
	DeadAfter time.Duration
	Seed      uint64 // chooses the kill and termination times and the victims; 0 picks one
	Keep      bool   // keep the database and the work folder with the instances' logs
	Progress  io.Writer
}

// Workflow under test: the welcome mail and a one-second pause in parallel, then a review by a person, then
// a last step.
const (
	stepFanOut = "fan_out"
	stepMail   = "welcome"
	stepPause  = "pause"
	stepReview = "review"
	stepDone   = "done"
	delay      = time.Second
	repEmail   = "chaos-rep@example.com"
)

var workflowSteps = []string{stepFanOut, stepMail, stepPause, stepReview, stepDone}

func definition() map[string]any {
	step := func(id, name, typ string, next []string, cfg map[string]any) map[string]any {
		return map[string]any{"id": id, "name": name, "type": typ, "nextSteps": next, "configuration": cfg}
	}
	return map[string]any{
		"name":        "Chaos: welcome mail, pause, review",
		"description": "Made by pantryflow chaos",
		"trigger":     map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{
			{"name": "email", "type": "string"}, {"name": "approved", "type": "boolean"}, {"name": "note", "type": "string"},
		},
		"steps": []map[string]any{
			step(stepFanOut, "Mail and pause", "parallel", []string{stepReview},
				map[string]any{"parallelSteps": []string{stepMail, stepPause}}),
			step(stepMail, "Welcome mail", "action", []string{}, map[string]any{"action": "send_email", "parameters": map[string]any{
				"template": "welcome_qualified_lead", "recipient": "{{ email }}",
				"data": map[string]any{"firstName": "Jane", "companyName": "Acme"}}}),
			step(stepPause, "Pause", "delay", []string{}, map[string]any{"duration": int(delay / time.Second)}),
			step(stepReview, "Review", "human_task", []string{stepDone}, map[string]any{
				"assignee": repEmail, "title": "Review the lead",
				"formFields": []map[string]any{{"name": "approved", "label": "Approved", "type": "checkbox"}}}),
			step(stepDone, "Done", "action", []string{}, map[string]any{"action": "set_variable",
				"parameters": map[string]any{"name": "note", "value": "done"}}),
		},
	}
}

// Run starts the instances, shakes them and reports. An error means the chaos could not be run (the binary
// would not start, the database could not be made); what the chaos found is in the Report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	progress := func(format string, args ...any) { fmt.Fprintf(o.Progress, format+"\n", args...) }
	dbURL, drop, err := store.Scratch(ctx, o.DatabaseURL, "chaos", o.Keep)
	if err != nil {
		return nil, err
	}
	defer drop()
	dir, err := os.MkdirTemp("", "pantryflow-chaos-")
	if err != nil {
		return nil, err
	}
	if o.Keep {
		progress("database %s; instance logs in %s", dbURL, dir)
	} else {
		defer os.RemoveAll(dir)
	}
	sink, err := mailertest.Listen(mailertest.Options{})
	if err != nil {
		return nil, err
	}
	defer sink.Close()

	env := instanceEnv(dbURL, sink.URL(), o.DeadAfter)
	instances := make([]*instance, o.Instances)
	for i := range instances {
		if instances[i], err = newInstance(i+1, o.Binary, dir, env); err != nil {
			return nil, err
		}
		defer instances[i].log.Close()
	}
	first := instances[0]
	if _, err := first.command("correct horse battery staple\n", "user", "create", "--email", repEmail, "--role", "admin",
		"--name", "Chaos Rep", "--password-stdin"); err != nil {
		return nil, err
	}
	token, err := first.command("", "token", "create", "--email", repEmail, "--name", "chaos")
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, in := range instances {
			in.stop()
		}
	}()
	for _, in := range instances {
		if _, err := in.start(ctx); err != nil {
			return nil, err
		}
	}
	api := newClient(token, instances)
	var saved map[string]any
	if code, err := api.call(ctx, "POST", "/api/workflows?publish=true", "chaos-workflow", definition(), &saved); err != nil || code != 201 {
		return nil, fmt.Errorf("the chaos workflow was not saved (%d): %v %v", code, err, saved)
	}
	workflowID, _ := saved["id"].(string)

	r := &Report{Database: dialectOf(dbURL), Instances: o.Instances, Seed: o.Seed, runs: make([]run, o.Runs)}
	c := &shaker{o: o, r: r, api: api, instances: instances, dbURL: dbURL, workflow: workflowID,
		rng: mathrand.New(mathrand.NewPCG(o.Seed, 0x5eed)), progress: progress}
	began := time.Now()
	progress("chaos: %s, %d instance(s), %d runs, %d kills, %d connection terminations over %s (seed %d)",
		r.Database, o.Instances, o.Runs, o.Kills, o.Terminations, o.Duration, o.Seed)
	if err := c.shake(ctx); err != nil {
		return nil, err
	}
	progress("faults over after %s; waiting up to %s for the runs to finish", time.Since(began).Round(time.Millisecond), o.Settle)
	c.settle(ctx)
	r.Elapsed = time.Since(began)
	if err := c.collect(ctx, acceptedMails(sink.Messages())); err != nil {
		return nil, err
	}
	r.APIRetries = int(api.retries.Load())
	return r, nil
}

func (o *Options) defaults() error {
	if o.Binary == "" {
		return errors.New("chaos: no pantryflow binary to run")
	}
	sqlite := o.DatabaseURL == "" || strings.HasPrefix(o.DatabaseURL, "sqlite")
	switch {
	case o.Instances <= 0:
		o.Instances = 1
		if !sqlite {
			o.Instances = 3
		}
	case sqlite && o.Instances > 1:
		return fmt.Errorf("chaos: SQLite lets one process own the file; run --instances %d on PostgreSQL (--database-url)", o.Instances)
	}
	if o.Runs <= 0 {
		return errors.New("chaos: --runs must be at least 1")
	}
	if o.Kills < 0 || o.Terminations < 0 {
		return errors.New("chaos: --kills and --terminations cannot be negative")
	}
	if sqlite && o.Terminations > 0 {
		return errors.New("chaos: connection terminations need PostgreSQL; SQLite has no connections to end")
	}
	if o.Duration <= 0 {
		o.Duration = max(time.Duration(o.Kills)*time.Second, 10*time.Second)
	}
	if o.Settle <= 0 {
		o.Settle = 3 * time.Minute
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// instanceEnv is the instances' environment: the caller's, without its Pantryflow settings, and ours.
func instanceEnv(dbURL, smtpURL string, deadAfter time.Duration) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PANTRYFLOW_") {
			env = append(env, kv)
		}
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env = append(env, "PANTRYFLOW_DATABASE_URL="+dbURL, "PANTRYFLOW_SMTP_URL="+smtpURL, "PANTRYFLOW_LOG_LEVEL=warn",
		"PANTRYFLOW_TIMER_INTERVAL=200ms", "PANTRYFLOW_SECRET_KEY="+hex.EncodeToString(key))
	if deadAfter > 0 {
		env = append(env, "PANTRYFLOW_DEAD_AFTER="+deadAfter.String())
	}
	return env
}

func dialectOf(dbURL string) string {
	if strings.HasPrefix(dbURL, "sqlite") {
		return "sqlite"
	}
	return "postgres"
}

// shaker starts the runs, completes their tasks and brings the faults.
type shaker struct {
	o         Options
	r         *Report
	api       *client
	instances []*instance
	dbURL     string
	workflow  string
	rng       *mathrand.Rand // used by the fault goroutine only
	progress  func(string, ...any)
	rep       sync.WaitGroup // the rep completing tasks
	repDone   chan struct{}  // closed to send the rep home

	mu        sync.Mutex
	lastFault time.Time
	problems  []error // the chaos itself failed: a start refused, an instance that would not come back
}

func (c *shaker) fail(err error) {
	c.mu.Lock()
	c.problems = append(c.problems, err)
	c.mu.Unlock()
}

func (c *shaker) faultAt(t time.Time) {
	c.mu.Lock()
	c.lastFault = t
	c.mu.Unlock()
}

// shake starts the runs and brings the kills and terminations over the duration, while a rep completes the
// tasks; it returns when every run was accepted and every killed instance is up again.
func (c *shaker) shake(ctx context.Context) error {
	began := time.Now()
	c.repDone = make(chan struct{})
	c.rep.Add(1)
	go func() {
		defer c.rep.Done()
		c.completeTasks(ctx, c.repDone)
	}()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c.startRuns(ctx, began)
	}()
	go func() {
		defer wg.Done()
		c.faults(ctx, began)
	}()
	wg.Wait()
	if len(c.problems) > 0 {
		close(c.repDone)
		c.rep.Wait()
		return errors.Join(c.problems...)
	}
	return nil
}

// startRuns starts the runs evenly over the duration, each with its own Idempotency-Key, retried across
// instances until one accepts it.
func (c *shaker) startRuns(ctx context.Context, began time.Time) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range c.r.runs {
		sleepUntil(ctx, began.Add(c.o.Duration*time.Duration(i)/time.Duration(len(c.r.runs))))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			email := fmt.Sprintf("lead-%d@example.com", i)
			var out struct {
				ExecutionID string `json:"executionId"`
			}
			code, err := c.api.call(ctx, "POST", "/api/workflows/"+c.workflow+"/executions",
				fmt.Sprintf("chaos-%d-run-%d", c.o.Seed, i), map[string]any{"variables": map[string]any{"email": email}}, &out)
			if err == nil && (code != 202 || out.ExecutionID == "") {
				err = fmt.Errorf("start of run %d answered %d", i, code)
			}
			if err != nil {
				c.fail(err)
				return
			}
			c.r.runs[i] = run{id: out.ExecutionID, email: email}
		}()
	}
	wg.Wait()
}

// faults kills instances and terminates connections at random moments of the duration. A killed instance
// starts again after a pause of up to half a second; on PostgreSQL at least one instance stays up.
func (c *shaker) faults(ctx context.Context, began time.Time) {
	type fault struct {
		at   time.Duration
		kill bool
	}
	var plan []fault
	for range c.o.Kills {
		plan = append(plan, fault{at: time.Duration(c.rng.Int64N(int64(c.o.Duration))), kill: true})
	}
	for range c.o.Terminations {
		plan = append(plan, fault{at: time.Duration(c.rng.Int64N(int64(c.o.Duration)))})
	}
	slices.SortFunc(plan, func(a, b fault) int { return int(a.at - b.at) })
	var restarts sync.WaitGroup
	defer restarts.Wait()
	for _, f := range plan {
		sleepUntil(ctx, began.Add(f.at))
		if ctx.Err() != nil {
			return
		}
		if !f.kill {
			n, err := store.TerminateConnections(ctx, c.dbURL)
			if err != nil {
				c.fail(fmt.Errorf("terminate connections: %w", err))
				return
			}
			c.faultAt(time.Now())
			c.mu.Lock()
			c.r.Terminations++
			c.r.ConnectionsEnded += n
			c.mu.Unlock()
			continue
		}
		victim := c.victim(ctx)
		if victim == nil {
			return
		}
		var running struct {
			Total int `json:"total"`
		}
		lookCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, _ = c.api.call(lookCtx, "GET", "/api/executions?status=running&limit=1", "", nil, &running)
		cancel()
		victim.kill()
		c.faultAt(time.Now())
		c.mu.Lock()
		c.r.Kills++
		if running.Total > 0 {
			c.r.KillsInFlight++
		}
		c.mu.Unlock()
		pause := time.Duration(0)
		if len(c.instances) > 1 {
			pause = time.Duration(c.rng.Int64N(int64(500 * time.Millisecond)))
		}
		restarts.Add(1)
		go func() {
			defer restarts.Done()
			sleepUntil(ctx, time.Now().Add(pause))
			took, err := victim.start(ctx)
			if err != nil {
				c.fail(err)
				return
			}
			c.faultAt(time.Now())
			c.mu.Lock()
			c.r.restarts = append(c.r.restarts, took)
			c.mu.Unlock()
		}()
	}
}

// victim is an instance to kill: any that is up, but on PostgreSQL never the last one up. It waits (at most
// a minute) for a restart when too few are up.
func (c *shaker) victim(ctx context.Context) *instance {
	deadline := time.Now().Add(time.Minute)
	for {
		var up []*instance
		for _, in := range c.instances {
			if in.isUp() {
				up = append(up, in)
			}
		}
		if len(up) > 1 || (len(c.instances) == 1 && len(up) == 1) {
			return up[c.rng.IntN(len(up))]
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.fail(errors.New("no instance came back up within a minute of a kill"))
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// completeTasks is the rep: every quarter of a second it completes the open tasks, each with its own
// Idempotency-Key, until done closes.
func (c *shaker) completeTasks(ctx context.Context, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
		var open struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		code, err := c.api.call(callCtx, "GET", "/api/tasks?status=open&assignee=me&limit=1000", "", nil, &open)
		cancel()
		if err != nil || code != 200 {
			continue
		}
		for _, t := range open.Items {
			callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, _ = c.api.call(callCtx, "POST", "/api/tasks/"+t.ID+"/complete", "chaos-task-"+t.ID,
				map[string]any{"values": map[string]any{"approved": true}}, nil)
			cancel()
		}
	}
}

// settle waits until every run has finished (completed or failed) and every mail of the outbox is sent — a
// run completes once its mail is queued, and delivery goes on after it — or Settle has passed. The outbox
// holds the rep's task notifications too, so "sent" reaching the number of runs is not enough: none may be
// left queued.
func (c *shaker) settle(ctx context.Context) {
	c.mu.Lock()
	last := c.lastFault
	c.mu.Unlock()
	if last.IsZero() {
		last = time.Now()
	}
	deadline := time.Now().Add(c.o.Settle)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c.finished(ctx) == len(c.r.runs) && c.count(ctx, "/api/outbox?status=sent&limit=1") >= len(c.r.runs) &&
			c.count(ctx, "/api/outbox?status=queued&limit=1") == 0 {
			c.r.Settled, c.r.SettledAfterLastFault = true, time.Since(last)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(c.repDone)
	c.rep.Wait()
}

// finished counts the runs that completed or failed.
func (c *shaker) finished(ctx context.Context) int {
	n := 0
	for _, status := range []string{"completed", "failed", "cancelled"} {
		n += c.count(ctx, "/api/executions?status="+status+"&limit=1")
	}
	return n
}

// count is the total of a list the API answers at path (0 when it does not answer).
func (c *shaker) count(ctx context.Context, path string) int {
	var out struct {
		Total int `json:"total"`
	}
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if code, err := c.api.call(callCtx, "GET", path, "", nil, &out); err != nil || code != 200 {
		return -1 // not known: neither "enough" nor "none"
	}
	return out.Total
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

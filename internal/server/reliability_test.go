package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The tests of what happens when the database blinks: connections terminated under running workflows,
// readiness while the database takes no writes, a start while it cannot be reached.

// postgresAdmin is a connection to the test server's maintenance database, for ALTER DATABASE and for
// terminating the test database's sessions from outside it.
func postgresAdmin(t *testing.T, dbURL string) *store.PostgresAdmin {
	t.Helper()
	admin, err := store.OpenPostgresAdmin(storetest.PostgresServer(t), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}

func terminateSessions(t *testing.T, admin *store.PostgresAdmin) {
	t.Helper()
	if _, err := admin.TerminateSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// apiStart starts a run of wf, and says how the API answered.
func apiStart(client *http.Client, base, token, wf string) (status int, retryAfter, id, message string, err error) {
	req, err := http.NewRequest(http.MethodPost, base+"/api/workflows/"+wf+"/executions", strings.NewReader(`{"variables": {}}`))
	if err != nil {
		return 0, "", "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return 0, "", "", "", err
	}
	defer res.Body.Close()
	var body struct {
		ExecutionID string `json:"executionId"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return res.StatusCode, "", "", "", fmt.Errorf("decode the answer: %w", err)
	}
	return res.StatusCode, res.Header.Get("Retry-After"), body.ExecutionID, body.Error, nil
}

// mailThenTask is a short workflow whose steps both read the database: a mail from a stored template, and a
// CRM task for a user looked up by email. With history, a step that reads the database for a while comes
// between them.
func mailThenTask(history bool) map[string]any {
	next := "task"
	if history {
		next = "history"
	}
	steps := []map[string]any{
		{"id": "welcome", "name": "Welcome mail", "type": "action", "nextSteps": []string{next},
			"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
				"template": "welcome_qualified_lead", "recipient": "lead@example.com",
				"data": map[string]any{"firstName": "Jane", "companyName": "Acme"}}}},
		{"id": "task", "name": "Call task", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
				"title": "Call Jane", "assignee": "rep@example.com"}}},
	}
	if history {
		steps = append(steps, map[string]any{"id": "history", "name": "Read the history", "type": "action",
			"nextSteps": []string{"task"}, "configuration": map[string]any{"action": "read_history", "parameters": map[string]any{}}})
	}
	return def("Blinking database", steps...)
}

// readHistory reads the database for 20ms (a report over the lead's history, say), and fails the way the
// built-in actions do when the database fails them: Transient, class "other", the driver's error wrapped.
// The steps' other reads take a fraction of a millisecond, so a termination seldom lands in one; this one
// gives the terminations a step to hit, as they hit send_email's template lookup in production.
type readHistory struct{ db *store.DB }

func (readHistory) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{Name: "read_history", Title: "Read the history (tests)"}
}

func (a readHistory) Run(ctx context.Context, in actions.Input) (actions.Result, error) {
	n, err := a.db.ReadSlowly(ctx, 20*time.Millisecond)
	if err != nil {
		return actions.Result{}, workflow.Transient(workflow.ClassOther, fmt.Errorf("read the history: %w", err))
	}
	return actions.Result{Output: map[string]any{"templates": n}, Message: "Read the history"}, nil
}

// 200 short runs while another connection keeps terminating every session of the database: no run fails,
// no step is recorded completed twice, no mail or task is doubled, and no start answers 500.
func TestConnectionTerminationsFailNoRunAndRepeatNoStep(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	logs := &logBuffer{}
	h := startLogged(t, dbURL, logs, func(_ *config.Config, o *server.Options) {
		o.Clock = clock.System{} // the retry waits are real: a fake clock that nobody moves would never wake them
		// Background loops that poll every few milliseconds would be the first to find each terminated
		// connection; at a more usual pace the steps' own reads find them too.
		o.Engine.TimerInterval, o.ScheduleInterval = 100*time.Millisecond, time.Second
		builtin := o.ExtraActions
		o.ExtraActions = func(d actions.Deps) []actions.Action {
			return append(builtin(d), readHistory{db: d.Directory.(*store.DB)})
		}
	})
	defer func() {
		if t.Failed() {
			t.Logf("server log (warnings and errors):\n%s", tail(grepLines(logs.String(), "level=WARN", "level=ERROR")))
		}
	}()
	wf := h.createWorkflow(mailThenTask(true))

	// The terminator: a connection of its own, to the server's maintenance database, ends every session of
	// the test database 15 times, 300 to 900ms apart and each time while a step reads the database: often
	// enough to land in many steps, seldom enough that the runs move on in between (terminated every few
	// milliseconds, nothing runs at all: River's completer waits a second and more after each batch the
	// database failed).
	admin := postgresAdmin(t, dbURL)
	var killed, rounds atomic.Int64
	terminated := make(chan struct{})
	go func() {
		defer close(terminated)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 10))
		for range 15 {
			time.Sleep(time.Duration(300+rng.IntN(600)) * time.Millisecond)
			// Land in a step: wait (up to a second) until a run's history read is in the database. At random
			// moments alone, a loaded machine's terminations could all fall between steps.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = admin.AwaitQuery(ctx, "pg_sleep")
			cancel()
			n, err := admin.TerminateSessions(context.Background())
			if err == nil {
				killed.Add(n)
				rounds.Add(1)
			}
		}
	}()

	// Meanwhile four clients start 50 runs each, paced to spread over the terminations' whole span (about
	// 9s), so that runs are in their steps whenever a termination lands: started all at once, the runs of a
	// fast machine were done after two seconds, and the later terminations found nothing to hit. A start the
	// database interrupted answers 503 with Retry-After, and the client tries again (sooner than the 5s it
	// says, to keep the test short); any other answer fails the test.
	const startPace = 160 * time.Millisecond // 50 starts × 160ms ≈ 8s per client
	client := &http.Client{Timeout: 15 * time.Second}
	var (
		mu          sync.Mutex
		runs        []string
		unavailable int
		problems    []string
	)
	var starters sync.WaitGroup
	for range 4 {
		starters.Add(1)
		go func() {
			defer starters.Done()
			for started, tries := 0, 0; started < 50 && tries < 500; tries++ {
				status, retryAfter, id, msg, err := apiStart(client, h.http.URL, h.manager, wf)
				mu.Lock()
				switch {
				case err == nil && status == http.StatusAccepted:
					runs = append(runs, id)
					started++
				case err == nil && status == http.StatusServiceUnavailable && retryAfter == "5":
					unavailable++
				default:
					problems = append(problems, fmt.Sprintf("a start answered %d (Retry-After %q): %q %v", status, retryAfter, msg, err))
				}
				mu.Unlock()
				if status == http.StatusServiceUnavailable {
					time.Sleep(20 * time.Millisecond)
				} else {
					time.Sleep(startPace)
				}
			}
		}()
	}
	starters.Wait()
	<-terminated
	if len(problems) > 0 || len(runs) != 200 {
		t.Fatalf("%d runs started; problems: %q", len(runs), problems)
	}
	if rounds.Load() != 15 {
		t.Fatalf("only %d of the 15 terminations ran", rounds.Load())
	}

	db := h.srv.DB
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var open int
		byStatus, err := db.Executions().StatusCounts(ctx)
		for status, n := range byStatus {
			if status != "completed" && status != "failed" && status != "cancelled" {
				open += n
			}
		}
		if err == nil && open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs are still unfinished a minute after the terminations stopped (%v)", open, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	byStatus, err := db.Executions().StatusCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	executions := 0
	for status, n := range byStatus {
		executions += n
		if status != "completed" {
			failed, _ := db.Executions().NotIn(ctx, "completed", 3)
			for _, e := range failed {
				t.Errorf("execution %s is %s at %s: %s", e.ID, e.Status, e.FailedStep, e.Error)
			}
			t.Fatalf("%d runs ended %s, want every run completed", n, status)
		}
	}
	// A start whose answer was lost with its connection may have committed: such a run counts too.
	if executions < len(runs) {
		t.Fatalf("%d executions stored, but %d starts were accepted", executions, len(runs))
	}
	counts, err := db.Executions().StepLogCounts(ctx, "completed")
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != executions*3 {
		t.Fatalf("%d (execution, step) pairs completed, want %d", len(counts), executions*3)
	}
	for _, c := range counts {
		if c.N != 1 {
			t.Fatalf("execution %s step %s is logged completed %d times", c.ExecutionID, c.StepID, c.N)
		}
	}
	for _, m := range []struct {
		model any
		what  string
	}{{&store.Mail{}, "mails"}, {&store.CRMTask{}, "CRM tasks"}} {
		n, err := db.CountRows(ctx, m.model)
		if err != nil {
			t.Fatal(err)
		}
		if int(n) != executions {
			t.Fatalf("%d %s for %d runs", n, m.what, executions)
		}
	}
	// The test proves something only if the terminations hit the steps themselves: a step's try the database
	// cut short is logged (and, when its transition commits, recorded as an infrastructure retry).
	retried, _ := db.Executions().ActionLogCount(ctx, "failed")
	hits := strings.Count(logs.String(), "it will be tried again (an infrastructure retry)")
	if hits == 0 && retried == 0 {
		t.Fatalf("15 terminations ended %d sessions but hit no step; the test needs them to", killed.Load())
	}
	t.Logf("15 terminations ended %d sessions and hit %d steps (%d retries recorded); %d starts answered 503 and were tried again",
		killed.Load(), hits, retried, unavailable)
}

// grepLines keeps the lines of s that contain any of subs.
func grepLines(s string, subs ...string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		for _, sub := range subs {
			if strings.Contains(line, sub) {
				b.WriteString(line)
				break
			}
		}
	}
	return b.String()
}

// readiness asks /readyz.
func readiness(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body.Error
}

// awaitReadiness asks /readyz until it answers want with an error that says why (a probe's result stands for
// a second, and on SQLite a probe waits up to store.ProbeTimeout for the lock).
func awaitReadiness(t *testing.T, base string, want int, why string) {
	t.Helper()
	deadline := time.Now().Add(3*store.ProbeTimeout + 5*time.Second)
	for {
		code, msg := readiness(t, base)
		if code == want && strings.HasPrefix(msg, why) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz kept answering %d (%q), want %d (%q)", code, msg, want, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Readiness fails while the database takes no writes, says why, and comes back by itself when it does.
func TestReadinessFailsWhileTheDatabaseTakesNoWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		awaitReadiness(t, h.http.URL, http.StatusOK, "")
		var refuse, allow func()
		var why string
		if h.srv.DB.Dialect == store.SQLite {
			// Another process (here, a connection of the test's) holds the database's write lock: the file
			// answers reads, but no write gets in.
			holder, err := store.OpenSQLiteWriteLock(context.Background(), h.srv.DB.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Close()
			refuse = func() {
				if err := holder.Hold(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			allow = func() {
				if err := holder.Release(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			why = "the database file is locked"
		} else {
			// The database turns read-only (as a standby does): every session opened from now on refuses writes.
			admin := postgresAdmin(t, dbURL)
			refuse = func() {
				if err := admin.SetReadOnly(context.Background(), true); err != nil {
					t.Fatal(err)
				}
				terminateSessions(t, admin)
			}
			allow = func() {
				if err := admin.SetReadOnly(context.Background(), false); err != nil {
					t.Fatal(err)
				}
				terminateSessions(t, admin)
			}
			why = "the database is read-only"
		}
		refuse()
		awaitReadiness(t, h.http.URL, http.StatusServiceUnavailable, "the database does not take writes: "+why)
		if res, err := http.Get(h.http.URL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("/healthz while the database takes no writes: %v %v; liveness must not follow the database", res, err)
		}
		allow()
		awaitReadiness(t, h.http.URL, http.StatusOK, "")
	})
}

// Starting a run while the database cannot be reached answers 503 with Retry-After, and works again once it
// can.
func TestStartingARunWhileTheDatabaseIsUnreachableAnswers503(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	h := start(t, dbURL)
	wf := h.createWorkflow(mailThenTask(false))
	admin := postgresAdmin(t, dbURL)
	if err := admin.AllowConnections(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := admin.AllowConnections(context.Background(), true); err != nil {
				t.Error(err)
			}
		}
	}
	defer restore()
	terminateSessions(t, admin)

	client := &http.Client{Timeout: 30 * time.Second}
	for i := range 3 {
		status, retryAfter, _, msg, err := apiStart(client, h.http.URL, h.manager, wf)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusServiceUnavailable || retryAfter != "5" || msg != "the database is not answering; try again in a few seconds" {
			t.Fatalf("start %d while the database is unreachable: %d, Retry-After %q, %q; want 503, 5 and a message to try again",
				i+1, status, retryAfter, msg)
		}
	}
	restore()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, id, msg, err := apiStart(client, h.http.URL, h.manager, wf)
		if err == nil && status == http.StatusAccepted {
			h.waitStatus(id, "completed")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("starts still fail after the database came back: %d %q %v", status, msg, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// blinkingWrite's effect fails its first commit the way a write does when the database drops the connection
// under it — wrapped by the effect as a permanent failure, as an effect may wrap anything it does not expect
// — and commits on the next try.
type blinkingWrite struct {
	mu    sync.Mutex
	tries map[string]int // idempotency key → commits tried
}

func (*blinkingWrite) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{Name: "blinking_write", Title: "Blinking write (tests)"}
}

func (b *blinkingWrite) Run(_ context.Context, in actions.Input) (actions.Result, error) {
	return actions.Result{Message: "written", Effects: []store.Effect{blinkingEffect{b: b, key: in.IdempotencyKey}}}, nil
}

type blinkingEffect struct {
	b   *blinkingWrite
	key string
}

func (e blinkingEffect) Apply(context.Context, *store.Tx) error {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	if e.b.tries[e.key]++; e.b.tries[e.key] == 1 {
		return workflow.Permanent(workflow.ClassOther, fmt.Errorf("write the record: %w",
			&pgconn.PgError{Severity: "FATAL", Message: "terminating connection due to administrator command", Code: "57P01"}))
	}
	return nil
}

// A step's commit that the database cut short is tried again (River retries the job) rather than failing the
// step, however the effect labelled the error.
func TestACommitTheDatabaseCutShortIsTriedAgain(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		write := &blinkingWrite{tries: map[string]int{}}
		h := startTuned(t, dbURL, func(_ *config.Config, o *server.Options) {
			builtin := o.ExtraActions
			o.ExtraActions = func(d actions.Deps) []actions.Action { return append(builtin(d), write) }
		})
		wf := h.createWorkflow(def("Blinking write", map[string]any{"id": "write", "name": "Write", "type": "action",
			"nextSteps": []string{}, "configuration": map[string]any{"action": "blinking_write", "parameters": map[string]any{}}}))
		e := h.waitStatus(h.startRun(wf, nil), "completed")
		if n := countLog(e, "write", workflow.LogCompleted); n != 1 || countLog(e, "write", workflow.LogFailed) != 0 {
			t.Fatalf("the step was logged completed %d times, failed %d; want completed once, never failed:\n%s", n,
				countLog(e, "write", workflow.LogFailed), logText(e))
		}
		write.mu.Lock()
		defer write.mu.Unlock()
		for key, n := range write.tries {
			if n != 2 {
				t.Errorf("the commit of %s was tried %d times, want 2", key, n)
			}
		}
	})
}

// Found by pantryflow chaos: an instance restarted while the database's connections were being terminated
// exited ("take over the jobs of dead instances: FATAL: terminating connection"), and once the insert of its
// registration had committed, every later try failed on its own row. Now a start that the database cuts
// short waits and tries its step again: while every connection is ended four times a second for three
// seconds, servers start and stop one after another, and every one comes up.
func TestStartsWhileConnectionsAreTerminatedComeUp(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	admin := postgresAdmin(t, url)
	cfg := config.Defaults()
	cfg.DatabaseURL = url
	open := func() (*server.Server, error) {
		srv, err := server.Open(context.Background(), cfg, storetest.Quiet(), server.Options{})
		if err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		if err := srv.Start(context.Background()); err != nil {
			_ = srv.Close(context.Background())
			return nil, fmt.Errorf("start: %w", err)
		}
		return srv, nil
	}
	first, err := open() // migrated once, so the starts below spend their time registering and recovering
	if err != nil {
		t.Fatal(err)
	}
	_ = first.Close(context.Background())

	var ended, rounds atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 12 {
			time.Sleep(250 * time.Millisecond)
			if n, err := admin.TerminateSessions(context.Background()); err == nil {
				ended.Add(n)
			}
			rounds.Add(1)
		}
	}()
	hit := 0 // starts during which connections were ended
	for i := 0; ; i++ {
		select {
		case <-done:
			if hit == 0 || ended.Load() == 0 {
				t.Fatalf("%d starts, %d during terminations, %d connections ended: the test proved nothing", i, hit, ended.Load())
			}
			return
		default:
		}
		before, began := rounds.Load(), time.Now()
		srv, err := open()
		if err != nil {
			t.Fatalf("start %d while connections were terminated: %v", i+1, err)
		}
		up := time.Since(began)
		if rounds.Load() > before {
			hit++
		}
		if err := srv.Close(context.Background()); err != nil && !store.IsInfrastructure(err) {
			t.Fatalf("stop %d: %v", i+1, err)
		}
		t.Logf("start %d came up in %s, %d terminations so far", i+1, up.Round(time.Millisecond), rounds.Load())
	}
}

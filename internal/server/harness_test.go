package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// t0 is where every fake clock starts.
var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// harness is a running Pantryflow behind an httptest server, driven through its JSON API.
type harness struct {
	t       testing.TB
	url     string // database URL
	clock   *clock.Fake
	srv     *server.Server
	http    *httptest.Server
	admin   string // API tokens
	manager string
	rep     string
	flaky   *flakyAction
	// tune, when set, changes the configuration and options of every server the harness opens.
	tune func(*config.Config, *server.Options)
	// logs, when set, receives the servers' logs at debug level.
	logs *logBuffer
	// commits hears of the engine's commits (engine.Config.OnCommit), so waits wake when something changed.
	commits commitSignal
}

// commitSignal is a broadcast of the engine's commits: next gives a channel closed at the next commit.
type commitSignal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *commitSignal) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *commitSignal) committed([]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// logBuffer is a log the servers write to while a test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eachDB runs fn on SQLite and, when configured, PostgreSQL: fresh databases already migrated (copies of a
// migrated template), so the server's own migration at start finds nothing to do.
func eachDB(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for name, url := range testDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, url(t))
		})
	}
}

// eachDBAtOnce is eachDB for the longest tests: both subtests start as soon as the test does, in its place
// among the parallel tests. Parallel subtests (eachDB's) queue behind every test still waiting to start, so
// the longest tests started last and finished the package late.
func eachDBAtOnce(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	var wg sync.WaitGroup
	for name, url := range testDatabases {
		wg.Go(func() { t.Run(name, func(t *testing.T) { fn(t, url(t)) }) })
	}
	wg.Wait()
}

// testDatabases are the databases every eachDB test runs on, by subtest name.
var testDatabases = map[string]func(*testing.T) string{
	"sqlite":   func(t *testing.T) string { return storetest.SQLiteMigratedURL(t) },
	"postgres": func(t *testing.T) string { return storetest.PostgresMigratedURL(t) },
}

// start runs Pantryflow on the database at url with a fake clock and makes an admin, a manager and a rep.
func start(t testing.TB, url string) *harness {
	t.Helper()
	return startWith(t, url, "")
}

// startWith is start with mail delivered to the SMTP server at smtpURL.
func startWith(t testing.TB, url, smtpURL string) *harness {
	t.Helper()
	return startTuned(t, url, func(c *config.Config, _ *server.Options) { c.SMTPURL = smtpURL })
}

// startTuned is start with the configuration and options changed by tune.
func startTuned(t testing.TB, url string, tune func(*config.Config, *server.Options)) *harness {
	t.Helper()
	return startLogged(t, url, nil, tune)
}

// startLogged is startTuned with the servers' debug logs written to logs.
func startLogged(t testing.TB, url string, logs *logBuffer, tune func(*config.Config, *server.Options)) *harness {
	t.Helper()
	h := &harness{t: t, url: url, clock: clock.NewFake(t0), flaky: &flakyAction{failures: map[string]int{}}, tune: tune, logs: logs}
	h.open()
	h.addUsers()
	return h
}

// addUsers makes the admin, the manager and the rep every test signs in as (password "correct horse
// battery"), with an API token each.
func (h *harness) addUsers() {
	h.t.Helper()
	ctx := context.Background()
	for _, u := range []struct {
		email string
		role  auth.Role
		token *string
	}{{"admin@example.com", auth.RoleAdmin, &h.admin}, {"manager@example.com", auth.RoleManager, &h.manager}, {"rep@example.com", auth.RoleRep, &h.rep}} {
		if _, err := h.srv.App.Auth.CreateUser(ctx, u.email, strings.Split(u.email, "@")[0], u.role, "correct horse battery"); err != nil {
			h.t.Fatalf("create %s: %v", u.email, err)
		}
		tok, err := h.srv.App.Auth.CreateToken(ctx, u.email, "test")
		if err != nil {
			h.t.Fatalf("token for %s: %v", u.email, err)
		}
		*u.token = tok
	}
}

// open starts a server on the harness's database and clock (again, after stop, to test restarts).
func (h *harness) open() {
	h.t.Helper()
	h.srv = h.openServer()
	h.http = httptest.NewServer(h.srv.Web.Handler())
	h.t.Cleanup(h.stop)
}

// openServer starts a server on the harness's database and clock; a second one on PostgreSQL is a second
// instance of the same deployment.
func (h *harness) openServer() *server.Server {
	h.t.Helper()
	cfg := config.Defaults()
	cfg.DatabaseURL = h.url
	cfg.PasswordCost = bcrypt.MinCost // the tests sign in thousands of times; the hashes are bcrypt all the same
	// The timer, the fetch poll and the schedule loop look every 50–100 ms: quick enough that a test's wait
	// costs little, slow enough that a few dozen idle servers side by side do not keep two cores busy with
	// polling (waits wake on the engine's commits, see waitFor).
	opts := server.Options{
		Clock:            h.clock,
		Engine:           engine.Config{TimerInterval: 100 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond},
		ScheduleInterval: 100 * time.Millisecond,
		ExtraActions:     func(actions.Deps) []actions.Action { return []actions.Action{h.flaky, badRowAction{}} },
	}
	if h.tune != nil {
		h.tune(&cfg, &opts)
	}
	if opts.Engine.OnCommit == nil {
		opts.Engine.OnCommit = h.commits.committed
	}
	log := storetest.Quiet()
	if h.logs != nil {
		log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := server.Open(context.Background(), cfg, log, opts)
	if err != nil {
		h.t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		h.t.Fatalf("start server: %v", err)
	}
	return srv
}

// stop shuts the server down; it is safe to call twice.
func (h *harness) stop() {
	if h.srv == nil {
		return
	}
	h.http.Close()
	if err := h.srv.Close(context.Background()); err != nil {
		h.t.Errorf("close server: %v", err)
	}
	h.srv = nil
}

// call sends a JSON request and decodes the JSON answer into out (when not nil); it returns the status.
func (h *harness) call(token, method, path string, body any, out any) int {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, h.http.URL+path, rd)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("read answer of %s %s: %v", method, path, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s answered %d with %q: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode
}

// must is call that fails the test unless the status is want.
func (h *harness) must(want int, token, method, path string, body any, out any) {
	h.t.Helper()
	var raw json.RawMessage
	got := h.call(token, method, path, body, &raw)
	if got != want {
		h.t.Fatalf("%s %s = %d, want %d; body %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

// createWorkflow posts a definition file or value, published.
func (h *harness) createWorkflow(def any) string {
	h.t.Helper()
	if path, ok := def.(string); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			h.t.Fatal(err)
		}
		def = b
	}
	var saved struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	h.must(http.StatusCreated, h.manager, "POST", "/api/workflows?publish=true", def, &saved)
	return saved.ID
}

func (h *harness) startRun(workflowID string, vars map[string]any) string {
	h.t.Helper()
	var out struct {
		ExecutionID string `json:"executionId"`
	}
	h.must(http.StatusAccepted, h.manager, "POST", "/api/workflows/"+workflowID+"/executions", map[string]any{"variables": vars}, &out)
	return out.ExecutionID
}

// execution is the API's WorkflowExecution.
type execution struct {
	ID              string              `json:"id"`
	WorkflowID      string              `json:"workflowId"`
	WorkflowVersion int                 `json:"workflowVersion"`
	Status          string              `json:"status"`
	CurrentStep     string              `json:"currentStep"`
	Variables       map[string]any      `json:"variables"`
	StepOutputs     map[string]any      `json:"stepOutputs"`
	ExecutionLog    []workflow.LogEntry `json:"executionLog"`
	Error           string              `json:"error"`
	FailedStep      string              `json:"failedStep"`
	WaitingUntil    *time.Time          `json:"waitingUntil"`
	Tasks           []task              `json:"tasks"`
	CompletedAt     *time.Time          `json:"completedAt"`
	Branches        []engine.Branch     `json:"branches"`
	Todos           []runTodo           `json:"todos"`
}

// runTodo is a CRM to-do of an execution, as the API shows it.
type runTodo struct {
	ID, Title, Status, Assignee string
	Waiting                     bool
}

type task struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Status      string         `json:"status"`
	Assignee    string         `json:"assignee"`
	StepID      string         `json:"stepId"`
	Values      map[string]any `json:"values"`
	CompletedBy string         `json:"completedBy"`
}

func (h *harness) get(id string) execution {
	h.t.Helper()
	var e execution
	h.must(http.StatusOK, h.manager, "GET", "/api/executions/"+id, nil, &e)
	return e
}

// waitFor polls an execution until cond holds (the engine works in the background).
func (h *harness) waitFor(id, what string, cond func(execution) bool) execution {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Listen before looking, so a commit between the look and the wait still wakes the wait. What does not
		// come from an engine commit (a start, a mail delivered) is seen by looking again every 50 ms.
		committed := h.commits.next()
		e := h.get(id)
		if cond(e) {
			return e
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("execution %s never became %s; it is %s at %s (error %q), log:\n%s", id, what, e.Status, e.CurrentStep, e.Error, logText(e))
		}
		select {
		case <-committed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (h *harness) waitStatus(id, status string) execution {
	h.t.Helper()
	return h.waitFor(id, status, func(e execution) bool { return e.Status == status })
}

// waitLog waits until the log has an entry for step with action.
func (h *harness) waitLog(id, step string, action workflow.LogAction) execution {
	h.t.Helper()
	return h.waitFor(id, fmt.Sprintf("logged %s %s", step, action), func(e execution) bool {
		return countLog(e, step, action) > 0
	})
}

func countLog(e execution, step string, action workflow.LogAction) int {
	n := 0
	for _, le := range e.ExecutionLog {
		if le.StepID == step && le.Action == action {
			n++
		}
	}
	return n
}

func logText(e execution) string {
	var b strings.Builder
	for _, le := range e.ExecutionLog {
		fmt.Fprintf(&b, "  %s %-22s %-9s %s\n", le.Timestamp.Format("15:04:05.000"), le.StepID, le.Action, le.Message)
	}
	return b.String()
}

// steps lists the step ids of log entries with the given action, in order.
func steps(e execution, action workflow.LogAction) []string {
	var out []string
	for _, le := range e.ExecutionLog {
		if le.Action == action {
			out = append(out, le.StepID)
		}
	}
	return out
}

// openTask finds the open task of an execution.
func (h *harness) openTask(id string) task {
	h.t.Helper()
	e := h.waitFor(id, "waiting on a task", func(e execution) bool {
		for _, t := range e.Tasks {
			if t.Status == "open" {
				return true
			}
		}
		return false
	})
	for _, t := range e.Tasks {
		if t.Status == "open" {
			return t
		}
	}
	panic("unreachable")
}

// examples is where the shared example workflows are.
func examples(name string) string {
	return filepath.Join("..", "..", "examples", name)
}

// flakyAction fails transiently a set number of times per step activation, then succeeds. It is registered
// only in tests.
type flakyAction struct {
	mu       sync.Mutex
	failures map[string]int // idempotency key → attempts so far
}

func (f *flakyAction) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{Name: "flaky", Title: "Flaky (tests)", Params: []workflow.ParamSpec{
		{Name: "failTimes", Kind: workflow.ParamNumber, Required: true, Description: "failures before success"},
	}}
}

func (f *flakyAction) Run(_ context.Context, in actions.Input) (actions.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[in.IdempotencyKey]++
	n := f.failures[in.IdempotencyKey]
	want, _ := in.Params["failTimes"].(float64)
	if float64(n) <= want {
		return actions.Result{}, workflow.Transient(workflow.ClassHTTP5xx, fmt.Errorf("the service answered 503 (call %d)", n))
	}
	return actions.Result{Output: map[string]any{"calls": n}, Message: fmt.Sprintf("succeeded on call %d", n)}, nil
}

// badRowAction asks to save a row the schema refuses (a CRM task with priority "urgent"). It is registered
// only in tests.
type badRowAction struct{}

func (badRowAction) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{Name: "bad_row", Title: "Bad row (tests)"}
}

func (badRowAction) Run(_ context.Context, in actions.Input) (actions.Result, error) {
	key := in.IdempotencyKey
	return actions.Result{Effects: []store.Effect{store.InsertOnce{UniqueColumn: "idempotency_key", Row: &store.CRMTask{
		ID: engine.NewID(), Title: "x", Priority: "urgent", Status: "open", IdempotencyKey: &key,
		CreatedAt: in.Now, UpdatedAt: in.Now}}}}, nil
}

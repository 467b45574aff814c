package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The page benchmarks measure the server time of the busiest pages — the inbox and the executions list — on
// a database the size of a busy sales team's after a year, through the real handler with a session, without
// the network. They run only with -bench, so their data generator costs nothing in `go test ./...`:
//
//	go test -run '^$' -bench Pages -benchtime 20x ./internal/server/

// pageVolume is how much the data generator stores.
type pageVolume struct {
	Reps           int // rep1@example.com … repN@example.com, who the open tasks and to-dos are spread over
	Workflows      int
	OpenTasks      int // each waits in a paused execution of its own
	CompletedTasks int // history: done tasks of completed executions
	Executions     int // all of them, the paused ones included
	Todos          int // open CRM to-dos
	// Teams are team1 … teamN; rep r is in the teams whose number is r mod 5 (4 of 20), and every fifth open
	// task (those rep5 would have had) waits unclaimed in a team's queue instead.
	Teams int
	// NoVacuum leaves a PostgreSQL database as the bulk load left it, before autovacuum: the worst case.
	NoVacuum bool
}

// busyTeam is the volume the page targets are set for: 10,000 open tasks (2,000 per rep) and 100,000
// executions.
var busyTeam = pageVolume{Reps: 5, Workflows: 5, OpenTasks: 10_000, CompletedTasks: 20_000, Executions: 100_000, Todos: 2_000, Teams: 20}

// pageData is what the generator made: the users by email and the workflows.
type pageData struct {
	Users     map[string]int64
	Workflows []string
}

// batch writes rows with multi-row INSERTs in one transaction: the fastest way in on both databases, without
// the engine.
type batch struct {
	tx    *store.Tx
	table string
	cols  []string
	rows  []any
	n     int
	// after is a batch whose rows these reference: it is written first.
	after *batch
}

// rowsPerInsert keeps every statement under SQLite's and PostgreSQL's parameter limits.
func (b *batch) rowsPerInsert() int { return max(1, 8000/len(b.cols)) }

func (b *batch) add(ctx context.Context, vals ...any) error {
	if len(vals) != len(b.cols) {
		return fmt.Errorf("insert into %s: %d values for %d columns", b.table, len(vals), len(b.cols))
	}
	b.rows = append(b.rows, vals...)
	b.n++
	if b.n >= b.rowsPerInsert() {
		return b.flush(ctx)
	}
	return nil
}

func (b *batch) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	if b.after != nil {
		if err := b.after.flush(ctx); err != nil {
			return err
		}
	}
	if err := b.tx.InsertRows(ctx, b.table, b.cols, b.rows); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", b.n, b.table, err)
	}
	b.rows, b.n = b.rows[:0], 0
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// seedPages fills a migrated database whose users and workflows exist with executions, tasks and to-dos,
// directly in bulk. Times spread over the 90 days before now; a third of the dated open tasks
// are overdue, a tenth have no due date.
func seedPages(ctx context.Context, db *store.DB, now time.Time, v pageVolume, d pageData) error {
	err := db.Tx(ctx, func(tx *store.Tx) error { return seedPagesTx(ctx, tx, now, v, d) })
	if err != nil {
		return err
	}
	if !v.NoVacuum {
		// What autovacuum does to a table that grew by inserts (PostgreSQL; nothing on SQLite).
		err = db.Analyze(ctx)
	}
	return err
}

func seedPagesTx(ctx context.Context, tx *store.Tx, now time.Time, v pageVolume, d pageData) error {
	execs := &batch{tx: tx, table: "executions", cols: []string{"id", "workflow_id",
		"workflow_version", "status", "started_at", "completed_at", "updated_at", "current_step", "variables",
		"outputs", "state", "error", "failed_step", "waiting_until", "trigger_type", "trigger_ref", "started_by",
		"revision", "subject_entity", "subject_id", "subject_label", "business_keys"}}
	terms := &batch{tx: tx, table: "execution_terms", cols: []string{"term", "execution_id"}, after: execs}
	tasks := &batch{tx: tx, table: "human_tasks", cols: []string{"id", "execution_id",
		"workflow_id", "step_id", "activation", "assignee", "assignee_id", "title", "description", "form_fields",
		"due_at", "status", `"values"`, "completed_by", "completed_at", "created_at", "updated_at", "team"}, after: execs}
	todos := &batch{tx: tx, table: "crm_tasks", cols: []string{"id", "title", "description",
		"assignee_id", "priority", "due_at", "status", "step_id", "created_at", "updated_at"}}
	g := &history{rng: rand.New(rand.NewPCG(1, 2)), now: now, v: v, d: d,
		form: mustJSON([]workflow.FormField{{Name: "callDate", Type: "datetime", Required: true}, {Name: "agenda", Type: "text"},
			{Name: "outcome", Type: "select", Options: []string{"booked", "declined", "no answer"}}})}
	for t := 1; t <= v.Teams; t++ {
		var members []int64
		for r := 1; r <= v.Reps; r++ {
			if t%5 == r%5 {
				members = append(members, d.Users[fmt.Sprintf("rep%d@example.com", r)])
			}
		}
		if _, err := tx.Teams().PutTeam(ctx, fmt.Sprintf("team%d", t), "", members, now); err != nil {
			return err
		}
	}
	for i := range v.Executions {
		exec, task, words := g.execution(i)
		if err := execs.add(ctx, exec...); err != nil {
			return err
		}
		for _, w := range words {
			if err := terms.add(ctx, w, exec[0]); err != nil {
				return err
			}
		}
		if task != nil {
			if err := tasks.add(ctx, task...); err != nil {
				return err
			}
		}
	}
	for i := range v.Todos {
		due := now.Add(time.Duration(g.rng.Int64N(int64(20*24*time.Hour))) - 5*24*time.Hour).Truncate(time.Second)
		created := now.Add(-time.Duration(g.rng.Int64N(int64(historySpan))))
		if err := todos.add(ctx, engine.NewID(), fmt.Sprintf("Call back Bistro %d", i), "They asked about the spring menu",
			d.Users[g.rep(i)], []string{"low", "medium", "high"}[i%3], due, "open", "", created, created); err != nil {
			return err
		}
	}
	for _, b := range []*batch{execs, tasks, todos, terms} {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// historySpan is how far back the generated history goes.
const historySpan = 90 * 24 * time.Hour

// history makes the rows of generated executions, deterministically.
type history struct {
	rng       *rand.Rand
	now       time.Time
	v         pageVolume
	d         pageData
	form      string // the form fields of every task
	doneTasks int
}

func (g *history) rep(i int) string { return fmt.Sprintf("rep%d@example.com", i%g.v.Reps+1) }

// execution is the i-th execution's row and, when it has one, its task's: the first OpenTasks wait on an
// open task; of the rest 12 % failed, 5 % were cancelled, 8 % wait on a delay and 70 % completed, the first
// CompletedTasks of those with a done task. Each is about lead i ("Lead i, Bistro i mod 997", id
// lead-00000i, email leadi@example.org), with its email as a business key; words are its search terms.
func (g *history) execution(i int) (exec, task []any, words []string) {
	started := g.now.Add(-time.Duration(g.rng.Int64N(int64(historySpan)))).Truncate(time.Millisecond)
	wf, id, owner := g.d.Workflows[i%len(g.d.Workflows)], engine.NewID(), g.rep(i)
	vars := map[string]any{"lead": map[string]any{"id": fmt.Sprintf("lead-%06d", i), "firstName": "Lead", "lastName": strconv.Itoa(i),
		"email": fmt.Sprintf("lead%d@example.org", i), "company": map[string]any{"name": fmt.Sprintf("Bistro %d", i%997)},
		"assignedTo": owner, "score": i % 100, "status": "qualified", "lastInteraction": started.Add(-48 * time.Hour)}}
	outputs := map[string]any{"welcome_email": map[string]any{"mailId": engine.NewID(), "to": fmt.Sprintf("lead%d@example.org", i),
		"subject": "Welcome to Kitchen Pantry, Lead"}}
	state := engine.State{Seq: 3, NextID: 2, Branches: []engine.Branch{}}
	var (
		status, step, errText, failed string
		completed, waiting            any
	)
	switch {
	case i < g.v.OpenTasks:
		// Waiting on its open task; newer than most.
		started = g.now.Add(-time.Duration(g.rng.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Millisecond)
		status, step = string(workflow.StatusPaused), "schedule_call"
		taskID := engine.NewID()
		state.Branches = []engine.Branch{{ID: 1, Step: step, State: engine.BranchWaiting, Wait: engine.WaitTask,
			Activation: 3, TaskID: taskID, EnteredAt: started.Add(time.Minute)}}
		var due any
		if i%10 != 0 {
			due = g.now.Add(time.Duration(g.rng.Int64N(int64(30*24*time.Hour))) - 10*24*time.Hour).Truncate(time.Second)
		}
		var assignee, assigneeID, team any = owner, g.d.Users[owner], nil
		if g.v.Teams > 0 && i%5 == 4 {
			assignee, assigneeID, team = "", nil, fmt.Sprintf("team%d", (i/5)%g.v.Teams+1)
		}
		task = []any{taskID, id, wf, step, 3, assignee, assigneeID, "Schedule Discovery Call",
			fmt.Sprintf("Schedule a discovery call with Lead %d of Bistro %d", i, i%997), g.form, due, "open", nil, "", nil,
			started.Add(time.Minute), started.Add(time.Minute), team}
	case i%100 < 12:
		status, step, failed = string(workflow.StatusFailed), "welcome_email", "welcome_email"
		errText = fmt.Sprintf(`Step "Send Welcome Email" (welcome_email) failed: send_email: recipient "lead%d@" is not an email address`, i)
		completed = started.Add(2 * time.Second)
		state.Branches = []engine.Branch{{ID: 1, Step: step, State: engine.BranchFailed, Activation: 1, EnteredAt: started}}
	case i%100 < 17:
		status, completed = string(workflow.StatusCancelled), started.Add(26*time.Hour)
	case i%100 < 25:
		status, step = string(workflow.StatusRunning), "wait_3_days"
		wake := started.Add(72 * time.Hour)
		waiting = wake
		state.Branches = []engine.Branch{{ID: 1, Step: step, State: engine.BranchWaiting, Wait: engine.WaitDelay,
			WakeAt: &wake, Activation: 2, EnteredAt: started.Add(time.Second)}}
	default:
		status, completed = string(workflow.StatusCompleted), started.Add(73*time.Hour)
		outputs["schedule_call"] = map[string]any{"callDate": started.Add(96 * time.Hour).Format(time.RFC3339), "agenda": "menu planning"}
		if g.doneTasks < g.v.CompletedTasks {
			g.doneTasks++
			done := started.Add(73 * time.Hour)
			task = []any{engine.NewID(), id, wf, "schedule_call", 3, owner, g.d.Users[owner], "Schedule Discovery Call",
				"Schedule a discovery call with engaged lead", g.form, done.Add(24 * time.Hour), "completed",
				mustJSON(outputs["schedule_call"]), owner, done, started.Add(72 * time.Hour), done, nil}
		}
	}
	lead := vars["lead"].(map[string]any)
	label, email := workflow.RecordLabel(lead), lead["email"].(string)
	exec = []any{id, wf, 1, status, started, completed, started, step, mustJSON(vars), mustJSON(outputs),
		mustJSON(state), errText, failed, waiting, "event", "lead.qualified", "", 4,
		"lead", lead["id"], label, mustJSON(map[string]string{"Lead email": email})}
	return exec, task, store.SearchTerms(label, email)
}

// pagesServer is Pantryflow on a generated database, with a signed-in session per user, ready to serve pages
// straight from its handler.
type pagesServer struct {
	srv      *server.Server
	handler  http.Handler
	sessions map[string][]*http.Cookie
}

// openPagesServer opens Pantryflow on dbURL (the engine is not started: nothing runs beside the pages),
// makes the users and workflows, generates the data and signs everyone in.
func openPagesServer(tb testing.TB, dbURL string, v pageVolume) *pagesServer {
	tb.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DatabaseURL = dbURL
	srv, err := server.Open(ctx, cfg, storetest.Quiet(), server.Options{})
	if err != nil {
		tb.Fatalf("open server: %v", err)
	}
	tb.Cleanup(func() { _ = srv.Close(context.Background()) })
	const password = "correct horse battery"
	d := pageData{Users: map[string]int64{}}
	emails := []string{"manager@example.com"}
	for i := range v.Reps {
		emails = append(emails, fmt.Sprintf("rep%d@example.com", i+1))
	}
	for _, email := range emails {
		role := auth.RoleRep
		if strings.HasPrefix(email, "manager") {
			role = auth.RoleManager
		}
		u, err := srv.App.Auth.CreateUser(ctx, email, strings.Split(email, "@")[0], role, password)
		if err != nil {
			tb.Fatalf("create %s: %v", email, err)
		}
		d.Users[email] = u.ID
	}
	token, err := srv.App.Auth.CreateToken(ctx, "manager@example.com", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	names := []string{"Lead Nurture Sequence", "Opportunity Pipeline", "Won Deal Onboarding", "Renewal Reminder",
		"Inbound Demo Request", "Trade Show Follow-up", "Win-back Campaign"}
	for i := range v.Workflows {
		body := mustJSON(def(names[i%len(names)]+" "+strconv.Itoa(i+1), map[string]any{"id": "schedule_call",
			"name": "Schedule Discovery Call", "type": "human_task", "nextSteps": []string{},
			"configuration": map[string]any{"assignee": "rep1@example.com", "title": "Schedule Discovery Call",
				"formFields": []map[string]any{{"name": "note", "type": "text"}}}}))
		req := httptest.NewRequest(http.MethodPost, "/api/workflows?publish=true", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Web.Handler().ServeHTTP(rec, req)
		var saved struct {
			ID string `json:"id"`
		}
		if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &saved) != nil {
			tb.Fatalf("create workflow: %d %s", rec.Code, rec.Body)
		}
		d.Workflows = append(d.Workflows, saved.ID)
	}
	began := time.Now()
	if err := seedPages(ctx, srv.DB, time.Now().UTC(), v, d); err != nil {
		tb.Fatalf("generate page data: %v", err)
	}
	tb.Logf("%s: generated %d executions, %d open tasks, %d done tasks and %d to-dos in %s", srv.DB.Dialect,
		v.Executions, v.OpenTasks, v.CompletedTasks, v.Todos, time.Since(began).Round(time.Millisecond))

	// Sign in through the pages, as a browser would; the recorder requests then carry the cookies.
	ps := &pagesServer{srv: srv, handler: srv.Web.Handler(), sessions: map[string][]*http.Cookie{}}
	hs := httptest.NewServer(ps.handler)
	defer hs.Close()
	for _, email := range emails {
		ps.sessions[email] = signIn(tb, hs.URL, email, password)
	}
	return ps
}

// signIn signs in through the sign-in form at base and returns the session's cookies.
func signIn(tb testing.TB, base, email, password string) []*http.Cookie {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	res.Body.Close()
	if err != nil {
		tb.Fatal(err)
	}
	csrf, _ := doc.Find(`input[name="_csrf"]`).Attr("value")
	res, err = client.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}, "_csrf": {csrf}})
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign in as %s: %d", email, res.StatusCode)
	}
	u, _ := url.Parse(base)
	return jar.Cookies(u)
}

// get serves one page from the handler.
func (ps *pagesServer) get(email, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range ps.sessions[email] {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	ps.handler.ServeHTTP(rec, req)
	return rec
}

// benchPages are the pages measured, who asks, the rows of the first page and the total it must say (of
// busyTeam's data; 10,800 of the 90,000 executions without an open task failed, and the executions page
// stops counting past 10,000).
var benchPages = []struct {
	name, email, path, rows, says string
	want                          int // rows on the page; 0 means a full first page of 50
}{
	{"inbox/rep", "rep1@example.com", "/inbox", "#tasks tbody tr", "2000 tasks and 400 to-dos", 0},
	{"inbox/team", "manager@example.com", "/inbox?whose=team", "#tasks tbody tr", "10000 tasks and 2000 to-dos", 0},
	// rep1's teams' queues: 4 of the 20 teams, 100 of the 2,000 queued tasks each.
	{"inbox/queue", "rep1@example.com", "/inbox?queue=team", "#tasks tbody tr", "400 tasks and 0 to-dos", 0},
	{"inbox/everyone", "manager@example.com", "/inbox?queue=all", "#tasks tbody tr", "10000 tasks and 2000 to-dos", 0},
	{"executions", "manager@example.com", "/executions", "#executions tbody tr", "more than 10000 executions", 0},
	{"executions/failed", "manager@example.com", "/executions?status=failed", "#executions tbody tr", "more than 10000 executions", 0},
	// Found by a lead's email, by its name (every run's label has "lead"; 4242 starts 11 of the numbers), and
	// by the record itself (issue 14: under 100 ms of server time among 100,000 runs).
	{"executions/search-email", "manager@example.com", "/executions?q=lead4242@example.org", "#executions tbody tr", "1 execution", 1},
	{"executions/search-name", "manager@example.com", "/executions?q=lead+4242", "#executions tbody tr", "11 executions", 11},
	{"executions/subject", "manager@example.com", "/executions?subject=lead:lead-004242", "#executions tbody tr", "1 execution", 1},
	{"executions/search-broad", "manager@example.com", "/executions?q=lead", "#executions tbody tr", "more than 10000 executions", 0},
}

// TestPagesExecutionCountStopsWhereAsked checks the capped count the executions page relies on, on a small
// generated history.
func TestPagesExecutionCountStopsWhereAsked(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		ps := openPagesServer(t, dbURL, pageVolume{Reps: 2, Workflows: 2, OpenTasks: 4, Executions: 100})
		ctx := context.Background()
		for _, c := range []struct {
			f          app.ExecutionFilter
			rows, want int64
		}{
			{app.ExecutionFilter{}, 50, 100},
			{app.ExecutionFilter{CountUpTo: 30}, 50, 30},
			{app.ExecutionFilter{CountUpTo: 1000}, 50, 100},
			{app.ExecutionFilter{Status: "failed"}, 8, 8},
			{app.ExecutionFilter{Status: "failed", CountUpTo: 5, Page: app.Page{Limit: 3}}, 3, 5},
			{app.ExecutionFilter{Status: "paused", CountUpTo: 5}, 4, 4},
		} {
			items, total, err := ps.srv.App.ListExecutions(ctx, &app.Actor{Role: auth.RoleManager}, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(items)) != c.rows || total != c.want {
				t.Errorf("ListExecutions(%+v) = %d rows of %d, want %d of %d", c.f, len(items), total, c.rows, c.want)
			}
		}
	})
}

func BenchmarkPages(b *testing.B) {
	unvacuumed := busyTeam
	unvacuumed.NoVacuum = true
	for _, db := range []struct {
		name   string
		url    func(testing.TB) string
		volume pageVolume
	}{
		{"sqlite", storetest.SQLiteURL, busyTeam},
		{"postgres", storetest.PostgresURL, busyTeam},
		// Right after the bulk load, before autovacuum has run: the worst case for COUNT(*).
		{"postgres-unvacuumed", storetest.PostgresURL, unvacuumed},
	} {
		b.Run(db.name, func(b *testing.B) {
			ps := openPagesServer(b, db.url(b), db.volume)
			for _, p := range benchPages {
				b.Run(p.name, func(b *testing.B) {
					rec := ps.get(p.email, p.path)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s = %d: %.300s", p.path, rec.Code, rec.Body)
					}
					doc, err := goquery.NewDocumentFromReader(rec.Body)
					if err != nil {
						b.Fatal(err)
					}
					want := p.want
					if want == 0 {
						want = 50
					}
					if n := doc.Find(p.rows).Length(); n != want || !strings.Contains(doc.Find("main").Text(), p.says) {
						b.Fatalf("GET %s shows %d rows and not %q; want %d", p.path, n, p.says, want)
					}
					b.ResetTimer()
					for b.Loop() {
						if rec := ps.get(p.email, p.path); rec.Code != http.StatusOK {
							b.Fatalf("GET %s = %d", p.path, rec.Code)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
				})
			}
		})
	}
}

package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// gate holds whoever waits on it until it is opened.
type gate struct {
	once    sync.Once
	open    chan struct{}
	arrived chan struct{}
}

func newGate() *gate { return &gate{open: make(chan struct{}), arrived: make(chan struct{}, 1000)} }

func (g *gate) wait(ctx context.Context) {
	g.arrived <- struct{}{}
	select {
	case <-g.open:
	case <-ctx.Done():
	}
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// awaitArrivals waits until n callers wait at the gate.
func (g *gate) awaitArrivals(t *testing.T, n int, what string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for range n {
		select {
		case <-g.arrived:
		case <-deadline:
			t.Fatalf("fewer than %d %s arrived", n, what)
		}
	}
}

// holdingMailServer accepts mail, but holds every delivery at RCPT — before it has the message, so a
// delivery interrupted there cannot have reached anyone — until the gate is released.
func holdingMailServer(t *testing.T, g *gate) *mailertest.Server {
	return mailertest.Start(t, mailertest.Options{Refuse: func(cmd mailertest.Command, _ int) error {
		if cmd == mailertest.CmdRcpt {
			g.wait(context.Background())
		}
		return nil
	}})
}

func mailStep(id string, next ...string) map[string]any {
	return map[string]any{"id": id, "name": "Welcome mail", "type": "action", "nextSteps": orEmpty(next),
		"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
			"template": "welcome_qualified_lead", "recipient": "lead@example.com",
			"data": map[string]any{"firstName": "Jane", "companyName": "Acme"}}}}
}

// takeoverProc is the real binary on url, with mail going to smtpURL and a dead instance noticed after 3 s.
func takeoverProc(t *testing.T, url, smtpURL string) *proc {
	p := newProc(t, pantryflowBinary(t), url)
	p.env = append(p.env, "PANTRYFLOW_SMTP_URL="+smtpURL, "PANTRYFLOW_DEAD_AFTER=3s", "PANTRYFLOW_TIMER_INTERVAL=100ms",
		"PANTRYFLOW_HTTP_ALLOW=127.0.0.1")
	return p
}

func (p *proc) logOnFailure(name string) {
	if p.t.Failed() {
		p.t.Logf("%s:\n%s", name, tail(p.logs.String()))
	}
}

// killDuringAMail makes an admin, starts the process, runs a one-mail workflow, kills the process while the
// mail server holds the delivery at g, releases it and starts the process again; it returns the admin's
// token and when the restarted process was ready.
func (p *proc) killDuringAMail(g *gate) (token string, restarted time.Time) {
	p.t.Helper()
	p.run("correct horse battery\n", "user", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin")
	token = p.run("", "token", "create", "--email", "admin@example.com")
	p.start()
	code, saved := p.api(token, "POST", "/api/workflows?publish=true", def("Welcome", mailStep("mail")))
	if code != http.StatusCreated {
		p.t.Fatalf("create workflow: %d %v", code, saved)
	}
	if code, out := p.api(token, "POST", "/api/workflows/"+saved["id"].(string)+"/executions", map[string]any{}); code != http.StatusAccepted {
		p.t.Fatalf("start: %d %v", code, out)
	}
	g.awaitArrivals(p.t, 1, "deliveries")
	p.kill()
	g.release()
	p.start()
	return token, time.Now()
}

// A process killed while it delivers a mail (the server has not accepted it yet): after the restart the
// mail goes out within a minute — on SQLite at once, on PostgreSQL once the dead process's heartbeat is
// old — instead of after River's ten-minute rescue.
func TestAMailInterruptedByAKillIsDeliveredSoonAfterTheRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the real binary; skipped with -short")
	}
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		g := newGate()
		sink := holdingMailServer(t, g)
		p := takeoverProc(t, url, sink.URL())
		defer p.logOnFailure("pantryflow")
		token, restarted := p.killDuringAMail(g)
		deadline := restarted.Add(60 * time.Second)
		for len(sink.Messages()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the mail interrupted by the kill was not delivered within 60 s of the restart")
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("delivered %s after the restart", time.Since(restarted).Round(10*time.Millisecond))
		for {
			_, out := p.api(token, "GET", "/api/outbox", nil)
			items, _ := out["items"].([]any)
			if len(items) == 1 && items[0].(map[string]any)["status"] == store.MailSent {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the outbox says %v", out)
			}
			time.Sleep(50 * time.Millisecond)
		}
		p.stop()
	})
}

// Three instances on PostgreSQL; one is killed for good while it holds runs waiting on a slow API and
// mails the mail server holds. The other two take its work over within a minute: every run completes,
// each step once, each mail delivered once.
func TestLiveInstancesTakeOverTheWorkOfOneKilledForGood(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three real processes; skipped with -short")
	}
	t.Parallel()
	url := storetest.PostgresURL(t)
	mails := newGate()
	sink := holdingMailServer(t, mails)
	calls := newGate()
	var called atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called.Add(1)
		calls.wait(r.Context())
	}))
	defer api.Close()
	a, b, c := takeoverProc(t, url, sink.URL()), takeoverProc(t, url, sink.URL()), takeoverProc(t, url, sink.URL())
	// B and C act as instances on other machines: they cannot ask the kernel about A, only its heartbeat.
	for _, p := range []*proc{b, c} {
		p.env = append(p.env, "PANTRYFLOW_SAME_MACHINE_TAKEOVER=off")
	}
	a.run("correct horse battery\n", "user", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin")
	token := a.run("", "token", "create", "--email", "admin@example.com")
	a.start()
	defer a.logOnFailure("instance A")
	defer b.logOnFailure("instance B")
	defer c.logOnFailure("instance C")

	code, slow := a.api(token, "POST", "/api/workflows?publish=true", def("Slow API then mail",
		map[string]any{"id": "call", "name": "Call", "type": "action", "nextSteps": []string{"mail"},
			"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": api.URL, "timeout": 60}}},
		mailStep("mail")))
	if code != http.StatusCreated {
		t.Fatalf("create workflow: %d %v", code, slow)
	}
	code, mailOnly := a.api(token, "POST", "/api/workflows?publish=true", def("Mail only", mailStep("mail")))
	if code != http.StatusCreated {
		t.Fatalf("create workflow: %d %v", code, mailOnly)
	}
	const perKind = 4
	var runs []string
	for _, wf := range []string{slow["id"].(string), mailOnly["id"].(string)} {
		for range perKind {
			code, out := a.api(token, "POST", "/api/workflows/"+wf+"/executions", map[string]any{})
			if code != http.StatusAccepted {
				t.Fatalf("start: %d %v", code, out)
			}
			runs = append(runs, out["executionId"].(string))
		}
	}
	// A alone holds the work: the calls wait at the API, the mails at the mail server.
	calls.awaitArrivals(t, perKind, "API calls")
	mails.awaitArrivals(t, 1, "deliveries")
	b.start()
	c.start()
	a.kill()
	killed := time.Now()
	calls.release()
	mails.release()

	db, err := store.Open(context.Background(), url, storetest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := killed.Add(60 * time.Second)
	for {
		done, err := db.Executions().CountByStatus(context.Background(), "completed")
		if err != nil {
			t.Fatal(err)
		}
		if int(done) == len(runs) && len(sink.Messages()) >= len(runs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("60 s after the kill, %d of %d runs completed and %d mails were delivered", done, len(runs), len(sink.Messages()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the work of the killed instance finished %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	b.stop()
	c.stop()

	counts, err := db.Executions().StepLogCounts(context.Background(), "completed")
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != perKind*3 {
		t.Fatalf("%d steps completed, want %d", len(counts), perKind*3)
	}
	for _, n := range counts {
		if n.N != 1 {
			t.Fatalf("run %s step %s completed %d times", n.ExecutionID, n.StepID, n.N)
		}
	}
	if got := len(sink.Messages()); got != len(runs) {
		t.Fatalf("the mail server accepted %d mails for %d runs: a mail was sent twice", got, len(runs))
	}
}

// Found by pantryflow chaos: with instances restarted on the same machine, a run hit by several kills
// waited DEAD_AFTER for each (a run took 94 s). A process that starts where the killed one ran (the same
// kernel and pid namespace) asks the kernel, sees its predecessor is gone and takes its jobs over at once:
// here the dead instance's heartbeat would be trusted for a minute, and the mail still goes out within
// seconds of the restart.
func TestARestartOnTheSameMachineTakesOverAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the real binary; skipped with -short")
	}
	t.Parallel()
	url := storetest.PostgresURL(t)
	g := newGate()
	sink := holdingMailServer(t, g)
	p := takeoverProc(t, url, sink.URL())
	p.env = append(p.env, "PANTRYFLOW_DEAD_AFTER=60s")
	defer p.logOnFailure("pantryflow")
	_, restarted := p.killDuringAMail(g)
	for len(sink.Messages()) == 0 {
		if time.Since(restarted) > 20*time.Second {
			t.Fatal("20 s after the restart the mail was not delivered: the new process waited for the dead one's heartbeat")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("delivered %s after the restart", time.Since(restarted).Round(10*time.Millisecond))
	p.stop()
	if got := len(sink.Messages()); got != 1 {
		t.Fatalf("the mail server accepted %d mails, want 1", got)
	}
}

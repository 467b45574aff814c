package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The chaos command at CI's scale: the real binary, three instances on PostgreSQL and one on SQLite, 100
// runs each, 20 SIGKILLs (and on PostgreSQL 20 terminations of every connection). Nothing may be lost,
// repeated or stuck, and no run may wait a minute on the faults.
func TestChaosSmallScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "pantryflow")
	// The binary as shipped: without the race detector even when the tests run under it (GOFLAGS=-race).
	build := exec.Command("go", "build", "-o", bin, "../../cmd/pantryflow")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name         string
		url          func(t *testing.T) string
		terminations int
	}{
		{"sqlite", func(*testing.T) string { return "" }, 0},
		{"postgres", func(t *testing.T) string { return storetest.PostgresServer(t) }, 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var progress strings.Builder
			r, err := Run(context.Background(), Options{Binary: bin, DatabaseURL: c.url(t), Runs: 100, Kills: 20,
				Terminations: c.terminations, Duration: 20 * time.Second, Settle: 90 * time.Second, DeadAfter: 3 * time.Second,
				Progress: &progress})
			if err != nil {
				t.Fatalf("%v\n%s", err, progress.String())
			}
			var out strings.Builder
			r.Write(&out)
			t.Log("\n" + out.String())
			if p := r.Problems(); len(p) > 0 {
				t.Fatalf("chaos found: %s", strings.Join(p, "; "))
			}
			if r.Started != 100 || r.Completed != 100 {
				t.Fatalf("%d runs started and %d completed, want 100 of each", r.Started, r.Completed)
			}
			if r.StepsCompleted != 100*len(workflowSteps) || r.MailsDelivered != 100 {
				t.Fatalf("%d steps completed and %d mails delivered for 100 runs", r.StepsCompleted, r.MailsDelivered)
			}
			if r.Kills != 20 || r.Terminations != c.terminations {
				t.Fatalf("%d kills and %d terminations happened, want 20 and %d", r.Kills, r.Terminations, c.terminations)
			}
			// The test is only worth something if the kills land while runs are running.
			if r.KillsInFlight < 10 {
				t.Fatalf("only %d of 20 kills hit running runs; the test needs at least 10", r.KillsInFlight)
			}
			if !r.Settled || r.SettledAfterLastFault > time.Minute {
				t.Fatalf("the runs finished %s after the last fault, want within a minute", r.SettledAfterLastFault)
			}
		})
	}
}

// The report's checks can fail: against an API that answers what a broken engine would have done — a run
// lost, a step and its join done twice, a mail sent twice with no word of it, a run never finished, a mail
// never sent — every one of them is counted and named.
func TestTheReportFindsWhatABrokenEngineDid(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	done := at.Add(90 * time.Second)
	entry := func(step, action string) map[string]string {
		return map[string]string{"stepId": step, "action": action}
	}
	completedLog := func(extra ...map[string]string) []map[string]string {
		var l []map[string]string
		for _, s := range workflowSteps {
			l = append(l, entry(s, "completed"))
		}
		return append(l, extra...)
	}
	executions := map[string]map[string]any{
		"twice":   {"id": "twice", "status": "completed", "startedAt": at, "completedAt": at.Add(3 * time.Second), "executionLog": completedLog(entry(stepFanOut, "completed"))},
		"slow":    {"id": "slow", "status": "completed", "startedAt": at, "completedAt": done, "executionLog": completedLog()},
		"stuck":   {"id": "stuck", "status": "running", "currentStep": stepMail, "startedAt": at, "executionLog": []map[string]string{entry(stepFanOut, "started")}},
		"no-mail": {"id": "no-mail", "status": "completed", "startedAt": at, "completedAt": at.Add(2 * time.Second), "executionLog": completedLog()},
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/executions":
			_ = json.NewEncoder(w).Encode(map[string]any{"total": len(executions) + 1}) // one run nobody started
		case strings.HasPrefix(r.URL.Path, "/api/executions/"):
			e, ok := executions[strings.TrimPrefix(r.URL.Path, "/api/executions/")]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"error": "no such execution"}`))
				return
			}
			_ = json.NewEncoder(w).Encode(e)
		case r.URL.Path == "/api/outbox":
			_ = json.NewEncoder(w).Encode(map[string]any{"items": []map[string]any{
				{"executionId": "twice", "stepId": stepMail, "status": "sent", "possiblyDuplicated": false},
				{"executionId": "slow", "stepId": stepMail, "status": "sent"}, {"executionId": "slow", "stepId": stepMail, "status": "sent"},
				// The rep's notification of the review task is not the run's welcome mail.
				{"executionId": "twice", "stepId": stepReview, "status": "sent"},
			}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	in := &instance{addr: strings.TrimPrefix(api.URL, "http://"), up: true}
	r := &Report{runs: []run{{id: "twice", email: "a@example.com"}, {id: "slow", email: "b@example.com"},
		{id: "stuck", email: "c@example.com"}, {id: "no-mail", email: "d@example.com"}, {id: "gone", email: "e@example.com"}}}
	c := &shaker{r: r, api: newClient("token", []*instance{in})}
	mail := func(to, id string) mailertest.Message {
		return mailertest.Message{To: []string{to}, Data: []byte(fmt.Sprintf("Message-Id: <%s@pantryflow>\r\nSubject: Welcome\r\n\r\nHello\r\n", id))}
	}
	accepted := acceptedMails([]mailertest.Message{mail("a@example.com", "m1"), mail("a@example.com", "m1"), mail("b@example.com", "m2")})
	if err := c.collect(context.Background(), accepted); err != nil {
		t.Fatal(err)
	}
	want := []string{"1 runs lost", "1 runs started twice", "1 runs stuck", "1 steps repeated", "1 joins run twice",
		"1 mails lost", "1 mails queued twice", `1 mails sent twice without "may have been sent twice" in the outbox`,
		"a run waited 1m29s on the faults, more than a minute"}
	got := r.Problems()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the report found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.SlowestRun != "slow" || r.MailsDelivered != 2 {
		t.Fatalf("slowest run %q, %d mails delivered; want slow and 2", r.SlowestRun, r.MailsDelivered)
	}
	var out strings.Builder
	r.Write(&out)
	if !strings.Contains(out.String(), "PROBLEMS: 1 runs lost") || !strings.Contains(out.String(), "run stuck is still running at welcome") {
		t.Fatalf("the written report does not name the problems:\n%s", out.String())
	}
}

// Options that cannot work are refused before anything starts, in words that say what to change.
func TestOptionsThatCannotWorkAreRefused(t *testing.T) {
	for _, c := range []struct {
		o    Options
		says string
	}{
		{Options{Binary: "x", Runs: 1, Instances: 3}, "SQLite lets one process own the file"},
		{Options{Binary: "x", Runs: 1, Terminations: 2}, "connection terminations need PostgreSQL"},
		{Options{Binary: "x", Runs: 0}, "--runs must be at least 1"},
		{Options{Binary: "x", Runs: 1, Kills: -1}, "cannot be negative"},
		{Options{Runs: 1}, "no pantryflow binary"},
	} {
		_, err := Run(context.Background(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: got %v, want an error saying %q", c.o, err, c.says)
		}
	}
}

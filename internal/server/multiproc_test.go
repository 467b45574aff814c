package server_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

func newProc(t *testing.T, bin, url string) *proc {
	p := &proc{t: t, bin: bin, addr: freeAddr(t), logs: &bytes.Buffer{}}
	p.env = append(os.Environ(), "PANTRYFLOW_DATABASE_URL="+url, "PANTRYFLOW_ADDR="+p.addr,
		"PANTRYFLOW_LOG_LEVEL=warn", "PANTRYFLOW_ADMIN_EMAIL=", "PANTRYFLOW_ADMIN_PASSWORD=")
	return p
}

// Two real `pantryflow serve` processes on one PostgreSQL database, each with its scheduler: a schedule
// firing every two seconds fires exactly once per tick.
func TestTwoProcessesFireAScheduleOncePerTick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real processes for 14 seconds; skipped with -short")
	}
	t.Parallel()
	bin := pantryflowBinary(t)
	url := storetest.PostgresURL(t)
	a, b := newProc(t, bin, url), newProc(t, bin, url)
	a.run("correct horse battery\n", "user", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin")
	token := a.run("", "token", "create", "--email", "admin@example.com")
	a.start()
	b.start()
	defer func() {
		if t.Failed() {
			t.Logf("process A:\n%s\nprocess B:\n%s", tail(a.logs.String()), tail(b.logs.String()))
		}
	}()
	code, out := a.api(token, "POST", "/api/workflows?publish=true", withTrigger(def("Every two seconds", setVar("only", "x", 1)),
		"scheduled", map[string]any{"cron": "@every 2s"}))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	time.Sleep(14 * time.Second)
	a.stop()
	b.stop()

	db, err := store.Open(context.Background(), url, storetest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fires, err := db.Triggers().AllFires(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runs, err := db.CountRows(context.Background(), &store.Execution{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fires) < 5 || int(runs) != len(fires) {
		t.Fatalf("%d fires and %d runs in 14 s; want at least 5 fires, one run each", len(fires), runs)
	}
	seen := map[string]bool{}
	for i, f := range fires {
		if f.ExecutionID == nil || seen[*f.ExecutionID] {
			t.Fatalf("fire %v has execution %v (missing or shared)", f.ScheduledFor, f.ExecutionID)
		}
		seen[*f.ExecutionID] = true
		if i > 0 && f.ScheduledFor.Sub(fires[i-1].ScheduledFor) != 2*time.Second {
			t.Fatalf("fires %v and %v are not one tick apart: a tick was missed or fired twice", fires[i-1].ScheduledFor, f.ScheduledFor)
		}
	}
}

// SQLite allows one process per database file: a second serve is refused with a message saying why.
func TestASecondProcessOnOneSQLiteFileIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	t.Parallel()
	bin := pantryflowBinary(t)
	url := storetest.SQLiteURL(t)
	first := newProc(t, bin, url)
	first.start()
	defer first.stop()

	second := newProc(t, bin, url)
	cmd := exec.Command(bin, "serve")
	cmd.Env = second.env
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the second process started:\n%s", out)
	}
	if !strings.Contains(string(out), "another Pantryflow process") || !strings.Contains(string(out), "use PostgreSQL") {
		t.Fatalf("the second process said:\n%s", out)
	}
	res, err := http.Get("http://" + first.addr + "/readyz")
	if err != nil {
		t.Fatalf("the first process stopped serving: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the first process is not ready: %d", res.StatusCode)
	}
}

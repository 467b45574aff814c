package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// pantryflowBinary builds cmd/pantryflow once per test run.
func pantryflowBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pantryflow-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "pantryflow")
		// The binary as shipped: without the race detector even when the tests run under it (GOFLAGS=-race).
		build := exec.Command("go", "build", "-o", binary, "../../cmd/pantryflow")
		build.Env = append(os.Environ(), "GOFLAGS=")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// proc is the real pantryflow binary serving on a database.
type proc struct {
	t    *testing.T
	bin  string
	env  []string
	addr string
	logs *bytes.Buffer
	cmd  *exec.Cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (p *proc) run(stdin string, args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("pantryflow %v: %v\n%s", args, err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, "serve")
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("pantryflow did not become ready:\n%s", tail(p.logs.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func (p *proc) api(token, method, path string, body any) (int, map[string]any) {
	p.t.Helper()
	enc, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+p.addr+path, bytes.NewReader(enc))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// The crash-safety test: the real binary runs 200 executions of a 6-step workflow (an email, a delay, a CRM
// task) while it is SIGKILLed at random moments a dozen times. After the last restart every run completes,
// every step is recorded completed exactly once, and no mail or task is duplicated.
func TestCrashSafetyUnderRepeatedSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test builds and kills the real binary; skipped with -short")
	}
	t.Parallel()
	bin := pantryflowBinary(t)
	eachDB(t, func(t *testing.T, url string) {
		p := &proc{t: t, bin: bin, addr: freeAddr(t), logs: &bytes.Buffer{}}
		p.env = append(os.Environ(),
			"PANTRYFLOW_DATABASE_URL="+url, "PANTRYFLOW_ADDR="+p.addr, "PANTRYFLOW_LOG_LEVEL=warn",
			"PANTRYFLOW_TIMER_INTERVAL=100ms", "PANTRYFLOW_ADMIN_EMAIL=", "PANTRYFLOW_ADMIN_PASSWORD=")
		p.run("correct horse battery\n", "user", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin")
		p.run("correct horse battery\n", "user", "create", "--email", "rep@example.com", "--role", "rep", "--password-stdin")
		token := p.run("", "token", "create", "--email", "admin@example.com")

		p.start()
		defer func() {
			if t.Failed() {
				t.Logf("server output:\n%s", tail(p.logs.String()))
			}
		}()
		code, saved := p.api(token, "POST", "/api/workflows?publish=true", def("Crash test",
			setVar("first", "x", 1, "welcome"),
			map[string]any{"id": "welcome", "name": "Welcome mail", "type": "action", "nextSteps": []string{"pause"},
				"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
					"template": "welcome_qualified_lead", "recipient": "lead@example.com",
					"data": map[string]any{"firstName": "Jane", "companyName": "Acme"}}}},
			map[string]any{"id": "pause", "name": "Pause", "type": "delay", "nextSteps": []string{"task"},
				"configuration": map[string]any{"duration": 1}},
			map[string]any{"id": "task", "name": "Task", "type": "action", "nextSteps": []string{"second"},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "Call Jane", "assignee": "rep@example.com", "dueDate": "+2 days"}}},
			setVar("second", "y", 2, "third"),
			setVar("third", "z", 3),
		))
		if code != http.StatusCreated {
			t.Fatalf("create workflow: %d %v", code, saved)
		}
		wf := saved["id"].(string)

		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		var runs []string
		inFlight := 0
		const kills, perCycle = 12, 20
		for cycle := range kills {
			if len(runs) < 200 {
				for range perCycle {
					code, out := p.api(token, "POST", "/api/workflows/"+wf+"/executions", map[string]any{})
					if code != http.StatusAccepted {
						t.Fatalf("start run: %d %v", code, out)
					}
					runs = append(runs, out["executionId"].(string))
				}
			}
			time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
			p.kill()
			p.start()
			// Right after the restart, count the runs the kill interrupted: the test is only worth something if
			// the kills land while runs are in flight.
			_, out := p.api(token, "GET", "/api/executions?status=running&limit=1", nil)
			running, _ := out["total"].(float64)
			if running > 0 {
				inFlight++
			}
			t.Logf("kill %d: %d runs started, %v were still running", cycle+1, len(runs), running)
		}
		if inFlight < 10 {
			t.Fatalf("only %d of %d kills hit running executions; the test needs at least 10", inFlight, kills)
		}

		deadline := time.Now().Add(90 * time.Second)
		for {
			_, out := p.api(token, "GET", "/api/executions?status=completed&limit=1", nil)
			if n, _ := out["total"].(float64); int(n) == len(runs) {
				break
			}
			if time.Now().After(deadline) {
				_, all := p.api(token, "GET", "/api/executions?limit=1000", nil)
				t.Fatalf("only %v of %d runs completed; runs: %v", out["total"], len(runs), all)
			}
			time.Sleep(100 * time.Millisecond)
		}
		p.stop()

		db, err := store.Open(context.Background(), url, storetest.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		counts, err := db.Executions().StepLogCounts(context.Background(), "completed")
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != len(runs)*6 {
			t.Fatalf("%d (execution, step) pairs completed, want %d", len(counts), len(runs)*6)
		}
		for _, c := range counts {
			if c.N != 1 {
				t.Fatalf("execution %s step %s is logged completed %d times", c.ExecutionID, c.StepID, c.N)
			}
		}
		for _, m := range []struct {
			model any
			what  string
		}{{&store.Mail{}, "mails"}, {&store.CRMTask{}, "CRM tasks"}, {&store.Execution{}, "executions"}} {
			n, err := db.CountRows(context.Background(), m.model)
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != len(runs) {
				t.Fatalf("%d %s for %d runs: a step's side effect was lost or repeated", n, m.what, len(runs))
			}
		}
	})
}

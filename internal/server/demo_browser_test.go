package server_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// freshInstall is the real pantryflow binary started the way a user starts it the first time: no
// arguments, in an empty folder (so its database is the default ./data/pantryflow.db), with no PANTRYFLOW_
// setting but the address, and nobody in the database.
type freshInstall struct {
	url      string
	password string // the first admin's, as the first start printed it
	dir      string
	stdout   *lockedBuffer
	logs     *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// firstAdminLine is what the first start prints about the admin it made (README.md shows it).
var firstAdminLine = regexp.MustCompile(`Created the first admin admin@localhost\.localdomain with the password:\n\n    (\S+)\n\nIt is shown only this once; sign in and change it\.\n`)

// pantryflowEnv is the environment without any PANTRYFLOW_ setting, plus the given ones.
func pantryflowEnv(set ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PANTRYFLOW_") {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

// startFresh starts the binary on a fresh data folder and waits until it answers and has printed the first
// admin's password.
func startFresh(t *testing.T) *freshInstall {
	t.Helper()
	bin := pantryflowBinary(t)
	f := &freshInstall{dir: t.TempDir(), stdout: &lockedBuffer{}, logs: &lockedBuffer{}}
	addr := freeAddr(t)
	f.url = "http://" + addr
	cmd := exec.Command(bin)
	cmd.Dir = f.dir
	cmd.Env = pantryflowEnv("PANTRYFLOW_ADDR=" + addr)
	cmd.Stdout, cmd.Stderr = f.stdout, f.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pantryflow printed:\n%s\nand logged:\n%s", f.stdout.String(), tail(f.logs.String()))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(f.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pantryflow on a fresh data folder did not become ready in 30 s:\n%s", tail(f.logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	m := firstAdminLine.FindStringSubmatch(f.stdout.String())
	if m == nil {
		t.Fatalf("the first start did not print the first admin as README.md says; it printed %q", f.stdout.String())
	}
	f.password = m[1]
	if _, err := os.Stat(filepath.Join(f.dir, "data", "pantryflow.db")); err != nil {
		t.Fatalf("the first start did not make its database under ./data: %v", err)
	}
	return f
}

// signInAt signs in through the sign-in form of the server at url.
func (b *browser) signInAt(url, email, password string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav`)),
	)
}

// The first minutes, as a manager lives them on a fresh install: start the program, sign in with the
// printed password, and the first screen offers the demo; one click installs it, and its guide leads on:
// qualify a demo lead on its page, watch the run it starts (skipping its 3 days' wait), and find its task in
// the inbox and open it. Nothing is set up but the address. Screenshots of the first screen and of the
// guide at 1280 and 390 px go to $PANTRYFLOW_SCREENSHOTS.
func TestBrowserFirstMinutesOnAFreshInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary on a fresh data folder; skipped with -short")
	}
	t.Parallel()
	f := startFresh(t)
	const admin = "admin@localhost.localdomain"
	desk, phone := newBrowser(t, nil, 1280, 900), newPhone(t, nil)
	for _, b := range []*browser{desk, phone} {
		b.signInAt(f.url, admin, f.password)
	}

	// The first screen: the empty inbox, and the demo on offer.
	for _, s := range []struct {
		b     *browser
		width string
	}{{desk, "1280"}, {phone, "390"}} {
		s.b.run(chromedp.Navigate(f.url+"/"), chromedp.WaitVisible(chromedp.ID("demo-install")))
		s.b.waitText("main", "No open workflow tasks here.")
		s.b.waitText("#demo", "Try Pantryflow with demo data")
		s.b.waitText("#demo", "Installing twice adds nothing twice")
		s.b.screenshot("demo-first-screen-" + s.width)
		s.b.looksRight("the first screen at " + s.width + " px")
	}

	// One click installs it; the guide takes over.
	desk.run(chromedp.Click(chromedp.ID("demo-install")))
	desk.waitText(".flash", "The demo is installed: 2 workflows and 4 leads.")
	desk.run(chromedp.WaitVisible(chromedp.ID("demo-step-qualify")))
	desk.waitText("#demo", "The demo is installed")
	if n := desk.count(`document.querySelectorAll("#demo .demo-leads a").length`); n != 4 {
		t.Fatalf("the guide lists %d demo leads, want 4", n)
	}
	desk.screenshot("demo-installed-1280")
	desk.looksRight("the guide at 1280 px")
	phone.run(chromedp.Navigate(f.url+"/inbox"), chromedp.WaitVisible(chromedp.ID("demo-step-qualify")))
	phone.screenshot("demo-installed-390")
	phone.looksRight("the guide at 390 px")

	// A second click adds nothing twice, and says so.
	desk.run(chromedp.Click(chromedp.ID("demo-install")))
	desk.waitText(".flash", "The demo was installed already; nothing was added twice.")
	desk.run(chromedp.Navigate(f.url + "/crm/leads"))
	desk.waitText("#leads", "Maria Lopez")
	if n := desk.count(`document.querySelectorAll("#leads tbody tr").length`); n != 4 {
		t.Fatalf("the leads list has %d leads after two installs, want 4", n)
	}
	if n := desk.count(`document.querySelectorAll("#leads .badge.demo").length`); n != 4 {
		t.Fatalf("%d of the 4 demo leads are marked Demo in the list", n)
	}

	// Step 1: qualify a demo lead, from the guide.
	desk.run(chromedp.Navigate(f.url+"/inbox"), chromedp.WaitVisible(chromedp.ID("demo-step-qualify")))
	desk.run(
		chromedp.Click(chromedp.CSS(`#demo .demo-leads a[href="/crm/leads/demo-lead-maria-lopez"]`)),
		chromedp.WaitVisible(chromedp.ID("record-form")),
	)
	desk.waitText("h1", "Demo")
	desk.run(
		chromedp.SetValue(chromedp.ID("f-status"), "qualified"),
		chromedp.Click(chromedp.CSS(`#record-form button[type="submit"]`)),
	)
	desk.waitText(".flash", "Lead qualified")
	desk.waitText("#record-runs", "Lead Nurturing Sequence")

	// Step 2: watch the run, and skip its wait.
	desk.run(
		chromedp.Click(chromedp.CSS(`#record-runs a[href^="/executions/"]`)),
		chromedp.WaitVisible(chromedp.ID("execution")),
	)
	desk.waitText("#execution", "Send Welcome Email")
	desk.run(
		chromedp.WaitVisible(chromedp.CSS(`#execution button[hx-post$="/wake"]`)),
		chromedp.Click(chromedp.CSS(`#execution button[hx-post$="/wake"]`)),
	)
	// The run goes on to its task, which the run's page links to (it polls while the run is active).
	desk.run(chromedp.WaitVisible(chromedp.CSS(`#execution a[href^="/tasks/"]`)))
	desk.waitText(`#execution a[href^="/tasks/"]`, "Schedule Discovery Call")

	// Step 3: the task is in the inbox; open it.
	desk.run(chromedp.Navigate(f.url + "/inbox"))
	desk.waitText("#tasks", "Schedule Discovery Call")
	desk.run(
		chromedp.Click(chromedp.CSS(`#tasks a[href^="/tasks/"]`)),
		chromedp.WaitVisible(chromedp.ID("task-form")),
	)
	desk.waitText("main", "Schedule Discovery Call")
	desk.waitText("main", "Maria")

	// The guide shows the way done so far.
	desk.run(chromedp.Navigate(f.url+"/demo"), chromedp.WaitVisible(chromedp.ID("demo-task")))
	if n := desk.count(`document.querySelectorAll("#demo .demo-step.done").length`); n != 2 {
		t.Fatalf("the guide marks %d steps done, want 2 (qualified, the run moved on)", n)
	}
	desk.screenshot("demo-progress-1280")
	desk.looksRight("the guide's progress at 1280 px")
	phone.run(chromedp.Navigate(f.url+"/demo"), chromedp.WaitVisible(chromedp.ID("demo-task")))
	phone.screenshot("demo-progress-390")
	phone.looksRight("the guide's progress at 390 px")

	// One click removes it all; the first screen offers the demo again.
	desk.run(chromedp.Click(chromedp.ID("demo-remove")))
	desk.waitText(".flash", "The demo data is removed: 2 workflows, 4 leads and 4 companies, with 1 run")
	desk.run(chromedp.Navigate(f.url+"/inbox"), chromedp.WaitVisible(chromedp.ID("demo-install")))
	desk.waitText("main", "No open workflow tasks here.")
	desk.run(chromedp.Navigate(f.url + "/crm/leads"))
	desk.waitText("h1", "Leads")
	if n := desk.count(`document.querySelectorAll(".badge.demo, #leads tbody tr").length`); n != 0 {
		t.Fatalf("after the removal the leads list shows %d leads or Demo badges, want none", n)
	}
}

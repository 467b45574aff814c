package main

// These tests set environment variables with t.Setenv, so none of them may call t.Parallel.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

const examplesDir = "../../examples"

// settings are every variable the commands read; setup clears them so the caller's environment cannot leak in.
var settings = []string{"PANTRYFLOW_ADDR", "PANTRYFLOW_DATABASE_URL", "PANTRYFLOW_ADMIN_EMAIL",
	"PANTRYFLOW_ADMIN_PASSWORD", "PANTRYFLOW_SESSION_SECRET", "PANTRYFLOW_SMTP_URL", "PANTRYFLOW_MAIL_FROM",
	"PANTRYFLOW_HTTP_ALLOW", "PANTRYFLOW_BASE_URL", "PANTRYFLOW_LOG_LEVEL", "PANTRYFLOW_WORKERS",
	"PANTRYFLOW_TIMER_INTERVAL"}

type cli struct {
	t   *testing.T
	url string // the database
}

// setup points the commands at a fresh SQLite file and clears every other setting.
func setup(t *testing.T) *cli {
	t.Helper()
	for _, k := range settings {
		t.Setenv(k, "")
	}
	url := storetest.SQLiteURL(t)
	t.Setenv("PANTRYFLOW_DATABASE_URL", url)
	return &cli{t: t, url: url}
}

// run runs the command line and returns what it printed.
func (c *cli) run(stdin string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// must runs a command that has to succeed.
func (c *cli) must(stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("pantryflow %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// open opens the database the commands used (they have closed it), for checking what they stored.
func (c *cli) open() (*store.DB, *auth.Service) {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.url, storetest.Quiet())
	if err != nil {
		c.t.Fatalf("open the database: %v", err)
	}
	c.t.Cleanup(func() { _ = db.Close() })
	return db, &auth.Service{DB: db, Clock: clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))}
}

func TestMigrate(t *testing.T) {
	c := setup(t)
	for i := range 2 {
		out, errOut, err := c.run("", "migrate")
		if err != nil || out != "" {
			t.Fatalf("migrate #%d = %q, %v\n%s", i+1, out, err, errOut)
		}
	}
	db, _ := c.open()
	names, err := db.EmailTemplateNames(context.Background())
	if err != nil || !slices.Contains(names, "welcome_qualified_lead") {
		t.Fatalf("after migrate the templates are %v, %v", names, err)
	}
}

func TestMigrateRefusesAWrongSetting(t *testing.T) {
	tests := []struct {
		env, value, want string
	}{
		{"PANTRYFLOW_ADDR", "nope", `PANTRYFLOW_ADDR: "nope" is not an address like :8080 or 127.0.0.1:8080`},
		{"PANTRYFLOW_DATABASE_URL", "mysql://root@db/pf", `PANTRYFLOW_DATABASE_URL: "mysql://root@db/pf" must start with postgres:// or sqlite://`},
		{"PANTRYFLOW_WORKERS", "many", `PANTRYFLOW_WORKERS: "many" is not a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			c := setup(t)
			t.Setenv(tt.env, tt.value)
			_, _, err := c.run("", "migrate")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("migrate with %s=%q: %v, want %q", tt.env, tt.value, err, tt.want)
			}
		})
	}
}

func TestUserCreate(t *testing.T) {
	const password = "correct horse battery"
	tests := []struct {
		name    string
		args    []string
		stdin   string
		wantOut string
		wantErr string
	}{
		{name: "manager from stdin", args: []string{"--email", "Jane@Example.com", "--role", "manager", "--name", "Jane", "--password-stdin"},
			stdin: password + "\n", wantOut: "Created jane@example.com (manager).\n"},
		{name: "CRLF and no role (rep)", args: []string{"--email", "rep@example.com", "--password-stdin"},
			stdin: password + "\r\n", wantOut: "Created rep@example.com (rep).\n"},
		{name: "no trailing newline", args: []string{"--email", "boss@example.com", "--role", "admin", "--password-stdin"},
			stdin: password, wantOut: "Created boss@example.com (admin).\n"},
		{name: "password not from stdin", args: []string{"--email", "jane@example.com", "--role", "manager"},
			stdin: password + "\n", wantErr: "give the password on standard input with --password-stdin (it never goes on the command line)"},
		{name: "bad role", args: []string{"--email", "jane@example.com", "--role", "boss", "--password-stdin"},
			stdin: password + "\n", wantErr: `role "boss" does not exist; use admin, manager or rep`},
		{name: "short password", args: []string{"--email", "jane@example.com", "--password-stdin"},
			stdin: "short\n", wantErr: "the password must have at least 10 characters"},
		{name: "bad email", args: []string{"--email", "jane", "--password-stdin"},
			stdin: password + "\n", wantErr: `"jane" is not an email address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := setup(t)
			out, errOut, err := c.run(tt.stdin, append([]string{"user", "create"}, tt.args...)...)
			_, svc := c.open()
			n, cerr := svc.CountUsers(context.Background())
			if cerr != nil {
				t.Fatal(cerr)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || out != "" {
					t.Fatalf("user create = %q, %v; want error %q", out, err, tt.wantErr)
				}
				if n != 0 {
					t.Fatalf("a refused user create stored %d users", n)
				}
				return
			}
			if err != nil || out != tt.wantOut {
				t.Fatalf("user create = %q, %v; want %q\n%s", out, err, tt.wantOut, errOut)
			}
			email := strings.Fields(tt.wantOut)[1]
			if _, err := svc.CheckPassword(context.Background(), email, password); err != nil {
				t.Fatalf("%s cannot sign in with the password from stdin: %v", email, err)
			}
		})
	}
}

func TestUserAndTokenUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"user"}, "usage: pantryflow user create --email E --role admin|manager|rep [--name N] --password-stdin"},
		{[]string{"user", "delete"}, "usage: pantryflow user create "},
		{[]string{"token"}, "usage: pantryflow token create --email E [--name N]"},
		{[]string{"token", "list"}, "usage: pantryflow token create "},
		{[]string{"import"}, "usage: pantryflow import [--draft] FILE.json | pantryflow import --template ID"},
		{[]string{"export"}, "usage: pantryflow export [--version N] ID"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c := setup(t)
			_, _, err := c.run("", tt.args...)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("pantryflow %v: %v, want %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestTokenCreate(t *testing.T) {
	c := setup(t)
	c.must("correct horse battery\n", "user", "create", "--email", "jane@example.com", "--role", "manager", "--password-stdin")
	out := c.must("", "token", "create", "--email", "Jane@Example.com", "--name", "zapier")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "pf_") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("token create printed %q, want one pf_ token line", out)
	}
	db, svc := c.open()
	p, err := svc.Authenticate(context.Background(), lines[0])
	if err != nil || p.Email != "jane@example.com" || p.Role != auth.RoleManager {
		t.Fatalf("Authenticate(printed token) = %+v, %v; want jane, manager", p, err)
	}
	tokens, err := db.Users().ListTokens(context.Background(), store.TokenFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tk := range tokens {
		names = append(names, tk.Name)
	}
	if !slices.Equal(names, []string{"zapier"}) {
		t.Fatalf("stored token names = %v, want [zapier]", names)
	}
	_ = db.Close()

	_, _, err = c.run("", "token", "create", "--email", "nobody@example.com")
	if err == nil || !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"nobody@example.com"`) {
		t.Fatalf("token create for an unknown user: %v, want not found naming the address", err)
	}
}

func readDefinition(t *testing.T, data []byte) *workflow.Definition {
	t.Helper()
	def, err := workflow.Decode(data)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	return def
}

type stepShape struct {
	ID, Type, Next string
}

func shapes(def *workflow.Definition) []stepShape {
	var out []stepShape
	for _, s := range def.Steps {
		out = append(out, stepShape{s.ID, s.Type, strings.Join(s.NextSteps, ",")})
	}
	return out
}

func TestImportAndExport(t *testing.T) {
	c := setup(t)
	path := examplesDir + "/lead_nurture_sequence.json"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := readDefinition(t, data)

	if out := c.must("", "import", "--draft", path); out != "Imported lead_nurture_sequence version 1.\n" {
		t.Fatalf("import printed %q", out)
	}
	got := readDefinition(t, []byte(c.must("", "export", "lead_nurture_sequence")))
	if len(want.Steps) == 0 || !slices.Equal(shapes(got), shapes(want)) {
		t.Fatalf("exported steps %v\nwant              %v", shapes(got), shapes(want))
	}
	if got.ID != "lead_nurture_sequence" || got.Name != want.Name || got.Version != 1 {
		t.Fatalf("exported %s %q v%d, want lead_nurture_sequence %q v1", got.ID, got.Name, got.Version, want.Name)
	}
	db, _ := c.open()
	wf, err := db.Workflows().Workflow(context.Background(), "lead_nurture_sequence")
	if err != nil {
		t.Fatal(err)
	}
	if wf.ActiveVersion != nil || wf.LatestVersion != 1 {
		t.Fatalf("--draft import: active version %v, latest %d; want none and 1", wf.ActiveVersion, wf.LatestVersion)
	}
	_ = db.Close()

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"export", "--version", "1", "lead_nurture_sequence"}, ""},
		{[]string{"export", "--version", "2", "lead_nurture_sequence"}, `workflow "lead_nurture_sequence" has no version 2`},
		{[]string{"export", "no_such_workflow"}, `there is no workflow "no_such_workflow"`},
	}
	for _, tt := range tests {
		out, _, err := c.run("", tt.args...)
		if tt.want == "" {
			if err != nil || !slices.Equal(shapes(readDefinition(t, []byte(out))), shapes(want)) {
				t.Errorf("pantryflow %v = %v, want the imported definition", tt.args, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.want || out != "" {
			t.Errorf("pantryflow %v = %q, %v; want error %q", tt.args, out, err, tt.want)
		}
	}
}

func TestImportTemplate(t *testing.T) {
	c := setup(t)
	if out := c.must("", "import", "--template", "opportunity_pipeline"); out != "Imported opportunity_pipeline version 1.\n" {
		t.Fatalf("import --template printed %q", out)
	}
	data, err := os.ReadFile(examplesDir + "/opportunity_pipeline.json")
	if err != nil {
		t.Fatal(err)
	}
	got := readDefinition(t, []byte(c.must("", "export", "opportunity_pipeline")))
	if want := readDefinition(t, data); !slices.Equal(shapes(got), shapes(want)) {
		t.Fatalf("the template's steps %v\ndiffer from the example's %v", shapes(got), shapes(want))
	}
	db, _ := c.open()
	wf, err := db.Workflows().Workflow(context.Background(), "opportunity_pipeline")
	if err != nil {
		t.Fatal(err)
	}
	if wf.ActiveVersion == nil || *wf.ActiveVersion != 1 {
		t.Fatalf("an imported template is not published: active version %v", wf.ActiveVersion)
	}
}

func TestImportRefusesTheSeedVerbatim(t *testing.T) {
	c := setup(t)
	out, errOut, err := c.run("", "import", examplesDir+"/seed-verbatim/opportunity_pipeline.json")
	if err == nil || err.Error() != "the workflow has 2 problems; nothing was saved" || out != "" {
		t.Fatalf("import = %q, %v; want the 2 problems", out, err)
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	wantPaths := []string{
		"  steps[5].configuration.parameters.data.nextSteps: ",
		"  steps[2].configuration.falseSteps[0]: ",
	}
	if len(lines) != len(wantPaths) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(wantPaths), errOut)
	}
	for _, p := range wantPaths {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, p) }) {
			t.Errorf("stderr does not list %q:\n%s", strings.TrimSpace(p), errOut)
		}
	}
	for _, says := range []string{`unknown name "nextSteps"`, `"check_proposal", which does not exist`} {
		if !strings.Contains(errOut, says) {
			t.Errorf("stderr does not say %q:\n%s", says, errOut)
		}
	}
	if _, _, err := c.run("", "export", "opportunity_pipeline"); err == nil {
		t.Fatal("the refused workflow was saved")
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"import", "testdata-does-not-exist.json"}, "read testdata-does-not-exist.json: "},
		{"unknown template", []string{"import", "--template", "fax_machine"}, `there is no template "fax_machine"`},
		{"template outside the templates", []string{"import", "--template", "../opportunity_pipeline"}, `there is no template "../opportunity_pipeline"`},
		{"not a definition", []string{"import", "main_test.go"}, "main_test.go: "},
		{"two files", []string{"import", "a.json", "b.json"}, "usage: pantryflow import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := setup(t)
			_, _, err := c.run("", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("pantryflow %v: %v, want it to contain %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestHelpAndUnknownCommands(t *testing.T) {
	tests := []struct {
		args              []string
		wantOut, wantErrs string
		wantErr           string
	}{
		{args: []string{"help"}, wantOut: usage},
		{args: []string{"-h"}, wantOut: usage},
		{args: []string{"--help"}, wantOut: usage},
		{args: []string{"frobnicate"}, wantErrs: usage, wantErr: `unknown command "frobnicate"`},
		{args: []string{"users", "create"}, wantErrs: usage, wantErr: `unknown command "users"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c := setup(t)
			out, errOut, err := c.run("", tt.args...)
			if out != tt.wantOut || errOut != tt.wantErrs {
				t.Fatalf("stdout %q, stderr %q; want %q, %q", out, errOut, tt.wantOut, tt.wantErrs)
			}
			if (tt.wantErr == "" && err != nil) || (tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if !strings.Contains(usage, "pantryflow user create --email E --role admin|manager|rep") {
		t.Fatal("the usage text does not explain user create")
	}
}

func TestServeHelpListsTheSettings(t *testing.T) {
	c := setup(t)
	out, errOut, err := c.run("", "serve", "-h")
	if !errors.Is(err, flag.ErrHelp) || out != "" {
		t.Fatalf("serve -h = %q, %v; want flag.ErrHelp", out, err)
	}
	for _, k := range settings {
		if !strings.Contains(errOut, "(env "+k+")") {
			t.Errorf("serve -h does not list %s:\n%s", k, errOut)
		}
	}
}

var generatedPassword = regexp.MustCompile(`^Created the first admin admin@localhost\.localdomain with the password:\n\n    (\S{24})\n\nIt is shown only this once; sign in and change it\.\n$`)

// TestServeBootstrapsTheFirstAdmin runs serve on an address that is taken: it creates the first admin before
// it listens, then stops with an error naming PANTRYFLOW_ADDR, so no server starts.
func TestServeBootstrapsTheFirstAdmin(t *testing.T) {
	c := setup(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	t.Setenv("PANTRYFLOW_ADDR", taken.Addr().String())

	out, _, err := c.run("", "serve")
	if want := "PANTRYFLOW_ADDR: cannot listen on " + taken.Addr().String(); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("serve on a taken address: %v, want %q", err, want)
	}
	m := generatedPassword.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve printed %q, want the first admin with a generated password", out)
	}
	again, _, _ := c.run("", "serve")
	if again != "" {
		t.Fatalf("the second serve printed %q, want nothing", again)
	}
	_, svc := c.open()
	p, err := svc.CheckPassword(context.Background(), "admin@localhost.localdomain", m[1])
	if err != nil || p.Role != auth.RoleAdmin {
		t.Fatalf("the first admin cannot sign in with the printed password: %+v, %v", p, err)
	}
	if n, _ := svc.CountUsers(context.Background()); n != 1 {
		t.Fatalf("there are %d users after two serves, want 1", n)
	}
}

func TestServeBootstrapWithAGivenPassword(t *testing.T) {
	c := setup(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	t.Setenv("PANTRYFLOW_ADDR", taken.Addr().String())
	t.Setenv("PANTRYFLOW_ADMIN_EMAIL", "boss@example.com")
	t.Setenv("PANTRYFLOW_ADMIN_PASSWORD", "correct horse battery")
	out, _, _ := c.run("", "serve")
	if out != "Created the first admin boss@example.com.\n" {
		t.Fatalf("serve printed %q, want the admin without a password", out)
	}
	_, svc := c.open()
	if _, err := svc.CheckPassword(context.Background(), "boss@example.com", "correct horse battery"); err != nil {
		t.Fatalf("the first admin cannot sign in with PANTRYFLOW_ADMIN_PASSWORD: %v", err)
	}
}

// syncBuffer is a bytes.Buffer that the serving goroutine and the test may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingURL = regexp.MustCompile(`msg="Pantryflow is serving" url=(http://\S+)`)

// serveUntilHealthy runs serve until /healthz answers, then cancels it; it returns what serve printed.
func serveUntilHealthy(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, strings.NewReader(""), &stdout, &stderr) }()
	deadline := time.After(60 * time.Second)
	for {
		if m := servingURL.FindStringSubmatch(stderr.String()); m != nil {
			res, err := http.Get(m[1] + "/healthz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped early: %v\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not answer /healthz:\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	return stdout.String()
}

func TestServeAnswersAndStops(t *testing.T) {
	setup(t)
	// Port 0: the kernel picks a free port, and serve logs the address it got.
	t.Setenv("PANTRYFLOW_ADDR", "127.0.0.1:0")
	t.Setenv("PANTRYFLOW_LOG_LEVEL", "info")
	first := serveUntilHealthy(t)
	if !generatedPassword.MatchString(first) {
		t.Fatalf("the first serve printed %q, want the first admin with a generated password", first)
	}
	if second := serveUntilHealthy(t); second != "" {
		t.Fatalf("the second serve printed %q, want nothing", second)
	}
}

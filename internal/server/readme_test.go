package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// Every command README.md shows is run here as written, in the order a new user meets them, on a fresh data
// folder (and, for the PostgreSQL section, on a fresh database). Two things are put in place of what the
// README names, and nothing else:
//
//   - `go run ./cmd/pantryflow` runs the binary built once from ./cmd/pantryflow (what `go run` builds), through
//     a `go` on the PATH that accepts only that, so the commands run in an empty folder as on a new machine;
//   - the address localhost:8080 is a free port of 127.0.0.1 (PANTRYFLOW_ADDR), so a server already on 8080
//     cannot make the test pass or fail, and the PostgreSQL section's database `pantryflow` is a fresh one.
//
// The commands CI itself runs (`go test ./...`, the make targets, ./.ci/run) are checked to be what .ci/run
// and the Makefile run; running them from inside `go test` would run the tests from inside themselves. The
// docker lines are not run: this machine has no docker. The test ends by checking that it met every
// command of README.md, so a command added there fails here until a test runs it.

// readmeBlock is a fenced block of README.md.
type readmeBlock struct {
	lang     string
	text     string
	commands []string
}

func readREADME(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	indent := "" // of the block's fence: a block inside a list is indented as a whole
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if cur == nil {
				cur = &readmeBlock{lang: strings.TrimPrefix(trimmed, "```")}
				indent = line[:strings.Index(line, "```")]
			} else {
				cur.commands = commandsOf(cur.text)
				blocks = append(blocks, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.text += strings.TrimPrefix(line, indent) + "\n"
		}
	}
	if cur != nil {
		t.Fatal("README.md ends inside a fenced block")
	}
	return blocks
}

// commandsOf splits a block into its commands: lines, joined to the next while a quote is open or a
// backslash ends them, without blank lines.
func commandsOf(text string) []string {
	var out []string
	pending := ""
	for _, line := range strings.Split(text, "\n") {
		pending += line
		if strings.HasSuffix(line, "\\") || quoteOpen(pending) {
			pending += "\n"
			continue
		}
		if strings.TrimSpace(pending) != "" {
			out = append(out, strings.TrimSpace(pending))
		}
		pending = ""
	}
	return out
}

// quoteOpen says a shell text ends inside a quoted string.
func quoteOpen(s string) bool {
	var quote rune
	escaped := false
	for _, c := range s {
		switch {
		case escaped:
			escaped = false
		case c == '\\' && quote != '\'':
			escaped = true
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case c == quote:
			quote = 0
		}
	}
	return quote != 0
}

// readme runs README.md's commands in an empty folder.
type readme struct {
	t      *testing.T
	blocks []readmeBlock
	dir    string // the working directory, empty at the start
	addr   string
	env    []string
	met    map[string]string // command → how the test ran or checked it
}

func newReadme(t *testing.T) *readme {
	t.Helper()
	bin := pantryflowBinary(t)
	r := &readme{t: t, blocks: readREADME(t), dir: t.TempDir(), addr: freeAddr(t), met: map[string]string{}}
	shims := t.TempDir()
	goShim := "#!/bin/sh\n" +
		"# README.md's `go run ./cmd/pantryflow ...`: the binary go run builds from that package.\n" +
		"if [ \"$1\" = run ] && [ \"$2\" = ./cmd/pantryflow ]; then shift 2; exec \"$PANTRYFLOW_README_BINARY\" \"$@\"; fi\n" +
		"echo \"the README test runs only go run ./cmd/pantryflow, not: go $*\" >&2; exit 2\n"
	if err := os.WriteFile(filepath.Join(shims, "go"), []byte(goShim), 0o755); err != nil {
		t.Fatal(err)
	}
	r.env = pantryflowEnv("PANTRYFLOW_ADDR="+r.addr, "PANTRYFLOW_README_BINARY="+bin,
		"PATH="+shims+string(os.PathListSeparator)+os.Getenv("PATH"))
	return r
}

// block is the first fenced block that contains every one of marks.
func (r *readme) block(marks ...string) readmeBlock {
	r.t.Helper()
	for _, b := range r.blocks {
		all := true
		for _, m := range marks {
			all = all && strings.Contains(b.text, m)
		}
		if all {
			return b
		}
	}
	r.t.Fatalf("README.md has no block with %q", marks)
	return readmeBlock{}
}

// localize puts the test's address where README.md says localhost:8080.
func (r *readme) localize(script string) string {
	return strings.ReplaceAll(script, "localhost:8080", r.addr)
}

// sh runs commands of README.md in bash in the working directory, with env added, and returns what they
// printed; each command is marked met with how.
func (r *readme) sh(how string, env []string, commands ...string) string {
	r.t.Helper()
	script := "set -e\n" + r.localize(strings.Join(commands, "\n"))
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir, cmd.Env = r.dir, append(append([]string{}, r.env...), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("README.md's\n%s\nfailed: %v\n%s%s", strings.Join(commands, "\n"), err, out.String(), errOut.String())
	}
	for _, c := range commands {
		r.meet(c, how)
	}
	return out.String()
}

func (r *readme) meet(command, how string) {
	r.met[strings.TrimSpace(command)] = how
}

// server is the app as a README command starts it.
type readmeServer struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	logs   *lockedBuffer
}

// serve starts the server with a command of README.md and waits until it is ready.
func (r *readme) serve(command string, env ...string) *readmeServer {
	r.t.Helper()
	cmd := exec.Command("bash", "-c", "exec "+r.localize(command))
	cmd.Dir, cmd.Env = r.dir, append(append([]string{}, r.env...), env...)
	s := &readmeServer{cmd: cmd, stdout: &lockedBuffer{}, logs: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = s.stdout, s.logs
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + r.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("README.md's %q did not serve a ready app in 30 s:\n%s", command, tail(s.logs.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.meet(command, "served on a fresh data folder until /readyz answered 200")
	return s
}

func (s *readmeServer) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// json decodes the single JSON answer a command printed.
func decodeOne(t *testing.T, what, out string, into any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), into); err != nil {
		t.Fatalf("%s printed %q, not one JSON answer: %v", what, out, err)
	}
}

func TestREADMECommandsWorkAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary and README.md's commands; skipped with -short")
	}
	t.Parallel()
	r := newReadme(t)

	// The two commands. The first start makes the database under ./data and prints the admin as README.md
	// shows it.
	two := r.block("go run ./cmd/pantryflow", "go test ./...")
	if len(two.commands) != 2 {
		t.Fatalf("README.md's two commands are %q", two.commands)
	}
	first := r.serve(two.commands[0])
	printed := r.block("Created the first admin")
	want := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(printed.text), regexp.QuoteMeta("<a generated password>"), `(\S{24})`) + "$")
	m := want.FindStringSubmatch(first.stdout.String())
	if m == nil {
		t.Fatalf("the first start printed %q, README.md says it prints\n%s", first.stdout.String(), printed.text)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "data", "pantryflow.db")); err != nil {
		t.Fatalf("the first start made no database under ./data: %v", err)
	}
	// Signing in with the printed password is TestBrowserFirstMinutesOnAFreshInstall's.
	first.stop()
	r.checkCIRuns(two.commands[1])

	// The JSON API's example: a token made while the server is stopped, then the template imported and run.
	api := r.block("token create --email admin@localhost.localdomain")
	token := strings.TrimSpace(r.sh("made a token with the server stopped", nil, api.commands[0], `printf '%s' "$TOKEN"`))
	if !regexp.MustCompile(`^\S{20,}$`).MatchString(token) {
		t.Fatalf("TOKEN=$(go run ./cmd/pantryflow token create …) gave %q", token)
	}
	r.met = withoutKey(r.met, `printf '%s' "$TOKEN"`)
	second := r.serve(two.commands[0])
	auth := []string{"TOKEN=" + token}
	var imported struct{ ID string }
	decodeOne(t, api.commands[1], r.sh("answered 201 with the workflow", auth, api.commands[1]), &imported)
	if imported.ID != "lead_nurture_sequence" {
		t.Fatalf("the import answered the workflow %q", imported.ID)
	}
	var started struct{ ExecutionID string }
	decodeOne(t, api.commands[2], r.sh("answered 202 with the run, which sent its welcome mail", auth, api.commands[2]), &started)
	if started.ExecutionID == "" {
		t.Fatal("the run example answered no executionId")
	}
	r.waitWelcomeMail(token, started.ExecutionID)

	// The webhook example, with URL and SECRET from GET /api/workflows/{id}/webhook as README.md says.
	hookURL, secret := r.webhookWorkflow(token)
	hook := r.block("X-Pantryflow-Signature: t=$T,v2=$SIG")
	var delivered struct{ ExecutionID string }
	decodeOne(t, "the webhook example", r.sh("delivered a signed webhook, 202 with the run", []string{"URL=" + hookURL, "SECRET=" + secret}, hook.commands...), &delivered)
	if delivered.ExecutionID == "" {
		t.Fatal("the webhook example answered no executionId")
	}
	second.stop()

	r.commandLine()
	r.postgres()
	r.development()

	// Every command of README.md was run or checked.
	for _, b := range r.blocks {
		if b.lang != "sh" && !strings.Contains(b.text, "pantryflow serve") {
			continue
		}
		for _, c := range b.commands {
			if _, ok := r.met[c]; !ok {
				t.Errorf("README.md's command %q is run by no test: run it in TestREADMECommandsWorkAsWritten", c)
			}
		}
	}
	if !t.Failed() {
		for c, how := range r.met {
			t.Logf("%s\n    → %s", c, how)
		}
	}
}

func withoutKey(m map[string]string, k string) map[string]string {
	delete(m, k)
	return m
}

// waitWelcomeMail waits until the run the README's example started has queued its welcome mail.
func (r *readme) waitWelcomeMail(token, executionID string) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var outbox struct {
			Items []struct{ To, Template string }
		}
		r.apiGet(token, "/api/outbox?executionId="+executionID, &outbox)
		if len(outbox.Items) == 1 && outbox.Items[0].To == "jane@acme.example" {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the README's run %s made no welcome mail to jane@acme.example in 20 s: %+v", executionID, outbox)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *readme) apiGet(token, path string, into any) {
	r.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+r.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		r.t.Fatalf("GET %s answered %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(into); err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
}

// webhookWorkflow makes a workflow started by a webhook, taking the example's email, and returns its
// address (on the test's port) and signing secret.
func (r *readme) webhookWorkflow(token string) (string, string) {
	r.t.Helper()
	def := `{"name": "Web form", "trigger": {"type": "webhook", "configuration": {}},
	  "variables": [{"name": "email", "type": "string", "required": true}, {"name": "seen", "type": "string"}],
	  "steps": [{"id": "note", "name": "Note the address", "type": "action", "nextSteps": [],
	    "configuration": {"action": "set_variable", "parameters": {"name": "seen", "value": "{{ email }}"}}}]}`
	req, _ := http.NewRequest("POST", "http://"+r.addr+"/api/workflows?publish=true", strings.NewReader(def))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var created struct{ ID string }
	if err := json.Unmarshal(body, &created); res.StatusCode != http.StatusCreated || err != nil {
		r.t.Fatalf("creating the webhook workflow answered %s: %s", res.Status, body)
	}
	var hook struct{ URL, Secret string }
	r.apiGet(token, "/api/workflows/"+created.ID+"/webhook", &hook)
	return r.localize(hook.URL), hook.Secret
}

// checkCIRuns checks that .ci/run runs a command of README.md as written.
func (r *readme) checkCIRuns(command string) {
	r.t.Helper()
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		r.t.Fatal(err)
	}
	bare := strings.TrimSpace(strings.SplitN(command, "#", 2)[0])
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(bare) + `$`).Match(ci) {
		r.t.Fatalf(".ci/run does not run README.md's %q as written", bare)
	}
	r.meet(command, ".ci/run runs it as written (running it here would run the tests inside themselves)")
}

// commandLine runs every line of the command-line synopsis with real values, and checks that each option it
// names is one the command takes.
func (r *readme) commandLine() {
	r.t.Helper()
	synopsis := r.block("pantryflow serve", "pantryflow chaos")
	runs := map[string][]string{
		"serve":   {"go run ./cmd/pantryflow serve -h"},
		"migrate": {"go run ./cmd/pantryflow migrate"},
		"user create": {`printf 'a long rep password\n' | go run ./cmd/pantryflow user create --email rita@kitchenpantry.example --role rep --name 'Rita Rep' --password-stdin`,
			`printf 'a long manager password\n' | go run ./cmd/pantryflow user create --email max@kitchenpantry.example --role manager --password-stdin`},
		"token create":      {"go run ./cmd/pantryflow token create --email rita@kitchenpantry.example --name phone"},
		"import [--draft]":  {"go run ./cmd/pantryflow import --draft " + r.example("gallery/won_deal_onboarding.json")},
		"import --template": {"go run ./cmd/pantryflow import --template opportunity_pipeline"},
		"export":            {"go run ./cmd/pantryflow export --version 1 lead_nurture_sequence"},
		"bench":             {"go run ./cmd/pantryflow bench --runs 20 --steps 2 --workers 4"},
		"chaos":             {"go run ./cmd/pantryflow chaos --runs 10 --kills 2"},
	}
	flag := regexp.MustCompile(`--[a-z-]+`)
	for _, line := range synopsis.commands {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "pantryflow" {
			r.t.Fatalf("the synopsis line %q does not start with pantryflow and a command", line)
		}
		var key string
		for k := range runs {
			if strings.HasPrefix(line, "pantryflow "+k) {
				key = k
			}
		}
		if key == "" {
			r.t.Errorf("the synopsis line %q has no run in the README test", line)
			continue
		}
		out := r.sh("run with real values", nil, runs[key]...)
		if key == "export" && !regexp.MustCompile(`"id":\s*"lead_nurture_sequence"`).MatchString(out) {
			r.t.Errorf("export printed %q", out)
		}
		if key == "chaos" && !strings.Contains(out, "no problems") {
			r.t.Errorf("chaos printed %q", out)
		}
		help := r.help(strings.Fields(strings.TrimPrefix(line, "pantryflow "))[0])
		for _, f := range flag.FindAllString(line, -1) {
			if !regexp.MustCompile(`(?m)^\s+-` + strings.TrimPrefix(f, "--") + `( |$)`).MatchString(help) {
				r.t.Errorf("the synopsis line %q names %s, which `pantryflow %s -h` does not list:\n%s", line, f, fields[1], help)
			}
		}
		r.meet(line, "run with real values ("+strings.Join(runs[key], "; ")+"), and its options are in -h")
	}
}

// help is what `pantryflow <command> -h` prints (for user and token: their create).
func (r *readme) help(command string) string {
	r.t.Helper()
	if command == "user" || command == "token" {
		command += " create"
	}
	cmd := exec.Command("bash", "-c", "go run ./cmd/pantryflow "+command+" -h 2>&1 || true") // -h exits with a usage status
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.Output()
	if err != nil {
		r.t.Fatalf("pantryflow %s -h: %v", command, err)
	}
	return string(out)
}

// example copies a file of examples/ into the working directory and returns its name there.
func (r *readme) example(name string) string {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join("../../examples", name))
	if err != nil {
		r.t.Fatal(err)
	}
	name = filepath.Base(name)
	if err := os.WriteFile(filepath.Join(r.dir, name), data, 0o644); err != nil {
		r.t.Fatal(err)
	}
	return name
}

// postgres runs the PostgreSQL section on a fresh database of the test server, and checks that the tests'
// PostgreSQL half is what CI runs.
func (r *readme) postgres() {
	r.t.Helper()
	section := r.block("createdb", "PANTRYFLOW_DATABASE_URL")
	tests := r.block("export PANTRYFLOW_TEST_DATABASE_URL")
	server := storetest.PostgresServer(r.t) // skips without PANTRYFLOW_TEST_DATABASE_URL, fails in CI
	u, err := url.Parse(server)
	if err != nil {
		r.t.Fatal(err)
	}
	if u.Host != "127.0.0.1:5432" || u.User.Username() != "postgres" {
		if os.Getenv("CI") != "" {
			r.t.Fatalf("README.md's PostgreSQL section names postgres@127.0.0.1:5432; CI's server is %s", u.Redacted())
		}
		r.t.Logf("the test server is not README.md's postgres@127.0.0.1:5432; its PostgreSQL section is not run")
		return
	}
	db := fmt.Sprintf("pantryflow_readme_%d", time.Now().UnixNano())
	rename := func(c string) string {
		c = strings.Replace(c, "5432/pantryflow?", "5432/"+db+"?", 1)
		if strings.HasPrefix(c, "createdb ") {
			c = strings.TrimSuffix(c, " pantryflow") + " " + db
		}
		return c
	}
	r.t.Cleanup(func() {
		_ = exec.Command("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", "--if-exists", db).Run()
	})
	var serve string
	var script []string
	for _, c := range section.commands {
		if c == "go run ./cmd/pantryflow" {
			serve = c
			continue
		}
		script = append(script, rename(c))
	}
	r.sh("run on a fresh database "+db, nil, script...)
	for _, c := range section.commands {
		if c != serve {
			r.meet(c, "run on a fresh database "+db)
		}
	}
	dbURL := strings.TrimPrefix(rename(section.commands[1]), "export PANTRYFLOW_DATABASE_URL=")
	s := r.serve(serve, "PANTRYFLOW_DATABASE_URL="+strings.Trim(dbURL, "'"))
	if !strings.Contains(s.stdout.String(), "Created the first admin admin@localhost.localdomain") {
		r.t.Errorf("the first start on PostgreSQL printed %q", s.stdout.String())
	}
	s.stop()
	r.meet(serve, "served on SQLite and on a fresh PostgreSQL database")

	// The tests' PostgreSQL half: .ci/run points them at the server README.md names and runs go test ./...
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		r.t.Fatal(err)
	}
	exported := strings.Trim(strings.TrimPrefix(tests.commands[0], "export PANTRYFLOW_TEST_DATABASE_URL="), "'")
	if !strings.Contains(string(ci), "PANTRYFLOW_TEST_DATABASE_URL:-"+exported+"}") {
		r.t.Errorf(".ci/run does not point the tests at README.md's %s", exported)
	}
	r.meet(tests.commands[0], ".ci/run exports the same address")
	r.checkCIRuns(tests.commands[1])
	r.chaosOnPostgres(server)
}

// chaosOnPostgres runs README.md's chaos example on the test server, at a tenth of its runs and kills: at
// full scale (100 runs, 20 kills, 20 terminations, three instances) the same command's work is
// TestChaosSmallScale's postgres case, and running it twice would cost CI half a minute.
func (r *readme) chaosOnPostgres(server string) {
	r.t.Helper()
	example := r.block("chaos --database-url").commands[0]
	if !strings.Contains(example, "'"+server+"'") {
		r.t.Fatalf("README.md's chaos example %q does not name the test server %s", example, server)
	}
	const full, tenth = "--runs 100 --kills 20", "--runs 10 --kills 2"
	if !strings.HasSuffix(example, full) {
		r.t.Fatalf("README.md's chaos example %q no longer ends in %q, TestChaosSmallScale's scale", example, full)
	}
	cmd := exec.Command("bash", "-c", strings.TrimSuffix(example, full)+tenth)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "no problems") {
		r.t.Fatalf("README.md's chaos example with %s: %v\n%s", tenth, err, out)
	}
	r.meet(example, "run on the test server with "+tenth+"; at its own scale it is TestChaosSmallScale's postgres case")
}

// development checks that the development tasks run what README.md says they do.
func (r *readme) development() {
	r.t.Helper()
	dev := r.block("make test", "./.ci/run")
	want := map[string][]string{
		"make test":     {"go test -race -count=1 ./..."},
		"make lint":     {"go vet ./...", "gofmt -l", "go tool staticcheck ./..."},
		"make generate": {"go tool templ generate"},
		"make bench":    {"go run ./cmd/pantryflow bench --runs 2000 --steps 10"},
		"make chaos":    {"go run ./cmd/pantryflow chaos --runs 100 --kills 20"},
	}
	for _, c := range dev.commands {
		target := strings.TrimSpace(strings.SplitN(c, "#", 2)[0])
		if target == "./.ci/run" {
			if st, err := os.Stat("../../.ci/run"); err != nil || st.Mode()&0o111 == 0 {
				r.t.Errorf(".ci/run is not an executable file: %v", err)
			}
			r.meet(c, "is CI itself: executable, and it runs the checks this test asks of it")
			continue
		}
		lines, ok := want[target]
		if !ok {
			r.t.Errorf("README.md's %q is not a make target the README test knows", target)
			continue
		}
		cmd := exec.Command("make", "-n", strings.TrimPrefix(target, "make "))
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		if err != nil {
			r.t.Errorf("%s: %v\n%s", target, err, out)
			continue
		}
		for _, l := range lines {
			if !strings.Contains(string(out), l) {
				r.t.Errorf("%s does not run %q; it runs:\n%s", target, l, out)
			}
		}
		r.meet(c, "make -n shows it runs "+strings.Join(lines, ", ")+"; CI runs the same checks and TestChaosSmallScale the same chaos")
	}
}

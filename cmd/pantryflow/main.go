// Command pantryflow runs the Pantryflow workflow server and its tools: serve, migrate, user, token, import,
// export, bench and chaos. It only parses arguments and wires; the work happens in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

const usage = `Pantryflow — workflow automation for the Kitchen Pantry CRM.

Usage:
  pantryflow [serve] [flags]        serve the app (default: http://localhost:8080, SQLite under ./data)
  pantryflow migrate                apply database migrations and exit
  pantryflow user create --email E --role admin|manager|rep [--name N] --password-stdin
  pantryflow token create --email E [--name N]    print a new API token once
  pantryflow import [--draft] FILE.json           create a workflow from a definition (published unless --draft)
  pantryflow import --template ID                 create a workflow from a built-in template
  pantryflow export [--version N] ID              print a workflow's definition
  pantryflow bench [flags]                        measure engine throughput (see docs/BENCHMARKS.md)
  pantryflow chaos [flags]                        run instances of this binary under kills and report what was lost (see docs/RELIABILITY.md)

Every setting is an environment variable and a flag of serve; run "pantryflow serve -h" for the list.
`

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		// Asked for with -h: the usage is printed, and that is a success, as with Go's own flag.ExitOnError.
	case err != nil:
		fmt.Fprintln(os.Stderr, "pantryflow:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	// -h and --help alone ask for this overview; other flags belong to the default command, serve.
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-h" || args[0] == "--help") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, stderr)
	case "user":
		return userCmd(ctx, args, stdin, stdout, stderr)
	case "token":
		return tokenCmd(ctx, args, stdout, stderr)
	case "import":
		return importCmd(ctx, args, stdout, stderr)
	case "export":
		return exportCmd(ctx, args, stdout, stderr)
	case "bench":
		return benchCmd(ctx, args, stdout, stderr)
	case "chaos":
		return chaosCmd(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// tuneGC lets the heap grow to three times the live data before collecting (GOGC=200) unless GOGC is set:
// the engine allocates briefly-lived buffers for every step, and measured on two cores this trades a few
// megabytes for 5-10 % more throughput (docs/BENCHMARKS.md).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

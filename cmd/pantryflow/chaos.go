package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/chaos"
)

// chaosCmd runs this binary's own server as N instances under kills and connection terminations, and exits
// non-zero when the report finds a run lost, failed or stuck, a step repeated or a mail lost.
func chaosCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pantryflow chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o chaos.Options
	fs.StringVar(&o.DatabaseURL, "database-url", os.Getenv("PANTRYFLOW_CHAOS_DATABASE_URL"),
		"PostgreSQL server to shake on (a fresh database is created and dropped); empty: a temporary SQLite file")
	fs.IntVar(&o.Instances, "instances", 0, "instances of the server (default 3 on PostgreSQL; SQLite allows 1)")
	fs.IntVar(&o.Runs, "runs", 300, "runs of the chaos workflow (a parallel mail and delay, a person's review)")
	fs.IntVar(&o.Kills, "kills", 60, "SIGKILLs at random moments, each followed by a restart")
	terminations := fs.Int("terminations", -1, "times every database connection is ended (default: as many as kills on PostgreSQL, none on SQLite)")
	fs.DurationVar(&o.Duration, "duration", 0, "time over which the runs start and the faults come (default: a second per kill, at least 10s)")
	fs.DurationVar(&o.Settle, "settle", 0, "how long the runs may take to finish after the last fault before they count as stuck (default 3m)")
	fs.DurationVar(&o.DeadAfter, "dead-after", 0, "the instances' PANTRYFLOW_DEAD_AFTER (default: the server's, 20s)")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed for the fault times and victims (default: from the clock; printed)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the database and the instances' logs, and print where they are")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Terminations = *terminations
	if o.Terminations < 0 {
		o.Terminations = 0
		if o.DatabaseURL != "" && !strings.HasPrefix(o.DatabaseURL, "sqlite") {
			o.Terminations = o.Kills
		}
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("chaos: find the pantryflow binary to run: %w", err)
	}
	o.Binary, o.Progress = bin, stderr
	report, err := chaos.Run(ctx, o)
	if err != nil {
		return err
	}
	report.Write(stdout)
	if p := report.Problems(); len(p) > 0 {
		return errors.New("chaos found problems: " + strings.Join(p, "; "))
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"io"
	"os"
	"runtime/pprof"

	"github.com/kitchenpantry/pantryflow/internal/bench"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pantryflow bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	fs.StringVar(&o.DatabaseURL, "database-url", os.Getenv("PANTRYFLOW_BENCH_DATABASE_URL"),
		"PostgreSQL server to measure on (fresh databases are created and dropped); empty: a temporary SQLite file")
	fs.IntVar(&o.Runs, "runs", 2000, "executions to run")
	fs.IntVar(&o.Steps, "steps", 10, "action steps per execution")
	fs.IntVar(&o.Workers, "workers", 0, "River workers (0: the engine's default)")
	fs.IntVar(&o.Starters, "starters", 8, "goroutines starting executions")
	fs.IntVar(&o.Committers, "committers", 0, "group-commit goroutines (0: the engine's default)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the benchmark databases")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurement to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	_, err := bench.Run(ctx, o, stdout)
	return err
}

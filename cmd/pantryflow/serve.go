package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
)

// openServerWith reads the configuration and the command's own flags (registered by extra), then opens and
// migrates the database and wires the server without starting it.
func openServerWith(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*server.Server, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("pantryflow "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	cfg, err := config.Load(os.Getenv, fs, args)
	if err != nil {
		return nil, fs, err
	}
	level := cfg.LogLevel
	if name != "serve" && os.Getenv("PANTRYFLOW_LOG_LEVEL") == "" {
		level = "warn" // a tool prints its result, not the server's chatter
	}
	log := newLogger(stderr, level)
	s, err := server.Open(ctx, cfg, log, server.Options{})
	return s, fs, err
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, _, err := openServerWith(ctx, "serve", args, stderr, nil)
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	email, generated, err := s.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if generated != "" {
		fmt.Fprintf(stdout, "Created the first admin %s with the password:\n\n    %s\n\nIt is shown only this once; sign in and change it.\n", email, generated)
	} else if email != "" {
		fmt.Fprintf(stdout, "Created the first admin %s.\n", email)
	}
	ln, err := net.Listen("tcp", s.Config.Addr)
	if err != nil {
		return fmt.Errorf("PANTRYFLOW_ADDR: cannot listen on %s: %w", s.Config.Addr, err)
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	if s.Config.SecretKey == "" {
		s.Log.Info("PANTRYFLOW_SECRET_KEY is not set: workflow secrets (API keys for call_api) cannot be stored or used")
	}
	if s.Config.SessionSecret == "" {
		s.Log.Warn("PANTRYFLOW_SESSION_SECRET is not set: browser sessions end when Pantryflow restarts")
	}
	s.Log.Info("Pantryflow is serving", "url", "http://"+ln.Addr().String(), "database", string(s.DB.Dialect))
	return s.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	s, _, err := openServerWith(ctx, "migrate", args, stderr, nil)
	if err != nil {
		return err
	}
	s.Log.Info("the database is up to date", "database", string(s.DB.Dialect))
	return s.Close(ctx)
}

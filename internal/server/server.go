// Package server assembles Pantryflow from its parts — database, migrations, engine, use cases, web — and
// runs it. The command and the end-to-end tests both start it here, so they run the same thing.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/analytics/rollup"
	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/netguard"
	"github.com/kitchenpantry/pantryflow/internal/secrets"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/triggers"
	"github.com/kitchenpantry/pantryflow/web"
)

// Options are what tests change beyond the configuration.
type Options struct {
	Clock  clock.Clock   // the system clock when nil
	Engine engine.Config // engine tuning
	// ScheduleInterval is how often scheduled triggers are looked at (1s).
	ScheduleInterval time.Duration
	// ExtraActions are added to the built-in ones (tests add a deliberately flaky action).
	ExtraActions func(actions.Deps) []actions.Action
	// WebhookAddresses is how many webhook addresses the flood limiter follows at once (10,000).
	WebhookAddresses int
	// DB, when set, is the database to use instead of opening cfg.DatabaseURL: already migrated, and closed
	// by its owner. Use-case tests give a database inside their rolled-back transaction
	// (storetest.UseCase); nothing may Start such a server, whose River would work outside it.
	DB *store.DB
}

// Server is a wired Pantryflow.
type Server struct {
	Config config.Config
	Log    *slog.Logger
	DB     *store.DB
	Engine *engine.Engine
	App    *app.App
	Web    *web.Server
	// Scheduler fires scheduled triggers; it runs between Start and Close.
	Scheduler *triggers.Scheduler
	// Mailer delivers the outbox over SMTP.
	Mailer *mailer.Mailer
	// Analytics keeps the metrics' rollups up to date; it runs between Start and Close.
	Analytics *rollup.Aggregator
	// Keys forgets the Idempotency-Keys older than 48 hours; it runs between Start and Close.
	Keys *app.KeySweeper
	// self is where this server listens, which call_api must never reach.
	self *netguard.Self
}

// Open opens and migrates the database and wires everything; nothing runs until Start.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*Server, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.System{}
	}
	proxies, err := cfg.TrustedProxyRanges()
	if err != nil {
		return nil, fmt.Errorf("PANTRYFLOW_TRUSTED_PROXIES: %w", err)
	}
	db := opts.DB
	if db == nil {
		if db, err = openAndMigrate(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, err
		}
	}
	expr := expression.New(clk, expression.Limits{Timeout: cfg.ExprTimeout})
	dispatcher := &triggers.Dispatcher{DB: db, Clock: clk, Log: log}
	crmService := &crm.Service{DB: db, Clock: clk, Events: dispatcher, NewID: engine.NewID}
	var eng *engine.Engine // set below; actions enqueue jobs through it only while running
	enqueueTx := func(ctx context.Context, tx *store.Tx, args river.JobArgs) error { return eng.EnqueueTx(ctx, tx, args) }
	// call_api never reaches Pantryflow itself: the port of PANTRYFLOW_ADDR now, and the port Serve really
	// listens on once it does (PANTRYFLOW_ADDR may say :0).
	self := netguard.NewSelf()
	if err := self.Listen(cfg.Addr); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("PANTRYFLOW_ADDR: %w", err)
	}
	httpClient, err := netguard.New(cfg.AllowList(), 0, netguard.WithSelf(self))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("PANTRYFLOW_SECRET_KEY: %w", err)
	}
	vault := &secrets.Vault{DB: db, Box: box}
	smtpCfg, err := mailer.ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("PANTRYFLOW_SMTP_URL: %w", err)
	}
	outbox := &mailer.Mailer{DB: db, Config: smtpCfg, From: cfg.MailFrom, Clock: clk, Log: log, EnqueueTx: enqueueTx}
	adeps := actions.Deps{Directory: db, Expr: expr, NewID: engine.NewID, Records: crmService, HTTP: httpClient,
		EnqueueTx: enqueueTx}
	list := actions.Builtin(adeps)
	if opts.ExtraActions != nil {
		list = append(list, opts.ExtraActions(adeps)...)
	}
	registry := actions.NewRegistry(list...)
	ecfg := opts.Engine
	if ecfg.Workers == 0 {
		ecfg.Workers = cfg.Workers
	}
	if ecfg.TimerInterval == 0 {
		ecfg.TimerInterval = cfg.TimerInterval
	}
	if ecfg.DeadAfter == 0 {
		ecfg.DeadAfter = cfg.DeadAfter
	}
	ecfg.HeartbeatsOnly = ecfg.HeartbeatsOnly || cfg.SameMachineTakeover == "off"
	eng, err = engine.New(engine.Deps{DB: db, Actions: registry, Expr: expr, Clock: clk, Log: log,
		Workers: func(w *river.Workers) { dispatcher.Workers(w); outbox.Workers(w) }, Secrets: vault, BaseURL: cfg.BaseURL}, ecfg)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	dispatcher.Engine = eng
	a := &app.App{DB: db, Engine: eng, Auth: &auth.Service{DB: db, Clock: clk, PasswordCost: cfg.PasswordCost}, CRM: crmService,
		Triggers: dispatcher, Clock: clk, Log: log, BaseURL: cfg.BaseURL, Mailer: outbox, Secrets: vault}
	scheduler := &triggers.Scheduler{DB: db, Engine: eng, Clock: clk, Log: log, Interval: opts.ScheduleInterval}
	secret := cfg.SessionSecret
	if secret == "" {
		secret = auth.RandomSecret(32) // serve warns that sessions then end with the process
	}
	https := strings.HasPrefix(cfg.BaseURL, "https://")
	w := web.New(a, log, web.Options{SessionSecret: secret, Secure: https, HSTS: https, TrustedProxies: proxies,
		WebhookAddresses: opts.WebhookAddresses})
	return &Server{Config: cfg, Log: log, DB: db, Engine: eng, App: a, Web: w, Scheduler: scheduler, Mailer: outbox,
		Analytics: rollup.New(db, clk, log), Keys: app.NewKeySweeper(db, clk, log, 0), self: self}, nil
}

// Bootstrap creates the first admin when there is no user, and returns a generated password to print once.
func (s *Server) Bootstrap(ctx context.Context) (email, generated string, err error) {
	var u *store.User
	err = store.RetryStartup(ctx, s.Log, "create the first admin", func(ctx context.Context) error {
		u, generated, err = s.App.Auth.Bootstrap(ctx, s.Config.AdminEmail, s.Config.AdminPassword)
		return err
	})
	if err != nil || u == nil {
		return "", "", err
	}
	return u.Email, generated, nil
}

// Start starts the engine and the scheduler.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Engine.Start(ctx); err != nil {
		return err
	}
	s.Scheduler.Start(ctx)
	s.Analytics.Start(ctx)
	s.Keys.Start(ctx)
	return nil
}

// Serve listens on the configured address until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.self.Listen(ln.Addr().String()); err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           s.Web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down the web server: %w", err)
	}
	return nil
}

// Close stops the engine and closes the database.
func (s *Server) Close(ctx context.Context) error {
	s.Scheduler.Stop()
	s.Analytics.Stop()
	s.Keys.Stop()
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err := s.Engine.Stop(stopCtx)
	return errors.Join(err, s.DB.Close())
}

// openAndMigrate opens the database at url and migrates it, each retried while the database is not there yet.
func openAndMigrate(ctx context.Context, url string, log *slog.Logger) (*store.DB, error) {
	var db *store.DB
	err := store.RetryStartup(ctx, log, "open the database", func(ctx context.Context) (err error) {
		db, err = store.Open(ctx, url, log)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := store.RetryStartup(ctx, log, "migrate", func(ctx context.Context) error { return db.Migrate(ctx, log) }); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

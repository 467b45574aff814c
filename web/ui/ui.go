// Package ui is Pantryflow's pages: HTML rendered with templ, htmx fragments, sessions kept in the
// database, CSRF tokens on every form and htmx request, and the designer's JSON endpoints, which live among
// the pages because the designer's script calls them with the session. web puts its routes in the one route
// table.
package ui

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// Handlers serve the pages.
type Handlers struct {
	app      *app.App
	log      *slog.Logger
	sessions sessionStore
	publish  echo.HandlerFunc
}

// Options configure the pages.
type Options struct {
	// SessionSecret derives the keys that sign and encrypt session cookies.
	SessionSecret string
	// Secure marks cookies Secure (the public address is https).
	Secure bool
	// Publish publishes a version, answering JSON: the API's handler, which the designer's script calls
	// with the session.
	Publish echo.HandlerFunc
}

// New builds the page handlers.
func New(a *app.App, log *slog.Logger, opts Options) *Handlers {
	return &Handlers{app: a, log: log, sessions: newSessionStore(a, opts.SessionSecret, opts.Secure), publish: opts.Publish}
}

// Routes are every page route, in the order of the sections below.
func (s *Handlers) Routes() []httpx.Route {
	var routes []httpx.Route
	for _, section := range [][]httpx.Route{s.CoreRoutes(), s.CRMRoutes(), s.SettingsRoutes(), s.CalendarRoutes(), s.TeamRoutes(), s.SecretRoutes(),
		s.DesignerRoutes(), s.DashboardRoutes(), s.DemoRoutes()} {
		routes = append(routes, section...)
	}
	return routes
}

// CoreRoutes are signing in and out, the inbox and tasks, workflows and their runs.
func (s *Handlers) CoreRoutes() []httpx.Route {
	rep, manager := auth.RoleRep, auth.RoleManager
	return []httpx.Route{
		httpx.GET("home", "/", "", s.home),
		httpx.GET("login", "/login", "", s.loginPage),
		httpx.POST("login.post", "/login", "", s.login),
		httpx.POST("logout", "/logout", "", s.logout),
		httpx.GET("inbox", "/inbox", rep, s.inboxPage),
		httpx.GET("tasks.page", "/tasks/:id", rep, s.taskPage),
		httpx.POST("tasks.submit", "/tasks/:id", rep, s.submitTaskForm),
		httpx.POST("tasks.reassign", "/tasks/:id/reassign", manager, s.reassignTask),
		httpx.POST("tasks.claim", "/tasks/:id/claim", rep, s.claimTask),
		httpx.POST("tasks.unclaim", "/tasks/:id/unclaim", rep, s.unclaimTask),
		httpx.GET("workflows", "/workflows", manager, s.workflowsPage),
		httpx.POST("workflows.enabled", "/workflows/:id/enabled", manager, s.toggleWorkflow),
		httpx.GET("workflows.versions", "/workflows/:id/versions", manager, s.versionsPage),
		httpx.POST("workflows.publish", "/workflows/:id/publish", manager, s.publishVersion),
		httpx.GET("workflows.migrate", "/workflows/:id/migrate", manager, s.migratePage),
		httpx.POST("workflows.migrate.start", "/workflows/:id/migrate", manager, s.migrateRuns),
		httpx.GET("workflows.run.form", "/workflows/:id/run", manager, s.runForm),
		httpx.POST("workflows.run", "/workflows/:id/run", manager, s.runWorkflow),
		httpx.GET("executions", "/executions", manager, s.executionsPage),
		httpx.GET("executions.page", "/executions/:id", rep, s.executionPage),
		httpx.POST("executions.cancel", "/executions/:id/cancel", manager, s.executionAction("cancel")),
		httpx.POST("executions.wake", "/executions/:id/wake", manager, s.executionAction("wake")),
		httpx.POST("executions.retry", "/executions/:id/retry", manager, s.executionAction("retry")),
		httpx.POST("executions.fix", "/executions/:id/fix", manager, s.fixExecution),
		httpx.GET("incidents", "/incidents", manager, s.incidentsPage),
		httpx.POST("crm.journey.undo", "/crm/journey/:entry/undo", manager, s.undoJourneyEntry),
		httpx.POST("incidents.retry", "/incidents/retry", manager, s.retryIncident),
		httpx.GET("batches.new", "/batches/new", manager, s.newBatchPage),
		httpx.POST("batches.create", "/batches", manager, s.startBatch),
		httpx.GET("batches.page", "/batches/:id", manager, s.batchPage),
	}
}

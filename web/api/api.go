// Package api is Pantryflow's JSON API: handlers that bind a JSON request, call one use case and answer
// JSON, signed in with bearer tokens; errors are answered as JSON problems ({error, details}). Creating
// routes take an Idempotency-Key, and webhooks are limited per address. web puts its routes in the one
// route table.
package api

import (
	"cmp"
	"log/slog"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// Handlers serve the API.
type Handlers struct {
	app   *app.App
	log   *slog.Logger
	hooks *hookLimiter
}

// Options configure the API.
type Options struct {
	// WebhookAddresses is how many webhook addresses the flood limiter follows at once (10,000).
	WebhookAddresses int
}

// New builds the API's handlers.
func New(a *app.App, log *slog.Logger, opts Options) *Handlers {
	return &Handlers{app: a, log: log, hooks: newHookLimiter(cmp.Or(opts.WebhookAddresses, hookMaxKeys))}
}

// Routes are every API route, in the order of the sections below.
func (s *Handlers) Routes() []httpx.Route {
	var routes []httpx.Route
	for _, section := range [][]httpx.Route{s.CoreRoutes(), s.TeamRoutes(), s.CRMRoutes(), s.TriggerRoutes(), s.SecretRoutes(), s.MailTemplateRoutes(),
		s.AnalyticsRoutes()} {
		routes = append(routes, section...)
	}
	return routes
}

// CoreRoutes are workflows and templates, runs, tasks and the outbox.
func (s *Handlers) CoreRoutes() []httpx.Route {
	rep, manager, admin := auth.RoleRep, auth.RoleManager, auth.RoleAdmin
	return []httpx.Route{
		httpx.GET("api.audit", "/api/audit", admin, s.listAudit),
		httpx.POST("api.workflows.create", "/api/workflows", manager, s.createWorkflow),
		httpx.GET("api.workflows.list", "/api/workflows", rep, s.listWorkflows),
		httpx.GET("api.workflows.get", "/api/workflows/:id", rep, s.getWorkflow),
		httpx.PUT("api.workflows.update", "/api/workflows/:id", manager, s.updateWorkflow),
		httpx.POST("api.workflows.publish", "/api/workflows/:id/publish", manager, s.PublishWorkflow),
		httpx.POST("api.workflows.enabled", "/api/workflows/:id/enabled", manager, s.setWorkflowEnabled),
		httpx.GET("api.workflows.versions", "/api/workflows/:id/versions", rep, s.listVersions),
		httpx.POST("api.workflows.start", "/api/workflows/:id/executions", manager, s.startExecution),
		httpx.POST("api.workflows.replay", "/api/workflows/:id/replay", manager, s.replayWorkflow),
		httpx.POST("api.workflows.migrations", "/api/workflows/:id/migrations", manager, s.migrateRuns),
		httpx.GET("api.templates.list", "/api/templates", rep, s.listTemplates),
		httpx.GET("api.templates.get", "/api/templates/:id", rep, s.getTemplate),
		httpx.POST("api.templates.import", "/api/templates/:id/import", manager, s.importTemplate),

		httpx.GET("api.executions.list", "/api/executions", rep, s.listExecutions),
		httpx.GET("api.executions.get", "/api/executions/:id", rep, s.getExecution),
		httpx.POST("api.executions.cancel", "/api/executions/:id/cancel", manager, s.cancelExecution),
		httpx.POST("api.executions.wake", "/api/executions/:id/wake", manager, s.wakeExecution),
		httpx.POST("api.executions.retry", "/api/executions/:id/retry", manager, s.retryExecution),
		httpx.POST("api.executions.skip", "/api/executions/:id/skip", manager, s.skipStep),
		httpx.PATCH("api.executions.variables", "/api/executions/:id/variables", manager, s.editVariables),
		httpx.GET("api.incidents.list", "/api/incidents", manager, s.listIncidents),
		httpx.POST("api.batches.create", "/api/batches", manager, s.startBatch),
		httpx.GET("api.batches.get", "/api/batches/:id", manager, s.getBatch),

		httpx.GET("api.tasks.list", "/api/tasks", rep, s.listTasks),
		httpx.GET("api.tasks.get", "/api/tasks/:id", rep, s.getTask),
		httpx.POST("api.tasks.complete", "/api/tasks/:id/complete", rep, s.completeTask),

		httpx.GET("api.outbox.list", "/api/outbox", manager, s.listOutbox),
		httpx.GET("api.outbox.get", "/api/outbox/:id", manager, s.getMail),
	}
}

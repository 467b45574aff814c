// Package web is Pantryflow's HTTP surface: the route table, thin handlers that bind a request, call one use
// case and render, the middleware (authentication, role checks, body limits, security headers) and the
// central error handler.
package web

import (
	"cmp"
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// Server serves the API and pages.
type Server struct {
	app      *app.App
	log      *slog.Logger
	echo     *echo.Echo
	sessions sessionStore
	hooks    *hookLimiter
	// Ready reports whether the server can take work: the database takes writes.
	Ready func(ctx context.Context) error
}

// Options configure the web server.
type Options struct {
	// SessionSecret derives the keys that sign and encrypt session cookies.
	SessionSecret string
	// Secure marks cookies Secure (the public address is https).
	Secure bool
	// HSTS sends Strict-Transport-Security, telling browsers to come back over https only (the public
	// address, PANTRYFLOW_BASE_URL, is https).
	HSTS bool
	// TrustedProxies are the proxies whose X-Forwarded-For names the client; with none, the connection's
	// address is the client's and forwarding headers are ignored.
	TrustedProxies []*net.IPNet
	// WebhookAddresses is how many webhook addresses the flood limiter follows at once (10,000).
	WebhookAddresses int
}

// Route is one entry of the route table: every route states who may use it.
type Route struct {
	Name    string
	Method  string
	Path    string
	Role    auth.Role // the least role allowed; "" means anyone, signed in or not
	Handler echo.HandlerFunc
}

// New builds the server and its routes.
func New(a *app.App, log *slog.Logger, opts Options) *Server {
	s := &Server{app: a, log: log, Ready: a.DB.CheckWrites,
		sessions: newSessionStore(a, opts.SessionSecret, opts.Secure), hooks: newHookLimiter(cmp.Or(opts.WebhookAddresses, hookMaxKeys))}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIP(opts.TrustedProxies)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("1M"))
	e.Use(securityHeaders(opts.HSTS))
	// Every form and htmx request of the pages carries the token; the API authenticates with bearer
	// tokens, which a browser never sends on its own, so it needs none. The token counts in the header or
	// in the form body, never in the query string (see csrfFromBody).
	e.Use(csrfFromBody)
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        func(c echo.Context) bool { return !isPagePath(c.Request().URL.Path) },
		TokenLookup:    "header:" + csrfHeader,
		CookieName:     "pantryflow_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   opts.Secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "this form has expired or did not come from Pantryflow; reload the page and try again")
		},
	}))
	for _, r := range s.Routes() {
		handler := checkInput(s.idempotent(r, r.Handler))
		if noStore(r) {
			handler = noStoreAnswer(handler)
		}
		if r.Role != "" {
			handler = s.requireRole(r.Role, r.Path, handler)
		}
		e.Add(r.Method, r.Path, handler).Name = r.Name
	}
	s.echo = e
	return s
}

// isPagePath tells the browser pages (sessions, CSRF, HTML errors) from the API, webhooks and files.
func isPagePath(path string) bool {
	for _, prefix := range []string{"/api/", "/hooks/", "/static/", "/healthz", "/readyz"} {
		if strings.HasPrefix(path, prefix) {
			return false
		}
	}
	return true
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes is the route table.
func (s *Server) Routes() []Route {
	rep, manager := auth.RoleRep, auth.RoleManager
	routes := []Route{
		{"home", http.MethodGet, "/", "", s.home},
		{"login", http.MethodGet, "/login", "", s.loginPage},
		{"login.post", http.MethodPost, "/login", "", s.login},
		{"logout", http.MethodPost, "/logout", "", s.logout},
		{"inbox", http.MethodGet, "/inbox", rep, s.inboxPage},
		{"tasks.page", http.MethodGet, "/tasks/:id", rep, s.taskPage},
		{"tasks.submit", http.MethodPost, "/tasks/:id", rep, s.submitTaskForm},
		{"tasks.reassign", http.MethodPost, "/tasks/:id/reassign", manager, s.reassignTask},
		{"workflows", http.MethodGet, "/workflows", manager, s.workflowsPage},
		{"workflows.enabled", http.MethodPost, "/workflows/:id/enabled", manager, s.toggleWorkflow},
		{"workflows.versions", http.MethodGet, "/workflows/:id/versions", manager, s.versionsPage},
		{"workflows.publish", http.MethodPost, "/workflows/:id/publish", manager, s.publishVersion},
		{"workflows.run.form", http.MethodGet, "/workflows/:id/run", manager, s.runForm},
		{"workflows.run", http.MethodPost, "/workflows/:id/run", manager, s.runWorkflow},
		{"executions", http.MethodGet, "/executions", manager, s.executionsPage},
		{"executions.page", http.MethodGet, "/executions/:id", rep, s.executionPage},
		{"executions.cancel", http.MethodPost, "/executions/:id/cancel", manager, s.executionAction("cancel")},
		{"executions.wake", http.MethodPost, "/executions/:id/wake", manager, s.executionAction("wake")},
		{"executions.retry", http.MethodPost, "/executions/:id/retry", manager, s.executionAction("retry")},
		{"static", http.MethodGet, "/static/*", "", staticFiles()},
		{"healthz", http.MethodGet, "/healthz", "", s.healthz},
		{"readyz", http.MethodGet, "/readyz", "", s.readyz},

		{"api.workflows.create", http.MethodPost, "/api/workflows", manager, s.createWorkflow},
		{"api.workflows.list", http.MethodGet, "/api/workflows", rep, s.listWorkflows},
		{"api.workflows.get", http.MethodGet, "/api/workflows/:id", rep, s.getWorkflow},
		{"api.workflows.update", http.MethodPut, "/api/workflows/:id", manager, s.updateWorkflow},
		{"api.workflows.publish", http.MethodPost, "/api/workflows/:id/publish", manager, s.publishWorkflow},
		{"api.workflows.enabled", http.MethodPost, "/api/workflows/:id/enabled", manager, s.setWorkflowEnabled},
		{"api.workflows.versions", http.MethodGet, "/api/workflows/:id/versions", rep, s.listVersions},
		{"api.workflows.start", http.MethodPost, "/api/workflows/:id/executions", manager, s.startExecution},
		{"api.templates.list", http.MethodGet, "/api/templates", rep, s.listTemplates},
		{"api.templates.get", http.MethodGet, "/api/templates/:id", rep, s.getTemplate},
		{"api.templates.import", http.MethodPost, "/api/templates/:id/import", manager, s.importTemplate},

		{"api.executions.list", http.MethodGet, "/api/executions", rep, s.listExecutions},
		{"api.executions.get", http.MethodGet, "/api/executions/:id", rep, s.getExecution},
		{"api.executions.cancel", http.MethodPost, "/api/executions/:id/cancel", manager, s.cancelExecution},
		{"api.executions.wake", http.MethodPost, "/api/executions/:id/wake", manager, s.wakeExecution},
		{"api.executions.retry", http.MethodPost, "/api/executions/:id/retry", manager, s.retryExecution},

		{"api.tasks.list", http.MethodGet, "/api/tasks", rep, s.listTasks},
		{"api.tasks.get", http.MethodGet, "/api/tasks/:id", rep, s.getTask},
		{"api.tasks.complete", http.MethodPost, "/api/tasks/:id/complete", rep, s.completeTask},

		{"api.outbox.list", http.MethodGet, "/api/outbox", manager, s.listOutbox},
		{"api.outbox.get", http.MethodGet, "/api/outbox/:id", manager, s.getMail},
	}
	routes = append(routes, s.crmRoutes()...)
	routes = append(routes, s.crmPageRoutes()...)
	routes = append(routes, s.triggerRoutes()...)
	routes = append(routes, s.settingsRoutes()...)
	routes = append(routes, s.secretRoutes()...)
	routes = append(routes, s.designerRoutes()...)
	routes = append(routes, s.analyticsRoutes()...)
	routes = append(routes, s.dashboardRoutes()...)
	return routes
}

// hstsValue keeps browsers on https for a year, subdomains included, once they have seen it over https.
const hstsValue = "max-age=31536000; includeSubDomains"

func securityHeaders(hsts bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
			if hsts {
				h.Set("Strict-Transport-Security", hstsValue)
			}
			return next(c)
		}
	}
}

// csrfHeader and csrfField carry the CSRF token: htmx and the designer's scripts send the header, forms the
// field.
const (
	csrfHeader = "X-CSRF-Token"
	csrfField  = "_csrf"
)

// csrfFromBody hands the token of a url-encoded or multipart form body to the CSRF check as a header value.
// Echo's own form lookup reads c.FormValue, which takes the query string as well, and a token in a URL
// does not prove a form of ours was sent: URLs end up in logs, Referer headers and browser history, and a
// link can carry one. A _csrf in the query string therefore counts for nothing.
func csrfFromBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		default:
			if isPagePath(r.URL.Path) && isFormBody(r) {
				_ = r.ParseMultipartForm(32 << 20) // url-encoded too; a broken body simply has no token
				for _, token := range r.PostForm[csrfField] {
					r.Header.Add(csrfHeader, token)
				}
			}
		}
		return next(c)
	}
}

// secretRoutes show a secret — an API token, a generated password, a webhook's signing secret — that no
// cache, proxy or browser history may keep.
var secretRoutes = []string{"api.workflows.webhook", "api.workflows.webhook.rotate", "designer.page",
	"designer.trigger", "designer.webhook.rotate"}

// noStore reports whether a route's answers must not be stored: the secret ones and every settings page.
func noStore(r Route) bool {
	return slices.Contains(secretRoutes, r.Name) || r.Path == "/settings" || strings.HasPrefix(r.Path, "/settings/")
}

func noStoreAnswer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is ready while the database takes writes (Ready, by default a write of the health row): a
// database that answers but cannot write — a full disk, a read-only file, a standby — fails every start, so
// a load balancer should send work elsewhere until it writes again. The answer says what is wrong in words;
// the driver's error, which may name hosts and files, goes to the log only.
func (s *Server) readyz(c echo.Context) error {
	if err := s.Ready(c.Request().Context()); err != nil {
		s.log.Warn("not ready: the database does not take writes", "error", err)
		c.Response().Header().Set(echo.HeaderRetryAfter, retryAfterSeconds)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready",
			"error": "the database does not take writes: " + app.WriteProblem(err)})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

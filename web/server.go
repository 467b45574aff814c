// Package web is Pantryflow's HTTP surface: the one route table, assembled from the JSON API (web/api) and
// the pages (web/ui), the middleware (authentication, role checks, CSRF, input checks, body limits, security
// headers) and the central error handler, which answers JSON problems to the API and pages to browsers.
package web

import (
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
	"github.com/kitchenpantry/pantryflow/static"
	"github.com/kitchenpantry/pantryflow/web/api"
	"github.com/kitchenpantry/pantryflow/web/httpx"
	"github.com/kitchenpantry/pantryflow/web/ui"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// Server serves the API and pages.
type Server struct {
	log   *slog.Logger
	echo  *echo.Echo
	api   *api.Handlers
	pages *ui.Handlers
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
type Route = httpx.Route

// ErrorBody is every API error: a sentence for people, and the fields it is about.
type ErrorBody = httpx.ErrorBody

// New builds the server and its routes.
func New(a *app.App, log *slog.Logger, opts Options) *Server {
	apiHandlers := api.New(a, log, api.Options{WebhookAddresses: opts.WebhookAddresses})
	s := &Server{log: log, Ready: a.DB.CheckWrites, api: apiHandlers,
		pages: ui.New(a, log, ui.Options{SessionSecret: opts.SessionSecret, Secure: opts.Secure, Publish: apiHandlers.PublishWorkflow})}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIP(opts.TrustedProxies)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("1M"))
	e.Use(securityHeaders(opts.HSTS))
	e.Use(ui.CSRF(opts.Secure))
	for _, r := range s.Routes() {
		handler := httpx.CheckInput(s.api.Idempotent(r, r.Handler))
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

// requireRole lets a request through only for a user whose role is at least min: signed in with a bearer
// token for the API, with a session for the pages. It is the one place roles are checked for every route.
func (s *Server) requireRole(min auth.Role, path string, next echo.HandlerFunc) echo.HandlerFunc {
	if httpx.IsPagePath(path) {
		return s.pages.RequireRole(min, next)
	}
	return s.api.RequireRole(min, next)
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes is the route table: the pages' and the API's sections, in the order the authorization matrix
// walks them.
func (s *Server) Routes() []Route {
	var routes []Route
	for _, section := range [][]Route{
		s.pages.CoreRoutes(),
		s.ownRoutes(),
		s.api.CoreRoutes(),
		s.api.TeamRoutes(),
		s.api.CRMRoutes(),
		s.pages.CRMRoutes(),
		s.api.TriggerRoutes(),
		s.pages.SettingsRoutes(),
		s.pages.CalendarRoutes(),
		s.pages.TeamRoutes(),
		s.api.SecretRoutes(),
		s.pages.SecretRoutes(),
		s.api.MailTemplateRoutes(),
		s.pages.DesignerRoutes(),
		s.api.AnalyticsRoutes(),
		s.pages.DashboardRoutes(),
		s.pages.DemoRoutes(),
	} {
		routes = append(routes, section...)
	}
	return routes
}

// ownRoutes are neither page nor API: the static files and the health checks.
func (s *Server) ownRoutes() []Route {
	return []Route{
		httpx.GET("static", "/static/*", "", staticFiles()),
		httpx.GET("healthz", "/healthz", "", s.healthz),
		httpx.GET("readyz", "/readyz", "", s.readyz),
	}
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
		c.Response().Header().Set(echo.HeaderRetryAfter, httpx.RetryAfterSeconds)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready",
			"error": "the database does not take writes: " + app.WriteProblem(err)})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// staticFiles serves the embedded files; their URLs carry a checksum, so they may be cached for long.
func staticFiles() echo.HandlerFunc {
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static.FS())))
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// clientIP is how c.RealIP() finds the client (sign-in throttling counts by it): the connection's address,
// or, from a configured proxy, the nearest address in X-Forwarded-For that is not a configured proxy.
// Loopback and private addresses are trusted only when configured.
func clientIP(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		trust = append(trust, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(trust...)
}

// Package httpx is what the two halves of Pantryflow's HTTP surface share: the route table's entry and its
// roles, the signed-in user of a request, JSON binding and query parameters, the mapping of errors to
// status codes and problem bodies, the input checks every route gets, and the htmx headers. web/api (bearer
// tokens, JSON) and web/ui (sessions, CSRF, HTML) build on it; web assembles them.
package httpx

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// Route is one entry of the route table: every route states who may use it.
type Route struct {
	Name    string
	Method  string
	Path    string
	Role    auth.Role // the least role allowed; "" means anyone, signed in or not
	Handler echo.HandlerFunc
}

const principalKey = "principal"

// Principal is the signed-in user of a request, or nil: set by the role check of the route.
func Principal(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

// SetPrincipal records the signed-in user of a request, once its token or session has been checked.
func SetPrincipal(c echo.Context, p *auth.Principal) { c.Set(principalKey, p) }

// IsPagePath tells the browser pages (sessions, CSRF, HTML errors) from the API, webhooks and files.
func IsPagePath(path string) bool {
	for _, prefix := range []string{"/api/", "/hooks/", "/static/", "/healthz", "/readyz"} {
		if strings.HasPrefix(path, prefix) {
			return false
		}
	}
	return true
}

// GET, POST, PUT, PATCH and DELETE are the rows of a route table: a name, a path, the least role and the
// handler.
func GET(name, path string, role auth.Role, h echo.HandlerFunc) Route {
	return Route{name, http.MethodGet, path, role, h}
}

// POST is a route table row for a POST.
func POST(name, path string, role auth.Role, h echo.HandlerFunc) Route {
	return Route{name, http.MethodPost, path, role, h}
}

// PUT is a route table row for a PUT.
func PUT(name, path string, role auth.Role, h echo.HandlerFunc) Route {
	return Route{name, http.MethodPut, path, role, h}
}

// PATCH is a route table row for a PATCH.
func PATCH(name, path string, role auth.Role, h echo.HandlerFunc) Route {
	return Route{name, http.MethodPatch, path, role, h}
}

// DELETE is a route table row for a DELETE.
func DELETE(name, path string, role auth.Role, h echo.HandlerFunc) Route {
	return Route{name, http.MethodDelete, path, role, h}
}

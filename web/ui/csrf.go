package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// csrfHeader and csrfField carry the CSRF token: htmx and the designer's scripts send the header, forms the
// field.
const (
	csrfHeader = "X-CSRF-Token"
	csrfField  = "_csrf"
)

// CSRF checks the token of every form and htmx request of the pages. The API authenticates with bearer
// tokens, which a browser never sends on its own, so it needs none. The token counts in the header or in
// the form body, never in the query string (see csrfFromBody).
func CSRF(secure bool) echo.MiddlewareFunc {
	check := middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        func(c echo.Context) bool { return !httpx.IsPagePath(c.Request().URL.Path) },
		TokenLookup:    "header:" + csrfHeader,
		CookieName:     "pantryflow_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "this form has expired or did not come from Pantryflow; reload the page and try again")
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc { return csrfFromBody(check(next)) }
}

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
			if httpx.IsPagePath(r.URL.Path) && httpx.IsFormBody(r) {
				_ = r.ParseMultipartForm(32 << 20) // url-encoded too; a broken body simply has no token
				for _, token := range r.PostForm[csrfField] {
					r.Header.Add(csrfHeader, token)
				}
			}
		}
		return next(c)
	}
}

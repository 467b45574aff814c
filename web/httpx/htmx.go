package httpx

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// htmx request and response headers.
const (
	HTMXRequest  = "HX-Request"
	HTMXRedirect = "HX-Redirect"
	HTMXTrigger  = "HX-Trigger"
)

// IsHTMX reports whether the request came from htmx (then a fragment answers it).
func IsHTMX(c echo.Context) bool { return c.Request().Header.Get(HTMXRequest) == "true" }

// Render writes a templ component as the response.
func Render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

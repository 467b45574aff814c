package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// handleError is the one error handler: API routes are answered a JSON problem, pages (and the htmx
// requests of pages) the error in words, scripts of pages asking for JSON a JSON problem.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, body := httpx.ErrorResponse(err)
	if code == http.StatusServiceUnavailable {
		c.Response().Header().Set(echo.HeaderRetryAfter, httpx.RetryAfterSeconds)
	}
	httpx.LogFailure(s.log, c, code, err)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if httpx.IsPagePath(c.Request().URL.Path) && !httpx.WantsJSON(c.Request()) {
		msg := body.Error
		for _, d := range body.Details {
			msg += " " + d.Message + "."
		}
		if httpx.IsHTMX(c) {
			// htmx swaps only 2xx answers by default; say it in a fragment the page shows.
			_ = httpx.Render(c, code, views.ErrorFragment(msg))
			return
		}
		_ = httpx.Render(c, code, views.ErrorPage(s.pages.Frame(c, statusTitleText(code), ""), code, msg))
		return
	}
	_ = c.JSON(code, body)
}

func statusTitleText(code int) string { return http.StatusText(code) }

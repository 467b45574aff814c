package ui

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// RequireRole lets a page request through only for a user whose role is at least min, signed in with a
// session; anyone else is sent to sign in first.
func (s *Handlers) RequireRole(min auth.Role, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.sessionUser(c)
		if err != nil {
			return err
		}
		if p == nil {
			to := "/login?next=" + url.QueryEscape(c.Request().URL.RequestURI())
			if httpx.IsHTMX(c) {
				c.Response().Header().Set(httpx.HTMXRedirect, to)
				return c.NoContent(http.StatusUnauthorized)
			}
			return c.Redirect(http.StatusSeeOther, to)
		}
		if !p.Role.AtLeast(min) {
			return echo.NewHTTPError(http.StatusForbidden, "this page is for "+string(min)+"s; ask a manager if you need it")
		}
		httpx.SetPrincipal(c, p)
		return next(c)
	}
}

// throttledMessage tells someone whose sign-in was throttled why, and when to try again.
func throttledMessage(scope auth.ThrottleScope, wait string) string {
	switch scope {
	case auth.ThrottledAddress:
		return "Too many failed sign-ins from your address. Wait " + wait + " and try again."
	case auth.ThrottledNewAddress:
		return "Too many failed sign-ins for this account from addresses it has not signed in from before. Wait " + wait +
			" and try again, sign in from an address you have used before, or ask an admin to reset your password."
	}
	return "Too many failed sign-ins for this account from your address. Wait " + wait +
		" and try again, or ask an admin to reset your password."
}

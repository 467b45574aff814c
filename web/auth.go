package web

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

const principalKey = "principal"

// requireRole lets a request through only for a user whose role is at least min: signed in with a bearer
// token for the API, with a session for the pages. It is the one place roles are checked for every route.
func (s *Server) requireRole(min auth.Role, path string, next echo.HandlerFunc) echo.HandlerFunc {
	if isPagePath(path) {
		return s.requirePageRole(min, next)
	}
	return func(c echo.Context) error {
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(header, "Bearer ")
		if !ok {
			return c.JSON(http.StatusUnauthorized, ErrorBody{Error: "sign in first: send an API token as 'Authorization: Bearer <token>'"})
		}
		p, err := s.app.Auth.Authenticate(c.Request().Context(), strings.TrimSpace(token))
		if errors.Is(err, auth.ErrBadToken) {
			return c.JSON(http.StatusUnauthorized, ErrorBody{Error: "the API token is wrong, revoked, or its user is disabled"})
		}
		if err != nil {
			return err
		}
		if !p.Role.AtLeast(min) {
			return c.JSON(http.StatusForbidden, ErrorBody{Error: "your role (" + string(p.Role) + ") may not do this; it needs " + string(min)})
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principal(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

func (s *Server) requirePageRole(min auth.Role, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.sessionUser(c)
		if err != nil {
			return err
		}
		if p == nil {
			to := "/login?next=" + url.QueryEscape(c.Request().URL.RequestURI())
			if c.Request().Header.Get(htmxRequest) == "true" {
				c.Response().Header().Set(htmxRedirect, to)
				return c.NoContent(http.StatusUnauthorized)
			}
			return c.Redirect(http.StatusSeeOther, to)
		}
		if !p.Role.AtLeast(min) {
			return echo.NewHTTPError(http.StatusForbidden, "this page is for "+string(min)+"s; ask a manager if you need it")
		}
		c.Set(principalKey, p)
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

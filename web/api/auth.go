package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// RequireRole lets an API request through only for a user whose role is at least min, signed in with a
// bearer token (which a browser never sends on its own, so the API needs no CSRF token).
func (s *Handlers) RequireRole(min auth.Role, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(header, "Bearer ")
		if !ok {
			return c.JSON(http.StatusUnauthorized, httpx.ErrorBody{Error: "sign in first: send an API token as 'Authorization: Bearer <token>'"})
		}
		p, err := s.app.Auth.Authenticate(c.Request().Context(), strings.TrimSpace(token))
		if errors.Is(err, auth.ErrBadToken) {
			return c.JSON(http.StatusUnauthorized, httpx.ErrorBody{Error: "the API token is wrong, revoked, or its user is disabled"})
		}
		if err != nil {
			return err
		}
		if !p.Role.AtLeast(min) {
			return c.JSON(http.StatusForbidden, httpx.ErrorBody{Error: "your role (" + string(p.Role) + ") may not do this; it needs " + string(min)})
		}
		httpx.SetPrincipal(c, p)
		return next(c)
	}
}

package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

const principalKey = "principal"

// requireRole lets a request through only with a valid bearer token of a user whose role is at least min.
func (s *Server) requireRole(min auth.Role, next echo.HandlerFunc) echo.HandlerFunc {
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

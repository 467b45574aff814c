package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// SecretRoutes are the secrets' API. Managers create, rotate and delete them; no route answers a value.
func (s *Handlers) SecretRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("api.secrets.list", "/api/secrets", manager, s.listSecrets),
		httpx.POST("api.secrets.create", "/api/secrets", manager, s.createSecret),
		httpx.PUT("api.secrets.rotate", "/api/secrets/:name", manager, s.rotateSecret),
		httpx.DELETE("api.secrets.delete", "/api/secrets/:name", manager, s.deleteSecret),
	}
}

func (s *Handlers) listSecrets(c echo.Context) error {
	items, err := s.app.ListSecrets(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.SecretInfo]{Items: items, Total: int64(len(items))})
}

func (s *Handlers) createSecret(c echo.Context) error {
	var in app.SecretInput
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	info, err := s.app.CreateSecret(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, info)
}

func (s *Handlers) rotateSecret(c echo.Context) error {
	var in struct {
		Value string `json:"value"`
	}
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	info, err := s.app.RotateSecret(c.Request().Context(), httpx.Principal(c), c.Param("name"), in.Value)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Handlers) deleteSecret(c echo.Context) error {
	if err := s.app.DeleteSecret(c.Request().Context(), httpx.Principal(c), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

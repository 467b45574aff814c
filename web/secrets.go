package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/views"
)

// secretRoutes are the secrets' API and page. Managers create, rotate and delete them; no route answers
// a value.
func (s *Server) secretRoutes() []Route {
	manager := auth.RoleManager
	return []Route{
		{"api.secrets.list", http.MethodGet, "/api/secrets", manager, s.listSecrets},
		{"api.secrets.create", http.MethodPost, "/api/secrets", manager, s.createSecret},
		{"api.secrets.rotate", http.MethodPut, "/api/secrets/:name", manager, s.rotateSecret},
		{"api.secrets.delete", http.MethodDelete, "/api/secrets/:name", manager, s.deleteSecret},

		{"settings.secrets", http.MethodGet, "/settings/secrets", manager, s.secretsPage},
		{"settings.secrets.create", http.MethodPost, "/settings/secrets", manager, s.createSecretForm},
		{"settings.secrets.rotate", http.MethodPost, "/settings/secrets/:name/rotate", manager, s.rotateSecretForm},
		{"settings.secrets.delete", http.MethodPost, "/settings/secrets/:name/delete", manager, s.deleteSecretForm},
	}
}

func (s *Server) listSecrets(c echo.Context) error {
	items, err := s.app.ListSecrets(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.SecretInfo]{items, int64(len(items))})
}

func (s *Server) createSecret(c echo.Context) error {
	var in app.SecretInput
	if err := bindJSON(c, &in, false); err != nil {
		return err
	}
	info, err := s.app.CreateSecret(c.Request().Context(), principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, info)
}

func (s *Server) rotateSecret(c echo.Context) error {
	var in struct {
		Value string `json:"value"`
	}
	if err := bindJSON(c, &in, false); err != nil {
		return err
	}
	info, err := s.app.RotateSecret(c.Request().Context(), principal(c), c.Param("name"), in.Value)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Server) deleteSecret(c echo.Context) error {
	if err := s.app.DeleteSecret(c.Request().Context(), principal(c), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- the page ---

func (s *Server) secretsPage(c echo.Context) error {
	panel, err := s.secretsPanel(c, views.SecretsPanel{})
	if err != nil {
		return err
	}
	return s.renderSecrets(c, http.StatusOK, panel)
}

// secretsPanel fills in the list around the outcome of an action.
func (s *Server) secretsPanel(c echo.Context, p views.SecretsPanel) (views.SecretsPanel, error) {
	items, err := s.app.ListSecrets(c.Request().Context(), principal(c))
	if err != nil {
		return p, err
	}
	p.CSRF, p.Ready, p.Secrets = csrfToken(c), s.app.SecretsReady(), items
	return p, nil
}

func (s *Server) renderSecrets(c echo.Context, status int, p views.SecretsPanel) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if isHTMX(c) {
		return render(c, status, views.SecretsPanelFragment(p))
	}
	return render(c, status, views.SecretsPage(views.SecretsView{Page: s.frame(c, "Secrets", "settings"), Panel: p}))
}

// outcome renders the panel after an action: its notice, or the form's problems, or a refusal.
func (s *Server) secretOutcome(c echo.Context, p views.SecretsPanel, err error, notice string) error {
	status := http.StatusOK
	ferrs, invalid := fieldErrors(err)
	var aerr *app.Error
	switch {
	case invalid:
		status = http.StatusUnprocessableEntity
		if p.Focus != "" {
			p.FocusErrors = ferrs
		} else {
			p.Errors = ferrs
		}
	case errors.As(err, &aerr) && !errors.Is(aerr.Kind, app.ErrForbidden):
		status, _ = errorResponse(aerr)
		p.Error = aerr.Message
	case err != nil:
		return err
	default:
		p.Notice, p.Name = notice, ""
	}
	panel, lerr := s.secretsPanel(c, p)
	if lerr != nil {
		return lerr
	}
	return s.renderSecrets(c, status, panel)
}

func (s *Server) createSecretForm(c echo.Context) error {
	in := app.SecretInput{Name: c.FormValue("name"), Value: c.FormValue("value")}
	info, err := s.app.CreateSecret(c.Request().Context(), principal(c), in)
	return s.secretOutcome(c, views.SecretsPanel{Name: in.Name}, err,
		"The secret "+info.Name+" is saved. Use it in a Call an API step as {{ secrets."+info.Name+" }}.")
}

func (s *Server) rotateSecretForm(c echo.Context) error {
	name := c.Param("name")
	_, err := s.app.RotateSecret(c.Request().Context(), principal(c), name, c.FormValue("value"))
	return s.secretOutcome(c, views.SecretsPanel{Focus: name}, err,
		"The secret "+name+" has its new value: runs use it from their next call.")
}

func (s *Server) deleteSecretForm(c echo.Context) error {
	name := c.Param("name")
	err := s.app.DeleteSecret(c.Request().Context(), principal(c), name)
	return s.secretOutcome(c, views.SecretsPanel{Focus: name}, err, "The secret "+name+" is deleted.")
}

package ui

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// SecretRoutes are the secrets' page. Managers create, rotate and delete them; no route answers a value.
func (s *Handlers) SecretRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("settings.secrets", "/settings/secrets", manager, s.secretsPage),
		httpx.POST("settings.secrets.create", "/settings/secrets", manager, s.createSecretForm),
		httpx.POST("settings.secrets.rotate", "/settings/secrets/:name/rotate", manager, s.rotateSecretForm),
		httpx.POST("settings.secrets.delete", "/settings/secrets/:name/delete", manager, s.deleteSecretForm),
	}
}

func (s *Handlers) secretsPage(c echo.Context) error {
	panel, err := s.secretsPanel(c, views.SecretsPanel{})
	if err != nil {
		return err
	}
	return s.renderSecrets(c, http.StatusOK, panel)
}

// secretsPanel fills in the list around the outcome of an action.
func (s *Handlers) secretsPanel(c echo.Context, p views.SecretsPanel) (views.SecretsPanel, error) {
	items, err := s.app.ListSecrets(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return p, err
	}
	p.CSRF, p.Ready, p.Secrets = csrfToken(c), s.app.SecretsReady(), items
	return p, nil
}

func (s *Handlers) renderSecrets(c echo.Context, status int, p views.SecretsPanel) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if httpx.IsHTMX(c) {
		return httpx.Render(c, status, views.SecretsPanelFragment(p))
	}
	return httpx.Render(c, status, views.SecretsPage(views.SecretsView{Page: s.Frame(c, "Secrets", "settings"), Panel: p}))
}

// outcome renders the panel after an action: its notice, or the form's problems, or a refusal.
func (s *Handlers) secretOutcome(c echo.Context, p views.SecretsPanel, err error, notice string) error {
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
		status, _ = httpx.ErrorResponse(aerr)
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

func (s *Handlers) createSecretForm(c echo.Context) error {
	in := app.SecretInput{Name: c.FormValue("name"), Value: c.FormValue("value")}
	info, err := s.app.CreateSecret(c.Request().Context(), httpx.Principal(c), in)
	return s.secretOutcome(c, views.SecretsPanel{Name: in.Name}, err,
		"The secret "+info.Name+" is saved. Use it in a Call an API step as {{ secrets."+info.Name+" }}.")
}

func (s *Handlers) rotateSecretForm(c echo.Context) error {
	name := c.Param("name")
	_, err := s.app.RotateSecret(c.Request().Context(), httpx.Principal(c), name, c.FormValue("value"))
	return s.secretOutcome(c, views.SecretsPanel{Focus: name}, err,
		"The secret "+name+" has its new value: runs use it from their next call.")
}

func (s *Handlers) deleteSecretForm(c echo.Context) error {
	name := c.Param("name")
	err := s.app.DeleteSecret(c.Request().Context(), httpx.Principal(c), name)
	return s.secretOutcome(c, views.SecretsPanel{Focus: name}, err, "The secret "+name+" is deleted.")
}

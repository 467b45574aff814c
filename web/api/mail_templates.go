package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// MailTemplateRoutes are the mail templates' API: managers list, create, change, preview and delete them.
func (s *Handlers) MailTemplateRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("api.mailtemplates.list", "/api/mail-templates", manager, s.listMailTemplates),
		httpx.POST("api.mailtemplates.create", "/api/mail-templates", manager, s.createMailTemplate),
		httpx.GET("api.mailtemplates.get", "/api/mail-templates/:name", manager, s.getMailTemplate),
		httpx.PUT("api.mailtemplates.update", "/api/mail-templates/:name", manager, s.updateMailTemplate),
		httpx.DELETE("api.mailtemplates.delete", "/api/mail-templates/:name", manager, s.deleteMailTemplate),
		httpx.GET("api.mailtemplates.versions", "/api/mail-templates/:name/versions", manager, s.mailTemplateVersions),
		httpx.POST("api.mailtemplates.preview", "/api/mail-templates/:name/preview", manager, s.previewMailTemplate),
	}
}

func (s *Handlers) listMailTemplates(c echo.Context) error {
	items, err := s.app.ListMailTemplates(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.MailTemplate]{Items: items, Total: int64(len(items))})
}

func (s *Handlers) createMailTemplate(c echo.Context) error {
	var in app.MailTemplateInput
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	t, err := s.app.CreateMailTemplate(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (s *Handlers) getMailTemplate(c echo.Context) error {
	t, err := s.app.GetMailTemplate(c.Request().Context(), httpx.Principal(c), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// updateMailTemplate saves a new version: {subject, body} and, to refuse saving over someone else's
// change, the version edited.
func (s *Handlers) updateMailTemplate(c echo.Context) error {
	var in app.MailTemplateInput
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	if in.Name != "" && in.Name != c.Param("name") {
		return &app.ValidationError{Message: "the mail template was not saved", Details: []app.Detail{{Path: "name",
			Message: "a mail template keeps its name: create a new one to use another"}}}
	}
	t, err := s.app.UpdateMailTemplate(c.Request().Context(), httpx.Principal(c), c.Param("name"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Handlers) deleteMailTemplate(c echo.Context) error {
	if err := s.app.DeleteMailTemplate(c.Request().Context(), httpx.Principal(c), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Handlers) mailTemplateVersions(c echo.Context) error {
	items, err := s.app.MailTemplateVersions(c.Request().Context(), httpx.Principal(c), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.MailTemplateVersion]{Items: items, Total: int64(len(items))})
}

// previewMailTemplate fills the template in: {recordType, recordId} or {variables}, and optionally a
// subject and body not saved yet.
func (s *Handlers) previewMailTemplate(c echo.Context) error {
	var in app.TemplatePreview
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	out, err := s.app.PreviewMailTemplate(c.Request().Context(), httpx.Principal(c), c.Param("name"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

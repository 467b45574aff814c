package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// previewKinds are the records a template can be previewed with, most recent first, so many of each.
var previewKinds = []crm.Entity{crm.Lead, crm.Contact}

const previewRecords = 25

func (s *Handlers) mailTemplatesPage(c echo.Context) error {
	items, err := s.app.ListMailTemplates(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.MailTemplatesPage(views.MailTemplatesView{Page: s.Frame(c, "Mail templates", "mail"), Templates: items}))
}

func (s *Handlers) newMailTemplatePage(c echo.Context) error {
	return s.renderMailTemplate(c, http.StatusOK, views.MailTemplateView{New: true})
}

// mailTemplatePage shows a template, its preview and versions.
func (s *Handlers) mailTemplatePage(c echo.Context) error {
	t, err := s.app.GetMailTemplate(c.Request().Context(), httpx.Principal(c), c.Param("name"))
	if err != nil {
		return err
	}
	return s.renderMailTemplate(c, http.StatusOK, views.MailTemplateView{Template: t})
}

// renderMailTemplate fills in the page around v: its versions and the records to preview with.
func (s *Handlers) renderMailTemplate(c echo.Context, status int, v views.MailTemplateView) error {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	v.CSRF = csrfToken(c)
	title := "New mail template"
	if !v.New {
		title = v.Template.Subject
		var err error
		if v.Versions, err = s.app.MailTemplateVersions(ctx, actor, v.Template.Name); err != nil {
			return err
		}
		if v.Records, err = s.previewChoices(c); err != nil {
			return err
		}
	}
	v.Page = s.Frame(c, title, "mail")
	return httpx.Render(c, status, views.MailTemplatePage(v))
}

// previewChoices are the latest leads and contacts, named as people know them.
func (s *Handlers) previewChoices(c echo.Context) ([]app.Choice, error) {
	return s.recordChoices(c, previewKinds, "Pick a lead or contact")
}

// recordChoices are the latest records of each kind, valued "kind:id" and named as people know them
// ("Ana Lopez, Bistro Ana (lead)"), after an empty first choice saying what to do.
func (s *Handlers) recordChoices(c echo.Context, kinds []crm.Entity, prompt string) ([]app.Choice, error) {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	choices := []app.Choice{{Value: "", Label: prompt}}
	for _, e := range kinds {
		recs, _, err := s.app.ListRecords(ctx, actor, e, app.RecordFilter{Page: app.Page{Limit: previewRecords}})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			id, _ := r["id"].(string)
			choices = append(choices, app.Choice{Value: string(e) + ":" + id, Label: app.RecordLabel(r) + " (" + string(e) + ")"})
		}
	}
	return choices, nil
}

func (s *Handlers) templateInput(c echo.Context) app.MailTemplateInput {
	version, _ := strconv.Atoi(c.FormValue("version"))
	// Browsers send a textarea's line breaks as CRLF; the mail is written with LF.
	body := strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n")
	return app.MailTemplateInput{Name: c.FormValue("name"), Subject: c.FormValue("subject"), Body: body, Version: version}
}

// refusedOn re-renders a stored template's page after a refused change, the template as stored with keep's
// changes (what was typed stays in the form); other errors go on.
func (s *Handlers) refusedOn(c echo.Context, name string, err error, keep func(*app.MailTemplate)) error {
	current, gerr := s.app.GetMailTemplate(c.Request().Context(), httpx.Principal(c), name)
	if gerr != nil {
		return gerr
	}
	if keep != nil {
		keep(&current)
	}
	return s.templateRefused(c, views.MailTemplateView{Template: current}, err)
}

// templateRefused re-renders the form with what was typed and why it was not saved; other errors go on.
func (s *Handlers) templateRefused(c echo.Context, v views.MailTemplateView, err error) error {
	if ferrs, invalid := fieldErrors(err); invalid {
		v.Errors = ferrs
		return s.renderMailTemplate(c, http.StatusUnprocessableEntity, v)
	}
	var aerr *app.Error
	if errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict) {
		v.Error = asSentence(aerr.Message)
		return s.renderMailTemplate(c, http.StatusConflict, v)
	}
	return err
}

func (s *Handlers) createMailTemplateForm(c echo.Context) error {
	in := s.templateInput(c)
	t, err := s.app.CreateMailTemplate(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return s.templateRefused(c, views.MailTemplateView{New: true, Template: app.MailTemplate{Name: in.Name, Subject: in.Subject, Body: in.Body}}, err)
	}
	s.flash(c, "The mail template "+t.Name+" is saved. A “Send an email” step can send it now.")
	return c.Redirect(http.StatusSeeOther, "/mail/templates/"+t.Name)
}

func (s *Handlers) updateMailTemplateForm(c echo.Context) error {
	ctx, actor, name := c.Request().Context(), httpx.Principal(c), c.Param("name")
	in := s.templateInput(c)
	t, err := s.app.UpdateMailTemplate(ctx, actor, name, in)
	if err != nil {
		return s.refusedOn(c, name, err, func(t *app.MailTemplate) {
			// What was typed stays in the form, on the version it was typed over.
			t.Subject, t.Body, t.Version = in.Subject, in.Body, in.Version
			t.Placeholders = app.TemplatePlaceholders(in.Subject, in.Body)
		})
	}
	s.flash(c, "Saved as version "+strconv.Itoa(t.Version)+". Mails sent from now on use it.")
	return c.Redirect(http.StatusSeeOther, "/mail/templates/"+name)
}

// restoreMailTemplateForm saves an earlier version's text as the newest version.
func (s *Handlers) restoreMailTemplateForm(c echo.Context) error {
	ctx, actor, name := c.Request().Context(), httpx.Principal(c), c.Param("name")
	want, err := strconv.Atoi(c.Param("version"))
	if err != nil {
		return &app.Error{Kind: app.ErrNotFound, Message: "there is no such version"}
	}
	versions, err := s.app.MailTemplateVersions(ctx, actor, name)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.Version != want {
			continue
		}
		edited, _ := strconv.Atoi(c.FormValue("version"))
		in := app.MailTemplateInput{Subject: v.Subject, Body: v.Body, Version: edited}
		t, err := s.app.UpdateMailTemplate(ctx, actor, name, in)
		if err != nil {
			return s.refusedOn(c, name, err, nil)
		}
		s.flash(c, "The text of version "+strconv.Itoa(want)+" is current again, as version "+strconv.Itoa(t.Version)+".")
		return c.Redirect(http.StatusSeeOther, "/mail/templates/"+name)
	}
	return &app.Error{Kind: app.ErrNotFound, Message: "the mail template " + name + " has no version " + strconv.Itoa(want)}
}

func (s *Handlers) deleteMailTemplateForm(c echo.Context) error {
	ctx, actor, name := c.Request().Context(), httpx.Principal(c), c.Param("name")
	if err := s.app.DeleteMailTemplate(ctx, actor, name); err != nil {
		return s.refusedOn(c, name, err, nil)
	}
	s.flash(c, "The mail template "+name+" is deleted.")
	return c.Redirect(http.StatusSeeOther, "/mail/templates")
}

// previewMailTemplateForm fills the template in with the picked record, using the form's subject and body
// as typed (saved or not); htmx gets the preview alone, a plain post the whole page.
func (s *Handlers) previewMailTemplateForm(c echo.Context) error {
	ctx, actor, name := c.Request().Context(), httpx.Principal(c), c.Param("name")
	pick := c.FormValue("record")
	p := views.MailPreview{Record: pick}
	in := app.TemplatePreview{}
	if form, err := c.FormParams(); err == nil {
		if form.Has("subject") {
			subject := form.Get("subject")
			in.Subject = &subject
		}
		if form.Has("body") {
			body := strings.ReplaceAll(form.Get("body"), "\r\n", "\n")
			in.Body = &body
		}
	}
	status := http.StatusOK
	if kind, id, ok := strings.Cut(pick, ":"); ok {
		in.RecordType, in.RecordID = kind, id
	}
	if in.RecordID == "" {
		p.Problem, status = "Pick a lead or contact to fill the template in with.", http.StatusUnprocessableEntity
	} else if out, err := s.app.PreviewMailTemplate(ctx, actor, name, in); err != nil {
		var verr *app.ValidationError
		var aerr *app.Error
		switch {
		case errors.As(err, &verr):
			msgs := make([]string, 0, len(verr.Details))
			for _, d := range verr.Details {
				msgs = append(msgs, d.Message)
			}
			p.Problem, status = asSentence(strings.Join(msgs, "; ")), http.StatusUnprocessableEntity
		case errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrNotFound):
			p.Problem, status = asSentence(aerr.Message), http.StatusNotFound
		default:
			return err
		}
	} else {
		p.Result = &out
	}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, status, views.MailPreviewFragment(p))
	}
	t, err := s.app.GetMailTemplate(ctx, actor, name)
	if err != nil {
		return err
	}
	return s.renderMailTemplate(c, status, views.MailTemplateView{Template: t, Preview: p})
}

package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// mailPage shows the outbox; ?status= narrows it to queued, sent, failed or not_sent mails.
func (s *Handlers) mailPage(c echo.Context) error {
	win, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && !slices.Contains(views.MailStatuses(), status) {
		return httpx.BadQuery("status", "status must be queued, sent, failed or not_sent")
	}
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	v := views.OutboxView{Page: s.Frame(c, "Mail", "mail"), Status: status, Window: win.Normalize(), Query: url.Values{}}
	v.Items, v.Total, err = s.app.ListOutbox(ctx, actor, app.OutboxFilter{Status: status, Page: v.Window, WithAttempts: true})
	if err != nil {
		return err
	}
	if v.Counts, err = s.app.OutboxCounts(ctx, actor); err != nil {
		return err
	}
	for _, k := range []string{"status", "limit"} {
		if val := c.QueryParam(k); val != "" {
			v.Query.Set(k, val)
		}
	}
	return httpx.Render(c, http.StatusOK, views.MailPage(v))
}

// resendMail queues a failed or not sent mail again; htmx gets the mail's row as it is now.
func (s *Handlers) resendMail(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	m, err := s.app.ResendMail(ctx, actor, id)
	msg := "Queued again: it goes out in a moment."
	var aerr *app.Error
	if errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict) {
		// Someone sent it again a moment ago, or it went out: show it as it is, and say why nothing happened.
		msg = asSentence(aerr.Message)
		if m, err = s.app.GetMail(ctx, actor, id); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if !httpx.IsHTMX(c) {
		s.flash(c, msg)
		return c.Redirect(http.StatusSeeOther, "/mail")
	}
	token, _ := c.Get("csrf").(string)
	return httpx.Render(c, http.StatusOK, views.MailRow(*m, token, msg))
}

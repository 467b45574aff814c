package ui

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) inboxPage(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.InboxFilter{Queue: c.QueryParam("queue"), Whose: c.QueryParam("whose"), Due: c.QueryParam("due"), Kind: c.QueryParam("kind"), TestRuns: c.QueryParam("test"), Page: p}
	inbox, err := s.app.Inbox(c.Request().Context(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.InboxPage(views.InboxView{Page: s.Frame(c, "Inbox", "inbox"), Inbox: inbox,
		Filter: f, Now: s.app.Clock.Now()}))
}

func (s *Handlers) taskPage(c echo.Context) error {
	t, err := s.app.GetTask(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	about, err := s.aboutTask(c, t)
	if err != nil {
		return err
	}
	frame := s.Frame(c, t.Title, "inbox")
	return httpx.Render(c, http.StatusOK, views.TaskPage(views.TaskView{Page: frame, Task: t, About: about, Now: s.app.Clock.Now(),
		Form: views.NewTaskForm(t.ID, frame.CSRF, t.FormFields, nil, nil, frame.Zone)}))
}

// aboutTask is whom a task's run is about; a run the person may not read leaves it out.
func (s *Handlers) aboutTask(c echo.Context, t *app.TaskView) (app.TaskAbout, error) {
	about, err := s.app.AboutTask(c.Request().Context(), httpx.Principal(c), t)
	var aerr *app.Error
	if errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrNotFound) {
		return app.TaskAbout{}, nil
	}
	return about, err
}

// formValues are the submitted fields of a form, without the CSRF token.
func formValues(c echo.Context) (map[string]string, error) {
	params, err := c.FormParams()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range params {
		if k != "_csrf" && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

// submitTaskForm takes a task's form: errors come back inline on the form, a second submit says it is done.
func (s *Handlers) submitTaskForm(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	t, err := s.app.GetTask(ctx, actor, id)
	if err != nil {
		return err
	}
	raw, err := formValues(c)
	if err != nil {
		return err
	}
	values := make(map[string]any, len(raw))
	for k, v := range raw {
		values[k] = v
	}
	err = s.app.CompleteTask(ctx, actor, id, values)
	var verr *app.ValidationError
	var aerr *app.Error
	switch {
	case errors.As(err, &verr):
		var ferrs workflow.FieldErrors
		for _, d := range verr.Details {
			ferrs = append(ferrs, workflow.FieldError{Field: d.Path, Message: d.Message})
		}
		frame := s.Frame(c, t.Title, "inbox")
		form := views.NewTaskForm(t.ID, frame.CSRF, t.FormFields, raw, ferrs, frame.Zone)
		if httpx.IsHTMX(c) {
			return httpx.Render(c, http.StatusUnprocessableEntity, views.TaskFormFragment(form))
		}
		about, err := s.aboutTask(c, t)
		if err != nil {
			return err
		}
		return httpx.Render(c, http.StatusUnprocessableEntity, views.TaskPage(views.TaskView{Page: frame, Task: t, About: about, Form: form, Now: s.app.Clock.Now()}))
	case errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict):
		// Done already (by someone, maybe a moment ago in another tab): show it, and say so.
		done, gerr := s.app.GetTask(ctx, actor, id)
		if gerr != nil {
			return gerr
		}
		if httpx.IsHTMX(c) {
			return httpx.Render(c, http.StatusConflict, views.TaskAlreadyDone(done, aerr.Message, actor.Zone()))
		}
		s.flash(c, aerr.Message)
		return c.Redirect(http.StatusSeeOther, "/tasks/"+id)
	case err != nil:
		return err
	}
	done, err := s.app.GetTask(ctx, actor, id)
	if err != nil {
		return err
	}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, http.StatusOK, views.TaskDone(done, actor.Zone()))
	}
	s.flash(c, "Task completed. The workflow has moved on.")
	return c.Redirect(http.StatusSeeOther, "/tasks/"+id)
}

func (s *Handlers) reassignTask(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	if err := s.app.ReassignTask(ctx, actor, id, c.FormValue("assignee")); err != nil {
		return err
	}
	t, err := s.app.GetTask(ctx, actor, id)
	if err != nil {
		return err
	}
	inbox, err := s.app.Inbox(ctx, actor, app.InboxFilter{Kind: "tasks", Page: app.Page{Limit: 1}})
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.Reassigned(*t, inbox.People))
}

// claimTask and unclaimTask take a task from its team's queue and give it back; either way the task's page
// says what happened (who has it, when someone was quicker).
func (s *Handlers) claimTask(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	if _, err := s.app.ClaimTask(ctx, actor, id); err != nil {
		var aerr *app.Error
		if errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict) {
			s.flash(c, aerr.Message+".")
			return c.Redirect(http.StatusSeeOther, "/inbox?queue=team")
		}
		return err
	}
	s.flash(c, "The task is yours now. “Give back to team” returns it to the team's queue.")
	return c.Redirect(http.StatusSeeOther, "/tasks/"+id)
}

func (s *Handlers) unclaimTask(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	t, err := s.app.UnclaimTask(ctx, actor, id)
	if err != nil {
		return err
	}
	s.flash(c, "The task is back in the queue of team "+t.Team+".")
	return c.Redirect(http.StatusSeeOther, "/inbox?queue=team")
}

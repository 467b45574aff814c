package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) workflowsPage(c echo.Context) error {
	items, _, err := s.app.ListWorkflows(c.Request().Context(), app.Page{Limit: 1000})
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.WorkflowsPage(views.WorkflowsView{Page: s.Frame(c, "Workflows", "workflows"), Items: items}))
}

// workflowSummary finds one workflow of the list.
func (s *Handlers) workflowSummary(c echo.Context, id string) (*app.WorkflowSummary, error) {
	items, _, err := s.app.ListWorkflows(c.Request().Context(), app.Page{Limit: 1000})
	if err != nil {
		return nil, err
	}
	for i := range items {
		if items[i].ID == id {
			return &items[i], nil
		}
	}
	return nil, &app.Error{Kind: app.ErrNotFound, Message: fmt.Sprintf("there is no workflow %q", id)}
}

func (s *Handlers) toggleWorkflow(c echo.Context) error {
	id := c.Param("id")
	if err := s.app.SetEnabled(c.Request().Context(), httpx.Principal(c), id, c.FormValue("enabled") == "true"); err != nil {
		return err
	}
	w, err := s.workflowSummary(c, id)
	if err != nil {
		return err
	}
	frame := s.Frame(c, "", "workflows")
	return httpx.Render(c, http.StatusOK, views.WorkflowRow(*w, frame.CSRF))
}

func (s *Handlers) versionsPage(c echo.Context) error {
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	versions, err := s.app.ListVersions(c.Request().Context(), w.ID)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.VersionsPage(views.VersionsView{Page: s.Frame(c, w.Name, "workflows"), Workflow: w, Versions: versions}))
}

func (s *Handlers) publishVersion(c echo.Context) error {
	id := c.Param("id")
	version, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return &app.Error{Kind: app.ErrInvalid, Message: "say which version to publish"}
	}
	if err := s.app.Publish(c.Request().Context(), httpx.Principal(c), id, version); err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("Version %d is published: new runs use it, running ones finish on theirs.", version))
	return c.Redirect(http.StatusSeeOther, "/workflows/"+id+"/versions")
}

func (s *Handlers) runForm(c echo.Context) error {
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	def, err := s.app.GetDefinition(c.Request().Context(), w.ID, 0)
	if err != nil {
		return err
	}
	fields, err := s.runFields(c, def, map[string]string{}, nil)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.RunPage(views.RunView{Page: s.Frame(c, "Run "+w.Name, "workflows"), Workflow: w, Fields: fields}))
}

// startProblems are the problems of a run that did not start because its variables were wrong, by
// variable; any other error is returned as it is.
func startProblems(err error) (workflow.FieldErrors, error) {
	var verr *app.ValidationError
	if !errors.As(err, &verr) {
		return nil, err
	}
	ferrs := workflow.FieldErrors{}
	for _, d := range verr.Details {
		ferrs = append(ferrs, workflow.FieldError{Field: d.Path, Message: d.Message})
	}
	return ferrs, nil
}

func (s *Handlers) runWorkflow(c echo.Context) error {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	def, err := s.app.GetDefinition(ctx, w.ID, 0)
	if err != nil {
		return err
	}
	raw, err := formValues(c)
	if err != nil {
		return err
	}
	ferrs := s.pickedRecords(c, def, raw)
	vars, valueErrs := app.RunValues(def, raw)
	ferrs = append(ferrs, valueErrs...)
	var id string
	if len(ferrs) == 0 {
		id, err = s.app.StartManually(ctx, actor, w.ID, vars)
		if ferrs, err = startProblems(err); err != nil {
			return err
		}
	}
	if len(ferrs) > 0 {
		fields, err := s.runFields(c, def, raw, ferrs)
		if err != nil {
			return err
		}
		return httpx.Render(c, http.StatusUnprocessableEntity, views.RunPage(views.RunView{Page: s.Frame(c, "Run "+w.Name, "workflows"), Workflow: w,
			Fields: fields, Summary: "Please fix the answers marked below; nothing was started."}))
	}
	s.flash(c, "The run has started.")
	return c.Redirect(http.StatusSeeOther, "/executions/"+id)
}

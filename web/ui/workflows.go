package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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
	s.flash(c, fmt.Sprintf("Version %d is published: new runs use it, running ones finish on theirs unless you move the waiting ones to it (Move waiting runs here).", version))
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

// migrateRequest reads the move page's from, to and map.<old step> fields (query or form).
func migrateRequest(c echo.Context, w *app.WorkflowSummary) (app.MigrationRequest, error) {
	req := app.MigrationRequest{Mapping: map[string]string{}}
	var err error
	if req.ToVersion, err = strconv.Atoi(c.FormValue("to")); err != nil {
		active := w.LatestVersion
		if w.ActiveVersion != nil {
			active = *w.ActiveVersion
		}
		req.ToVersion = active
	}
	if req.FromVersion, err = strconv.Atoi(c.FormValue("from")); err != nil {
		req.FromVersion = req.ToVersion - 1
	}
	form, err := c.FormParams()
	if err != nil {
		return req, err
	}
	params := c.QueryParams()
	for k, v := range form {
		params[k] = v
	}
	for k, v := range params {
		if old, ok := strings.CutPrefix(k, "map."); ok && len(v) > 0 && v[0] != "" {
			req.Mapping[old] = v[0]
		}
	}
	return req, nil
}

// migratePage shows where every waiting run of a version would land in another (a dry run).
func (s *Handlers) migratePage(c echo.Context) error {
	ctx := c.Request().Context()
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	req, err := migrateRequest(c, w)
	if err != nil {
		return err
	}
	req.DryRun = true
	p, err := s.app.MigrateRuns(ctx, httpx.Principal(c), w.ID, req)
	if err != nil {
		return err
	}
	versions, err := s.app.ListVersions(ctx, w.ID)
	if err != nil {
		return err
	}
	def, err := s.app.GetDefinition(ctx, w.ID, req.ToVersion)
	if err != nil {
		return err
	}
	v := views.MigrateView{Page: s.Frame(c, w.Name, "workflows"), Workflow: w, From: req.FromVersion, To: req.ToVersion,
		Versions: versions, Preview: p, Mapping: req.Mapping}
	for _, st := range def.Steps {
		v.Targets = append(v.Targets, app.StepChoice{ID: st.ID, Name: st.Name})
	}
	return httpx.Render(c, http.StatusOK, views.MigratePage(v))
}

// migrateRuns starts the move and shows its progress.
func (s *Handlers) migrateRuns(c echo.Context) error {
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	req, err := migrateRequest(c, w)
	if err != nil {
		return err
	}
	p, err := s.app.MigrateRuns(c.Request().Context(), httpx.Principal(c), w.ID, req)
	if err != nil {
		return err
	}
	if p.BatchID == "" {
		s.flash(c, p.Preview)
		return c.Redirect(http.StatusSeeOther, "/workflows/"+w.ID+"/versions")
	}
	s.flash(c, p.Preview)
	return c.Redirect(http.StatusSeeOther, "/batches/"+p.BatchID)
}

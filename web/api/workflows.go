package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) readDefinition(c echo.Context) (*workflow.Definition, error) {
	body, err := httpx.ReadBody(c)
	if err != nil {
		return nil, err
	}
	return workflow.Decode(body)
}

func (s *Handlers) createWorkflow(c echo.Context) error {
	def, err := s.readDefinition(c)
	if err != nil {
		return err
	}
	saved, err := s.app.CreateWorkflow(c.Request().Context(), httpx.Principal(c), def, c.QueryParam("publish") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, saved)
}

func (s *Handlers) listWorkflows(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	items, total, err := s.app.ListWorkflows(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.WorkflowSummary]{Items: items, Total: total})
}

func (s *Handlers) getWorkflow(c echo.Context) error {
	version := 0
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return httpx.BadQuery("version", "version must be a version number such as 2")
		}
		version = n
	}
	def, err := s.app.ReadDefinition(c.Request().Context(), httpx.Principal(c), c.Param("id"), version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, def)
}

func (s *Handlers) updateWorkflow(c echo.Context) error {
	def, err := s.readDefinition(c)
	if err != nil {
		return err
	}
	saved, err := s.app.SaveDraft(c.Request().Context(), httpx.Principal(c), c.Param("id"), def)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

// PublishWorkflow publishes a version ({"version": N}); the designer calls it too, with a session.
func (s *Handlers) PublishWorkflow(c echo.Context) error {
	var req struct {
		Version int `json:"version"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Version < 1 {
		return &app.ValidationError{Message: "say which version to publish", Details: []app.Detail{{Path: "version", Message: "version must be a version number such as 2"}}}
	}
	if err := s.app.Publish(c.Request().Context(), httpx.Principal(c), c.Param("id"), req.Version); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, app.Saved{ID: c.Param("id"), Version: req.Version})
}

func (s *Handlers) setWorkflowEnabled(c echo.Context) error {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil {
		return &app.ValidationError{Message: "say whether the workflow is enabled", Details: []app.Detail{{Path: "enabled", Message: "enabled must be true or false"}}}
	}
	if err := s.app.SetEnabled(c.Request().Context(), httpx.Principal(c), c.Param("id"), *req.Enabled); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "enabled": *req.Enabled})
}

func (s *Handlers) listVersions(c echo.Context) error {
	items, err := s.app.ListVersions(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.VersionSummary]{Items: items, Total: int64(len(items))})
}

func (s *Handlers) startExecution(c echo.Context) error {
	var req struct {
		Variables map[string]any `json:"variables"`
	}
	if err := httpx.BindJSON(c, &req, true); err != nil {
		return err
	}
	p := httpx.Principal(c)
	id, err := s.app.StartManually(c.Request().Context(), p, c.Param("id"), req.Variables)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, app.Started{ExecutionID: id})
}

// replayWorkflow plays a version (the latest by default) over the workflow's last runs beside the published
// version, everything stubbed.
func (s *Handlers) replayWorkflow(c echo.Context) error {
	var req app.ReplayRequest
	if err := httpx.BindJSON(c, &req, true); err != nil {
		return err
	}
	out, err := s.app.ReplayWorkflow(c.Request().Context(), httpx.Principal(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Handlers) listTemplates(c echo.Context) error {
	items, err := app.Templates()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.Template]{Items: items, Total: int64(len(items))})
}

func (s *Handlers) getTemplate(c echo.Context) error {
	def, err := app.TemplateDefinition(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, def)
}

func (s *Handlers) importTemplate(c echo.Context) error {
	var req struct {
		ID string `json:"id"`
	}
	if err := httpx.BindJSON(c, &req, true); err != nil {
		return err
	}
	saved, err := s.app.ImportTemplate(c.Request().Context(), httpx.Principal(c), c.Param("id"), req.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, saved)
}

// migrateRuns previews ({"dryRun": true}, 200) or starts (202) moving the workflow's waiting runs from one
// version to another.
func (s *Handlers) migrateRuns(c echo.Context) error {
	var req app.MigrationRequest
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	p, err := s.app.MigrateRuns(c.Request().Context(), httpx.Principal(c), c.Param("id"), req)
	if err != nil {
		return err
	}
	if req.DryRun || p.BatchID == "" {
		return c.JSON(http.StatusOK, p)
	}
	return c.JSON(http.StatusAccepted, p)
}

package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func (s *Server) readDefinition(c echo.Context) (*workflow.Definition, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	return workflow.Decode(body)
}

func (s *Server) createWorkflow(c echo.Context) error {
	def, err := s.readDefinition(c)
	if err != nil {
		return err
	}
	saved, err := s.app.CreateWorkflow(c.Request().Context(), principal(c), def, c.QueryParam("publish") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, saved)
}

func (s *Server) listWorkflows(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	items, total, err := s.app.ListWorkflows(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.WorkflowSummary]{items, total})
}

func (s *Server) getWorkflow(c echo.Context) error {
	version := 0
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badQuery("version", "version must be a version number such as 2")
		}
		version = n
	}
	def, err := s.app.ReadDefinition(c.Request().Context(), principal(c), c.Param("id"), version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, def)
}

func (s *Server) updateWorkflow(c echo.Context) error {
	def, err := s.readDefinition(c)
	if err != nil {
		return err
	}
	saved, err := s.app.SaveDraft(c.Request().Context(), principal(c), c.Param("id"), def)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

func (s *Server) publishWorkflow(c echo.Context) error {
	var req struct {
		Version int `json:"version"`
	}
	if err := bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Version < 1 {
		return &app.ValidationError{Message: "say which version to publish", Details: []app.Detail{{Path: "version", Message: "version must be a version number such as 2"}}}
	}
	if err := s.app.Publish(c.Request().Context(), principal(c), c.Param("id"), req.Version); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, app.Saved{ID: c.Param("id"), Version: req.Version})
}

func (s *Server) setWorkflowEnabled(c echo.Context) error {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if err := bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil {
		return &app.ValidationError{Message: "say whether the workflow is enabled", Details: []app.Detail{{Path: "enabled", Message: "enabled must be true or false"}}}
	}
	if err := s.app.SetEnabled(c.Request().Context(), principal(c), c.Param("id"), *req.Enabled); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "enabled": *req.Enabled})
}

func (s *Server) listVersions(c echo.Context) error {
	items, err := s.app.ListVersions(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.VersionSummary]{items, int64(len(items))})
}

func (s *Server) startExecution(c echo.Context) error {
	var req struct {
		Variables map[string]any `json:"variables"`
	}
	if err := bindJSON(c, &req, true); err != nil {
		return err
	}
	p := principal(c)
	id, err := s.app.StartManually(c.Request().Context(), p, c.Param("id"), req.Variables)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, app.Started{ExecutionID: id})
}

func (s *Server) listTemplates(c echo.Context) error {
	items, err := app.Templates()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.Template]{items, int64(len(items))})
}

func (s *Server) getTemplate(c echo.Context) error {
	def, err := app.TemplateDefinition(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, def)
}

func (s *Server) importTemplate(c echo.Context) error {
	var req struct {
		ID string `json:"id"`
	}
	if err := bindJSON(c, &req, true); err != nil {
		return err
	}
	saved, err := s.app.ImportTemplate(c.Request().Context(), principal(c), c.Param("id"), req.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, saved)
}

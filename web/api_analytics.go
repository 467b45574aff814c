package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// analyticsRoutes are the metrics, suggestions and the managers' overview.
func (s *Server) analyticsRoutes() []Route {
	manager := auth.RoleManager
	return []Route{
		{"api.workflows.metrics", http.MethodGet, "/api/workflows/:id/metrics", manager, s.workflowMetrics},
		{"api.workflows.suggestions", http.MethodGet, "/api/workflows/:id/suggestions", manager, s.workflowSuggestions},
		{"api.workflows.suggestions.apply", http.MethodPost, "/api/workflows/:id/suggestions/:sid/apply", manager, s.applySuggestion},
		{"api.analytics.overview", http.MethodGet, "/api/analytics/overview", manager, s.analyticsOverview},
	}
}

func timeframeParam(c echo.Context) (string, error) {
	tf := c.QueryParam("timeframe")
	if _, err := analytics.ParseTimeframe(tf); err != nil {
		return "", badQuery("timeframe", "timeframe must be day, week, month or all")
	}
	return tf, nil
}

// workflowMetrics answers WorkflowMetrics: ?timeframe=day|week|month|all (week by default), ?version=N for
// one version.
func (s *Server) workflowMetrics(c echo.Context) error {
	tf, err := timeframeParam(c)
	if err != nil {
		return err
	}
	version := 0
	if v := c.QueryParam("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return badQuery("version", "version must be a version number such as 2")
		}
	}
	m, err := s.app.WorkflowMetrics(c.Request().Context(), c.Param("id"), tf, version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Server) workflowSuggestions(c echo.Context) error {
	list, err := s.app.Suggestions(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// applySuggestion answers 201 with the new draft version and its diff.
func (s *Server) applySuggestion(c echo.Context) error {
	applied, err := s.app.ApplySuggestion(c.Request().Context(), principal(c), c.Param("id"), c.Param("sid"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, applied)
}

func (s *Server) analyticsOverview(c echo.Context) error {
	tf, err := timeframeParam(c)
	if err != nil {
		return err
	}
	o, err := s.app.ManagerOverview(c.Request().Context(), tf)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o)
}

package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// AnalyticsRoutes are the metrics, suggestions and the managers' overview.
func (s *Handlers) AnalyticsRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("api.workflows.metrics", "/api/workflows/:id/metrics", manager, s.workflowMetrics),
		httpx.GET("api.workflows.suggestions", "/api/workflows/:id/suggestions", manager, s.workflowSuggestions),
		httpx.POST("api.workflows.suggestions.apply", "/api/workflows/:id/suggestions/:sid/apply", manager, s.applySuggestion),
		httpx.GET("api.analytics.overview", "/api/analytics/overview", manager, s.analyticsOverview),
	}
}

func timeframeParam(c echo.Context) (string, error) {
	tf := c.QueryParam("timeframe")
	if _, err := analytics.ParseTimeframe(tf); err != nil {
		return "", httpx.BadQuery("timeframe", "timeframe must be day, week, month or all")
	}
	return tf, nil
}

// workflowMetrics answers WorkflowMetrics: ?timeframe=day|week|month|all (week by default), ?version=N for
// one version, ?test=exclude|include|only for the designer's test runs (left out by default).
func (s *Handlers) workflowMetrics(c echo.Context) error {
	tf, err := timeframeParam(c)
	if err != nil {
		return err
	}
	version := 0
	if v := c.QueryParam("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return httpx.BadQuery("version", "version must be a version number such as 2")
		}
	}
	tests := c.QueryParam("test")
	if _, err := analytics.ParseTestRuns(tests); err != nil {
		return httpx.BadQuery("test", "test must be exclude, include or only")
	}
	m, err := s.app.WorkflowMetricsOf(c.Request().Context(), app.MetricsQuery{WorkflowID: c.Param("id"), Timeframe: tf,
		Version: version, TestRuns: tests})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Handlers) workflowSuggestions(c echo.Context) error {
	list, err := s.app.Suggestions(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// applySuggestion answers 201 with the new draft version and its diff, or 200 with "alreadyApplied" and the
// version that has the change when the newest one does (no identical version is made).
func (s *Handlers) applySuggestion(c echo.Context) error {
	applied, err := s.app.ApplySuggestion(c.Request().Context(), httpx.Principal(c), c.Param("id"), c.Param("sid"))
	if err != nil {
		return err
	}
	if applied.AlreadyApplied {
		return c.JSON(http.StatusOK, applied)
	}
	return c.JSON(http.StatusCreated, applied)
}

func (s *Handlers) analyticsOverview(c echo.Context) error {
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

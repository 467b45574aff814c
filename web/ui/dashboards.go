package ui

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/static"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// DashboardRoutes are the managers' dashboards: the overview, a workflow's metrics and suggestions, and
// applying a suggestion as a draft to review.
func (s *Handlers) DashboardRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("dashboards", "/dashboards", manager, s.dashboardsPage),
		httpx.GET("dashboards.workflow", "/dashboards/workflows/:id", manager, s.workflowDashboardPage),
		httpx.POST("dashboards.apply", "/dashboards/workflows/:id/suggestions/:sid/apply", manager, s.applySuggestionPage),
		httpx.GET("dashboards.applied", "/dashboards/workflows/:id/applied", manager, s.appliedSuggestionPage),
	}
}

// dashboardTimeframe reads ?timeframe= (the week when absent).
func dashboardTimeframe(c echo.Context) (analytics.Timeframe, error) {
	tf, err := analytics.ParseTimeframe(c.QueryParam("timeframe"))
	if err != nil {
		return "", httpx.BadQuery("timeframe", "timeframe must be day, week, month or all")
	}
	return tf, nil
}

// dashboardFrame is the layout of a dashboard: the chart library and the script that draws the charts.
func (s *Handlers) dashboardFrame(c echo.Context, title string) views.Page {
	p := s.Frame(c, title, "dashboards")
	p.ExtraScripts = []string{static.URL("vendor/chart.js/chart.umd.min.js"), static.URL("js/dashboard.js")}
	return p
}

// dashboardsPage is the managers' overview of every workflow over a timeframe.
func (s *Handlers) dashboardsPage(c echo.Context) error {
	tf, err := dashboardTimeframe(c)
	if err != nil {
		return err
	}
	o, err := s.app.ManagerOverview(c.Request().Context(), string(tf))
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.DashboardsPage(views.DashboardsView{Page: s.Frame(c, "Dashboards", "dashboards"), Overview: o}))
}

func (s *Handlers) workflowDashboardPage(c echo.Context) error {
	tf, err := dashboardTimeframe(c)
	if err != nil {
		return err
	}
	tests := c.QueryParam("test")
	if _, err := analytics.ParseTestRuns(tests); err != nil {
		return httpx.BadQuery("test", "test must be exclude, include or only")
	}
	return s.renderWorkflowDashboard(c, http.StatusOK, c.Param("id"), tf, tests, "")
}

// renderWorkflowDashboard shows a workflow's metrics over the timeframe and its suggestions, with problem
// (an apply that did not go through) at the top; tests is the test-runs choice (?test=).
func (s *Handlers) renderWorkflowDashboard(c echo.Context, status int, id string, tf analytics.Timeframe, tests, problem string) error {
	ctx := c.Request().Context()
	w, err := s.workflowSummary(c, id)
	if err != nil {
		return err
	}
	m, err := s.app.WorkflowMetricsOf(ctx, app.MetricsQuery{WorkflowID: w.ID, Timeframe: string(tf), TestRuns: tests})
	if err != nil {
		return err
	}
	list, err := s.app.Suggestions(ctx, w.ID)
	if err != nil {
		return err
	}
	// The graph is the version the suggestions are about: the active one, else the latest draft.
	def, err := s.app.GetDefinition(ctx, w.ID, list.Version)
	if err != nil {
		return err
	}
	v := views.NewWorkflowDashboard(s.dashboardFrame(c, "Dashboard: "+w.Name), w, m, list, def)
	v.Problem = problem
	return httpx.Render(c, status, views.WorkflowDashboardPage(v))
}

// applySuggestionPage makes a suggestion's change in a new draft and shows its differences. A suggestion
// that cannot be applied (any more) is explained on the dashboard, where the manager can act on it.
func (s *Handlers) applySuggestionPage(c echo.Context) error {
	id := c.Param("id")
	applied, err := s.app.ApplySuggestion(c.Request().Context(), httpx.Principal(c), id, c.Param("sid"))
	if err != nil {
		code, body := httpx.ErrorResponse(err)
		if code >= 500 || code == http.StatusForbidden {
			return err
		}
		s.log.Warn("apply suggestion", "workflow_id", id, "suggestion", c.Param("sid"), "status", code, "error", err)
		msg := "The suggestion was not applied: " + body.Error + "."
		for _, d := range body.Details {
			msg += " " + d.Message + "."
		}
		tf, perr := analytics.ParseTimeframe(c.FormValue("timeframe"))
		if perr != nil {
			tf = analytics.Week
		}
		if rerr := s.renderWorkflowDashboard(c, code, id, tf, "", msg); rerr != nil {
			return err
		}
		return nil
	}
	switch {
	case applied.AlreadyApplied:
		s.flash(c, fmt.Sprintf("Version %d has this change already, so no new version was made; version %d stays published until you publish it.",
			applied.Version, applied.PublishedVersion))
	case applied.BaseVersion != applied.PublishedVersion:
		s.flash(c, fmt.Sprintf("The suggestion is applied in version %d, a new draft made from your newest draft, version %d; version %d stays published until you publish the draft.",
			applied.Version, applied.BaseVersion, applied.PublishedVersion))
	default:
		s.flash(c, fmt.Sprintf("The suggestion is applied in version %d, a new draft; version %d stays published until you publish the draft.",
			applied.Version, applied.BaseVersion))
	}
	q := url.Values{"from": {fmt.Sprint(applied.PublishedVersion)}, "to": {fmt.Sprint(applied.Version)}}
	return c.Redirect(http.StatusSeeOther, "/dashboards/workflows/"+url.PathEscape(id)+"/applied?"+q.Encode())
}

// appliedSuggestionPage shows what a draft changed (?from=, ?to=: the published version and the draft) and
// leads on to the designer to review and publish it.
func (s *Handlers) appliedSuggestionPage(c echo.Context) error {
	ctx := c.Request().Context()
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	to, err := versionParam(c, "to", w.LatestVersion)
	if err != nil {
		return err
	}
	base := max(to-1, 1)
	if w.ActiveVersion != nil {
		base = *w.ActiveVersion
	}
	from, err := versionParam(c, "from", base)
	if err != nil {
		return err
	}
	before, err := s.app.GetDefinition(ctx, w.ID, from)
	if err != nil {
		return err
	}
	after, err := s.app.GetDefinition(ctx, w.ID, to)
	if err != nil {
		return err
	}
	d := app.DiffDefinitions(before, after, from, to)
	frame := s.Frame(c, fmt.Sprintf("%s: review version %d", w.Name, to), "dashboards")
	return httpx.Render(c, http.StatusOK, views.AppliedPage(views.NewAppliedView(frame, w, d, before, after, s.app.ActionSpecs())))
}

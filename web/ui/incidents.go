package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) incidentsPage(c echo.Context) error {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	items, err := s.app.Incidents(ctx, actor)
	if err != nil {
		return err
	}
	batches, err := s.app.RecentBatches(ctx, actor)
	if err != nil {
		return err
	}
	v := views.IncidentsView{Page: s.Frame(c, "Incidents", "executions"), Items: items, Batches: batches, Now: s.app.Clock.Now()}
	return httpx.Render(c, http.StatusOK, views.IncidentsPage(v))
}

// retryIncident starts the bulk retry of one incident's runs and shows its progress.
func (s *Handlers) retryIncident(c echo.Context) error {
	in := app.Incident{WorkflowID: c.FormValue("workflowId"), StepID: c.FormValue("stepId"), Reason: c.FormValue("reason")}
	p, err := s.app.StartBatch(c.Request().Context(), httpx.Principal(c), app.IncidentRetry(in))
	if err != nil {
		return err
	}
	s.flash(c, p.Preview)
	return c.Redirect(http.StatusSeeOther, "/batches/"+p.ID)
}

func (s *Handlers) batchPage(c echo.Context) error {
	b, err := s.app.GetBatch(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	v := views.BatchPageView{Page: s.Frame(c, b.Description, "executions"), Batch: b}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, http.StatusOK, views.BatchBody(v))
	}
	return httpx.Render(c, http.StatusOK, views.BatchPage(v))
}

package ui

import (
	"net/http"
	"strings"
	"time"

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

// batchFields are the executions list's filter fields a bulk action takes over.
var batchFields = []string{"workflowId", "status", "since", "until", "q", "subject"}

// batchRequestOf reads a bulk action and its filter from the executions list's parameters.
func batchRequestOf(c echo.Context) (app.BatchRequest, map[string]string, error) {
	req := app.BatchRequest{Action: c.FormValue("action")}
	fields := map[string]string{}
	for _, k := range batchFields {
		if v := strings.TrimSpace(c.FormValue(k)); v != "" {
			fields[k] = v
		}
	}
	f := &req.Filter
	f.WorkflowID, f.Status, f.Q, f.Subject = fields["workflowId"], fields["status"], fields["q"], fields["subject"]
	for k, dst := range map[string]**time.Time{"since": &f.Since, "until": &f.Until} {
		t, err := httpx.TimeParam(c, k)
		if err != nil {
			return req, nil, err
		}
		if !t.IsZero() {
			*dst = &t
		}
	}
	return req, fields, nil
}

// newBatchPage previews a bulk action over the executions list's filter.
func (s *Handlers) newBatchPage(c echo.Context) error {
	req, fields, err := batchRequestOf(c)
	if err != nil {
		return err
	}
	req.DryRun = true
	p, err := s.app.StartBatch(c.Request().Context(), httpx.Principal(c), req)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.BatchNewPage(views.BatchNewView{Page: s.Frame(c, p.Preview, "executions"),
		Request: req, Preview: p, Fields: fields}))
}

// startBatch starts the bulk action the preview showed and shows its progress.
func (s *Handlers) startBatch(c echo.Context) error {
	req, _, err := batchRequestOf(c)
	if err != nil {
		return err
	}
	p, err := s.app.StartBatch(c.Request().Context(), httpx.Principal(c), req)
	if err != nil {
		return err
	}
	s.flash(c, p.Preview)
	return c.Redirect(http.StatusSeeOther, "/batches/"+p.ID)
}

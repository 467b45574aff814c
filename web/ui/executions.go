package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/static"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) executionsPage(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.ExecutionFilter{WorkflowID: c.QueryParam("workflowId"), Status: c.QueryParam("status"), TestRuns: c.QueryParam("test"), Page: p.Normalize(),
		Subject: c.QueryParam("subject"), Q: strings.TrimSpace(c.QueryParam("q"))}
	// Past 10,000 the page says "more than 10000": counting every run would cost more than the page.
	f.CountUpTo = max(10_001, int64(f.Page.Offset+f.Page.Limit)+1)
	if f.Since, err = httpx.TimeParam(c, "since"); err != nil {
		return err
	}
	if f.Until, err = httpx.TimeParam(c, "until"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	items, total, err := s.app.ListExecutions(ctx, httpx.Principal(c), f)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, k := range []string{"workflowId", "status", "test", "since", "until", "limit", "offset", "subject", "q"} {
		if v := c.QueryParam(k); v != "" {
			q.Set(k, v)
		}
	}
	v := views.ExecutionsView{Page: s.Frame(c, "Executions", "executions"), Items: items, Total: total, Filter: f,
		Query: q, Now: s.app.Clock.Now()}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, http.StatusOK, views.ExecutionsTable(v))
	}
	if v.Workflows, _, err = s.app.ListWorkflows(ctx, app.Page{Limit: 1000}); err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.ExecutionsPage(v))
}

// executionView gathers what an execution's page shows.
func (s *Handlers) executionView(c echo.Context, id, message string) (views.ExecutionView, error) {
	ctx := c.Request().Context()
	e, err := s.app.GetExecution(ctx, httpx.Principal(c), id)
	if err != nil {
		return views.ExecutionView{}, err
	}
	def, err := s.app.GetDefinition(ctx, e.WorkflowID, e.WorkflowVersion)
	if err != nil {
		return views.ExecutionView{}, err
	}
	v := views.ExecutionView{Page: s.Frame(c, e.WorkflowName, "executions"), Exec: e, Now: s.app.Clock.Now(),
		Graph: views.LayoutGraph(def, app.StepStates(e)), CanOperate: httpx.Principal(c).Role.AtLeast(auth.RoleManager),
		Message: message}
	if v.CanOperate {
		if v.Fix, err = s.app.FixFormOf(ctx, e); err != nil {
			return views.ExecutionView{}, err
		}
		v.ExtraScripts = []string{static.URL("js/run.js")}
	}
	return v, nil
}

// fixExecution applies the "Fix this run" form: the changed values, the record read again, then what the
// manager chose. Values that do not fit come back beside their fields, with nothing changed.
func (s *Handlers) fixExecution(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	v, err := s.executionView(c, id, "")
	if err != nil {
		return err
	}
	if v.Fix == nil {
		s.flash(c, "This run is running a step or has finished, so there is nothing to fix.")
		return c.Redirect(http.StatusSeeOther, "/executions/"+id)
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	refresh := form.Get("refreshRecord") == "true"
	req := app.FixRequest{RefreshRecord: refresh, Then: form.Get("then")}
	req.Values, err = app.ParseFixValues(v.Fix, func(name string) (string, bool) {
		vals, ok := form[name]
		if !ok || len(vals) == 0 {
			return "", false
		}
		return vals[0], true
	}, refresh)
	if err == nil {
		err = s.app.FixRun(ctx, actor, id, req)
	}
	var verr *app.ValidationError
	var aerr *app.Error
	switch {
	case errors.As(err, &verr):
		v.FixErrors = map[string]string{"": verr.Message}
		for _, d := range verr.Details {
			v.FixErrors[d.Path] = d.Message
			if d.Path == "" || d.Path == "fromStep" || d.Path == "step" || d.Path == "refreshRecord" || d.Path == "variables" {
				v.FixErrors[""] = d.Message
			}
		}
		return httpx.Render(c, http.StatusUnprocessableEntity, views.ExecutionBody(v))
	case errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict):
		v.FixErrors = map[string]string{"": aerr.Message}
		return httpx.Render(c, http.StatusConflict, views.ExecutionBody(v))
	case err != nil:
		return err
	}
	msg := map[string]string{app.ThenRetry: "Saved; the run is retrying from its failed step.", app.ThenSkip: "Saved; the failed step was skipped and the run goes on.",
		app.ThenSave: "The run's data was saved."}[req.Then]
	if msg == "" {
		msg = "Saved; the run is retrying from the step you chose."
	}
	if !httpx.IsHTMX(c) {
		s.flash(c, msg)
		return c.Redirect(http.StatusSeeOther, "/executions/"+id)
	}
	if v, err = s.executionView(c, id, msg); err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.ExecutionBody(v))
}

func (s *Handlers) executionPage(c echo.Context) error {
	v, err := s.executionView(c, c.Param("id"), "")
	if err != nil {
		return err
	}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, http.StatusOK, views.ExecutionBody(v))
	}
	return httpx.Render(c, http.StatusOK, views.ExecutionPage(v))
}

// executionAction runs cancel, wake or retry from the page and shows the execution as it is afterwards.
func (s *Handlers) executionAction(op string) echo.HandlerFunc {
	done := map[string]string{"cancel": "The run was cancelled.", "wake": "The wait was skipped; the run goes on.",
		"retry": "The run is retrying from its failed step."}
	return func(c echo.Context) error {
		ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
		var err error
		switch op {
		case "cancel":
			err = s.app.CancelExecution(ctx, actor, id)
		case "wake":
			err = s.app.WakeExecution(ctx, actor, id)
		case "retry":
			err = s.app.RetryExecution(ctx, actor, id)
		}
		msg := done[op]
		var aerr *app.Error
		if errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict) {
			msg, err = aerr.Message, nil // say why nothing happened, on the page as it is
		}
		if err != nil {
			return err
		}
		if !httpx.IsHTMX(c) {
			s.flash(c, msg)
			return c.Redirect(http.StatusSeeOther, "/executions/"+id)
		}
		v, err := s.executionView(c, id, msg)
		if err != nil {
			return err
		}
		return httpx.Render(c, http.StatusOK, views.ExecutionBody(v))
	}
}

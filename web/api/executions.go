package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) listExecutions(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.ExecutionFilter{WorkflowID: c.QueryParam("workflowId"), Status: c.QueryParam("status"), TestRuns: c.QueryParam("test"), Page: p,
		Subject: c.QueryParam("subject"), Q: c.QueryParam("q")}
	if f.Since, err = httpx.TimeParam(c, "since"); err != nil {
		return err
	}
	if f.Until, err = httpx.TimeParam(c, "until"); err != nil {
		return err
	}
	items, total, err := s.app.ListExecutions(c.Request().Context(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.ExecutionSummary]{Items: items, Total: total})
}

func (s *Handlers) getExecution(c echo.Context) error {
	v, err := s.app.GetExecution(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// executionOp answers an operator's request with the execution as it is afterwards.
func (s *Handlers) executionOp(c echo.Context, op func(*app.App) error) error {
	if err := op(s.app); err != nil {
		return err
	}
	return s.getExecution(c)
}

func (s *Handlers) cancelExecution(c echo.Context) error {
	return s.executionOp(c, func(a *app.App) error {
		return a.CancelExecution(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	})
}

func (s *Handlers) wakeExecution(c echo.Context) error {
	return s.executionOp(c, func(a *app.App) error {
		return a.WakeExecution(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	})
}

// retryExecution retries a failed run: from its failed step, or {"fromStep": id} an earlier one, with
// {"refreshRecord": true} its record read again from the CRM first. No body is a plain retry.
func (s *Handlers) retryExecution(c echo.Context) error {
	var req app.RetryRequest
	if err := httpx.BindJSON(c, &req, true); err != nil {
		return err
	}
	return s.executionOp(c, func(a *app.App) error {
		return a.RetryRun(c.Request().Context(), httpx.Principal(c), c.Param("id"), req)
	})
}

// skipStep skips the failed step {"step": id} of a failed run.
func (s *Handlers) skipStep(c echo.Context) error {
	var req app.SkipRequest
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	return s.executionOp(c, func(a *app.App) error {
		return a.SkipStep(c.Request().Context(), httpx.Principal(c), c.Param("id"), req)
	})
}

// editVariables sets variables of a failed or waiting run: {"variables": {name: value}}.
func (s *Handlers) editVariables(c echo.Context) error {
	var req struct {
		Variables map[string]any `json:"variables"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	return s.executionOp(c, func(a *app.App) error {
		return a.EditRunVariables(c.Request().Context(), httpx.Principal(c), c.Param("id"), req.Variables)
	})
}

func (s *Handlers) listIncidents(c echo.Context) error {
	items, err := s.app.Incidents(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	// "groups" as the issue names them, and "items" and "total" as every list of the API has them.
	return c.JSON(http.StatusOK, struct {
		httpx.List[app.Incident]
		Groups []app.Incident `json:"groups"`
	}{httpx.List[app.Incident]{Items: items, Total: int64(len(items))}, items})
}

// startBatch previews ({"dryRun": true}, 200) or starts (202) a bulk action on the runs a filter matches.
func (s *Handlers) startBatch(c echo.Context) error {
	var req app.BatchRequest
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	p, err := s.app.StartBatch(c.Request().Context(), httpx.Principal(c), req)
	if err != nil {
		return err
	}
	if req.DryRun {
		return c.JSON(http.StatusOK, p)
	}
	return c.JSON(http.StatusAccepted, p)
}

func (s *Handlers) getBatch(c echo.Context) error {
	v, err := s.app.GetBatch(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// listAudit reads the audit log: ?entity=&entityId=&actor=&since= (admins).
func (s *Handlers) listAudit(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.AuditFilter{Entity: c.QueryParam("entity"), EntityID: c.QueryParam("entityId"), Actor: c.QueryParam("actor"), Page: p}
	if f.Since, err = httpx.TimeParam(c, "since"); err != nil {
		return err
	}
	items, total, err := s.app.Audit(c.Request().Context(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.AuditEntry]{Items: items, Total: total})
}

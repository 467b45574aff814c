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
	f := app.ExecutionFilter{WorkflowID: c.QueryParam("workflowId"), Status: c.QueryParam("status"), TestRuns: c.QueryParam("test"), Page: p}
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

func (s *Handlers) retryExecution(c echo.Context) error {
	return s.executionOp(c, func(a *app.App) error {
		return a.RetryExecution(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	})
}

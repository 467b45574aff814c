package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
)

func (s *Server) listExecutions(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := app.ExecutionFilter{WorkflowID: c.QueryParam("workflowId"), Status: c.QueryParam("status"), Page: p}
	if f.Since, err = timeParam(c, "since"); err != nil {
		return err
	}
	if f.Until, err = timeParam(c, "until"); err != nil {
		return err
	}
	items, total, err := s.app.ListExecutions(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.ExecutionSummary]{items, total})
}

func (s *Server) getExecution(c echo.Context) error {
	v, err := s.app.GetExecution(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// executionOp answers an operator's request with the execution as it is afterwards.
func (s *Server) executionOp(c echo.Context, op func(*app.App) error) error {
	if err := op(s.app); err != nil {
		return err
	}
	return s.getExecution(c)
}

func (s *Server) cancelExecution(c echo.Context) error {
	return s.executionOp(c, func(a *app.App) error {
		return a.CancelExecution(c.Request().Context(), principal(c), c.Param("id"))
	})
}

func (s *Server) wakeExecution(c echo.Context) error {
	return s.executionOp(c, func(a *app.App) error {
		return a.WakeExecution(c.Request().Context(), principal(c), c.Param("id"))
	})
}

func (s *Server) retryExecution(c echo.Context) error {
	return s.executionOp(c, func(a *app.App) error {
		return a.RetryExecution(c.Request().Context(), principal(c), c.Param("id"))
	})
}

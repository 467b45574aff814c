package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

func (s *Handlers) listTasks(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.TaskFilter{Status: c.QueryParam("status"), Assignee: c.QueryParam("assignee"), Queue: c.QueryParam("queue"),
		ExecutionID: c.QueryParam("executionId"), TestRuns: c.QueryParam("test"), Page: p}
	items, total, err := s.app.ListTasks(c.Request().Context(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.TaskView]{Items: items, Total: total})
}

func (s *Handlers) getTask(c echo.Context) error {
	t, err := s.app.GetTask(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Handlers) completeTask(c echo.Context) error {
	var req struct {
		Values map[string]any `json:"values"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	if err := s.app.CompleteTask(c.Request().Context(), httpx.Principal(c), c.Param("id"), req.Values); err != nil {
		return err
	}
	return s.getTask(c)
}

func (s *Handlers) listOutbox(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.OutboxFilter{ExecutionID: c.QueryParam("executionId"), Status: c.QueryParam("status"), Page: p}
	items, total, err := s.app.ListOutbox(c.Request().Context(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.MailView]{Items: items, Total: total})
}

// getMail is one mail of the outbox with its delivery attempts.
func (s *Handlers) getMail(c echo.Context) error {
	m, err := s.app.GetMail(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
)

func (s *Server) listTasks(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := app.TaskFilter{Status: c.QueryParam("status"), Assignee: c.QueryParam("assignee"),
		ExecutionID: c.QueryParam("executionId"), Page: p}
	items, total, err := s.app.ListTasks(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.TaskView]{items, total})
}

func (s *Server) getTask(c echo.Context) error {
	t, err := s.app.GetTask(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Server) completeTask(c echo.Context) error {
	var req struct {
		Values map[string]any `json:"values"`
	}
	if err := bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := s.app.CompleteTask(c.Request().Context(), principal(c), c.Param("id"), req.Values); err != nil {
		return err
	}
	return s.getTask(c)
}

func (s *Server) listOutbox(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	f := app.OutboxFilter{ExecutionID: c.QueryParam("executionId"), Status: c.QueryParam("status"), Page: p}
	items, total, err := s.app.ListOutbox(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[app.MailView]{items, total})
}

// getMail is one mail of the outbox with its delivery attempts.
func (s *Server) getMail(c echo.Context) error {
	m, err := s.app.GetMail(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

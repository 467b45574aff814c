package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// TeamRoutes are teams, the company's working calendar, claiming and handing on tasks, and each user's own settings.
func (s *Handlers) TeamRoutes() []httpx.Route {
	rep, manager, admin := auth.RoleRep, auth.RoleManager, auth.RoleAdmin
	return []httpx.Route{
		httpx.GET("api.teams.list", "/api/teams", rep, s.listTeams),
		httpx.POST("api.teams.create", "/api/teams", manager, s.createTeam),
		httpx.GET("api.teams.get", "/api/teams/:name", rep, s.getTeam),
		httpx.PUT("api.teams.put", "/api/teams/:name", manager, s.putTeam),
		httpx.DELETE("api.teams.delete", "/api/teams/:name", manager, s.deleteTeam),

		httpx.GET("api.calendar.get", "/api/calendar", rep, s.getCalendar),
		httpx.PUT("api.calendar.put", "/api/calendar", admin, s.putCalendar),

		httpx.POST("api.tasks.claim", "/api/tasks/:id/claim", rep, s.claimTask),
		httpx.POST("api.tasks.unclaim", "/api/tasks/:id/unclaim", rep, s.unclaimTask),
		httpx.POST("api.tasks.reassign", "/api/tasks/:id/reassign", manager, s.reassignTask),

		httpx.GET("api.me.settings", "/api/users/me/settings", rep, s.getMySettings),
		httpx.PUT("api.me.settings.put", "/api/users/me/settings", rep, s.putMySettings),
	}
}

func (s *Handlers) listTeams(c echo.Context) error {
	teams, err := s.app.ListTeams(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.List[app.TeamView]{Items: teams, Total: int64(len(teams))})
}

func (s *Handlers) getTeam(c echo.Context) error {
	t, err := s.app.GetTeam(c.Request().Context(), httpx.Principal(c), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Handlers) createTeam(c echo.Context) error {
	var in app.TeamView
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	if _, err := s.app.GetTeam(c.Request().Context(), httpx.Principal(c), in.Name); err == nil {
		return &app.Error{Kind: app.ErrConflict, Message: "there is a team " + in.Name + " already: change it with PUT /api/teams/" + in.Name}
	}
	t, _, err := s.app.PutTeam(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (s *Handlers) putTeam(c echo.Context) error {
	var in app.TeamView
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	if in.Name == "" {
		in.Name = c.Param("name")
	}
	if in.Name != c.Param("name") {
		return &app.ValidationError{Message: "the team's name differs from the address", Details: []app.Detail{{Path: "name",
			Message: "the body names " + in.Name + " but the address " + c.Param("name") + "; a team cannot be renamed"}}}
	}
	t, created, err := s.app.PutTeam(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	if created {
		return c.JSON(http.StatusCreated, t)
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Handlers) deleteTeam(c echo.Context) error {
	if err := s.app.DeleteTeam(c.Request().Context(), httpx.Principal(c), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Handlers) claimTask(c echo.Context) error {
	t, err := s.app.ClaimTask(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Handlers) unclaimTask(c echo.Context) error {
	t, err := s.app.UnclaimTask(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Handlers) reassignTask(c echo.Context) error {
	var req struct {
		Assignee string `json:"assignee"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	if err := s.app.ReassignTask(c.Request().Context(), httpx.Principal(c), c.Param("id"), req.Assignee); err != nil {
		return err
	}
	return s.getTask(c)
}

func (s *Handlers) getMySettings(c echo.Context) error {
	m, err := s.app.GetMySettings(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Handlers) putMySettings(c echo.Context) error {
	var in app.MySettings
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	m, err := s.app.PutMySettings(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Handlers) getCalendar(c echo.Context) error {
	cal, err := s.app.CompanyCalendar(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cal)
}

func (s *Handlers) putCalendar(c echo.Context) error {
	var in app.CalendarView
	if err := httpx.BindJSON(c, &in, false); err != nil {
		return err
	}
	cal, err := s.app.PutCompanyCalendar(c.Request().Context(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cal)
}

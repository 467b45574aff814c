package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// TeamRoutes are the Teams page (managers): teams, their members and working hours, and whom each person's
// escalations go to.
func (s *Handlers) TeamRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("settings.teams", "/settings/teams", manager, s.teamsPage),
		httpx.POST("settings.teams.save", "/settings/teams", manager, s.saveTeamForm),
		httpx.POST("settings.teams.delete", "/settings/teams/:name/delete", manager, s.deleteTeamForm),
		httpx.POST("settings.managers", "/settings/managers", manager, s.setManagerForm),
	}
}

func (s *Handlers) teamsPage(c echo.Context) error {
	form := views.TeamForm{Members: map[string]bool{}, Days: map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}}
	editing := false
	if name := c.QueryParam("edit"); name != "" {
		t, err := s.app.GetTeam(c.Request().Context(), httpx.Principal(c), name)
		if err != nil {
			return err
		}
		form, editing = teamFormOf(*t), true
	}
	return s.renderTeams(c, http.StatusOK, form, editing)
}

func teamFormOf(t app.TeamView) views.TeamForm {
	f := views.TeamForm{Name: t.Name, Members: map[string]bool{}, Days: map[int]bool{}}
	for _, m := range t.Members {
		f.Members[m] = true
	}
	if c := t.Calendar; c != nil {
		f.Start, f.End, f.Timezone, f.Holidays = c.Start, c.End, c.TimeZone, strings.Join(c.Holidays, ", ")
		for _, d := range c.Days {
			f.Days[d] = true
		}
	}
	return f
}

func (s *Handlers) renderTeams(c echo.Context, status int, form views.TeamForm, editing bool) error {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	teams, err := s.app.ListTeams(ctx, actor)
	if err != nil {
		return err
	}
	people, err := s.app.PeopleAndManagers(ctx, actor)
	if err != nil {
		return err
	}
	return httpx.Render(c, status, views.TeamsPage(views.TeamsView{Page: s.Frame(c, "Teams", "settings"), Teams: teams,
		People: people, Form: form, Editing: editing}))
}

func (s *Handlers) saveTeamForm(c echo.Context) error {
	params, err := c.FormParams()
	if err != nil {
		return err
	}
	in := app.TeamView{Name: strings.TrimSpace(params.Get("name")), Members: params["members"]}
	form := views.TeamForm{Name: in.Name, Start: params.Get("start"), End: params.Get("end"), Timezone: params.Get("timezone"),
		Holidays: params.Get("holidays"), Members: map[string]bool{}, Days: map[int]bool{}}
	for _, m := range in.Members {
		form.Members[m] = true
	}
	var days []int
	for _, d := range params["days"] {
		if n, err := strconv.Atoi(d); err == nil {
			days, form.Days[n] = append(days, n), true
		}
	}
	if form.Start != "" || form.End != "" || form.Timezone != "" || form.Holidays != "" {
		cal := &businesstime.Calendar{Start: form.Start, End: form.End, TimeZone: form.Timezone, Days: days}
		for _, h := range strings.Split(form.Holidays, ",") {
			if h = strings.TrimSpace(h); h != "" {
				cal.Holidays = append(cal.Holidays, h)
			}
		}
		in.Calendar = cal
	}
	_, existed := s.app.GetTeam(c.Request().Context(), httpx.Principal(c), in.Name)
	_, created, err := s.app.PutTeam(c.Request().Context(), httpx.Principal(c), in)
	if errs, ok := fieldErrors(err); ok {
		for path, msg := range errs {
			if strings.HasPrefix(path, "members[") {
				errs["members"] = strings.TrimSpace(errs["members"] + " " + msg)
			}
		}
		form.Errors = errs
		return s.renderTeams(c, http.StatusUnprocessableEntity, form, existed == nil)
	}
	if err != nil {
		return err
	}
	if created {
		s.flash(c, "Team "+in.Name+" added.")
	} else {
		s.flash(c, "Team "+in.Name+" saved.")
	}
	return c.Redirect(http.StatusSeeOther, "/settings/teams")
}

func (s *Handlers) deleteTeamForm(c echo.Context) error {
	if err := s.app.DeleteTeam(c.Request().Context(), httpx.Principal(c), c.Param("name")); err != nil {
		return err
	}
	s.flash(c, "Team "+c.Param("name")+" deleted.")
	return c.Redirect(http.StatusSeeOther, "/settings/teams")
}

func (s *Handlers) setManagerForm(c echo.Context) error {
	email := c.FormValue("email")
	if err := s.app.SetManagerOf(c.Request().Context(), httpx.Principal(c), email, c.FormValue("manager")); err != nil {
		return err
	}
	s.flash(c, "Escalations of "+email+" now go to "+orNobody(c.FormValue("manager"))+".")
	return c.Redirect(http.StatusSeeOther, "/settings/teams")
}

func orNobody(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}

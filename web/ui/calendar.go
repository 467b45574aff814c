package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// CalendarRoutes are Settings → Working hours (admins): the company's working calendar.
func (s *Handlers) CalendarRoutes() []httpx.Route {
	admin := auth.RoleAdmin
	return []httpx.Route{
		httpx.GET("settings.calendar", "/settings/calendar", admin, s.calendarPage),
		httpx.POST("settings.calendar.save", "/settings/calendar", admin, s.saveCalendarForm),
	}
}

func (s *Handlers) calendarPage(c echo.Context) error {
	cal, err := s.app.CompanyCalendar(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	form := views.CalendarForm{Timezone: cal.TimeZone, Start: cal.Start, End: cal.End,
		Holidays: views.HolidayLines(cal.Holidays), Days: map[int]bool{}}
	for _, d := range cal.Days {
		form.Days[d] = true
	}
	return s.renderCalendar(c, http.StatusOK, form)
}

func (s *Handlers) renderCalendar(c echo.Context, status int, form views.CalendarForm) error {
	return httpx.Render(c, status, views.CalendarPage(views.CalendarView{Page: s.Frame(c, "Working hours", "settings"), Form: form}))
}

// saveCalendarForm stores the working hours; what is wrong is marked under its field, and the form keeps
// everything as typed.
func (s *Handlers) saveCalendarForm(c echo.Context) error {
	params, err := c.FormParams()
	if err != nil {
		return err
	}
	form := views.CalendarForm{Timezone: params.Get("timezone"), Start: params.Get("start"), End: params.Get("end"),
		Holidays: params.Get("holidays"), Days: map[int]bool{}}
	in := app.CalendarView{TimeZone: form.Timezone, Start: form.Start, End: form.End, Holidays: strings.Split(form.Holidays, "\n")}
	for _, d := range params["days"] {
		if n, err := strconv.Atoi(d); err == nil {
			in.Days, form.Days[n] = append(in.Days, n), true
		}
	}
	_, err = s.app.PutCompanyCalendar(c.Request().Context(), httpx.Principal(c), in)
	if errs, ok := fieldErrors(err); ok {
		form.Errors = errs
		return s.renderCalendar(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	s.flash(c, "The working hours are saved.")
	return c.Redirect(http.StatusSeeOther, "/settings/calendar")
}

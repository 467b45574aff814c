package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// CalendarView is the company's working calendar as GET|PUT /api/calendar and Settings → Working hours show
// it, with the field names of a team's calendar: every field given, the defaults filled in.
type CalendarView struct {
	TimeZone string   `json:"timezone"`
	Days     []int    `json:"days"`
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Holidays []string `json:"holidays"`
}

func calendarView(c businesstime.Calendar) *CalendarView {
	c = c.Filled()
	v := &CalendarView{TimeZone: c.TimeZone, Days: c.Days, Start: c.Start, End: c.End, Holidays: c.Holidays}
	if v.Holidays == nil {
		v.Holidays = []string{}
	}
	return v
}

// Calendar is the view as a calendar.
func (v CalendarView) Calendar() businesstime.Calendar {
	return businesstime.Calendar{TimeZone: v.TimeZone, Days: v.Days, Start: v.Start, End: v.End, Holidays: v.Holidays}
}

// CompanyCalendar is the company's working calendar, in which business time counts for everyone whose team
// has none of its own (anyone signed in may read it).
func (a *App) CompanyCalendar(ctx context.Context, actor *Actor) (*CalendarView, error) {
	if actor == nil {
		return nil, fail(ErrUnauthorized, "sign in to see the working hours")
	}
	raw, err := a.DB.Teams().CompanyCalendar(ctx)
	if err != nil {
		return nil, err
	}
	c, err := businesstime.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the company calendar: %w", err)
	}
	return calendarView(c), nil
}

// PutCompanyCalendar replaces the company's working calendar (admins). Each problem names its field; nothing
// is stored while there is one.
func (a *App) PutCompanyCalendar(ctx context.Context, actor *Actor, in CalendarView) (*CalendarView, error) {
	if err := requireAdmin(actor, "change the company's working hours"); err != nil {
		return nil, err
	}
	in.TimeZone, in.Start, in.End = strings.TrimSpace(in.TimeZone), strings.TrimSpace(in.Start), strings.TrimSpace(in.End)
	var holidays []string
	for _, h := range in.Holidays {
		if h = strings.TrimSpace(h); h != "" {
			holidays = append(holidays, h)
		}
	}
	slices.Sort(holidays) // by date, as written
	in.Holidays = holidays
	var details []Detail
	if len(in.Days) == 0 {
		details = append(details, Detail{Path: "days", Message: "pick at least one working day"})
	}
	for _, p := range in.Calendar().Problems() {
		details = append(details, Detail{Path: p.Field, Message: p.Message})
	}
	if len(details) > 0 {
		return nil, &ValidationError{Message: "the working hours were not saved", Details: details}
	}
	before, err := a.CompanyCalendar(ctx, actor)
	if err != nil {
		return nil, err
	}
	cal := in.Calendar().Filled()
	raw, err := json.Marshal(cal)
	if err != nil {
		return nil, fmt.Errorf("write the company calendar: %w", err)
	}
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		return tx.Teams().SetCompanyCalendar(ctx, string(raw), a.Clock.Now())
	})
	if err != nil {
		return nil, err
	}
	a.audit(ctx, actor, "working hours saved", "calendar", "company", before, calendarView(cal))
	return calendarView(cal), nil
}

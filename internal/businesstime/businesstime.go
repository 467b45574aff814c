// Package businesstime counts time the way a sales team does: "8 business hours" and "2 business days" in
// a calendar of working hours, working days, a time zone and holidays. The company has one calendar and a
// team may have its own; due dates and SLA timers of human tasks are moved with it.
package businesstime

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Calendar is when people work. Zero values mean Monday to Friday, 09:00 to 17:00, UTC, no holidays.
type Calendar struct {
	TimeZone string   `json:"timezone,omitempty"` // an IANA zone such as Europe/Berlin
	Start    string   `json:"start,omitempty"`    // the working day's first minute, "09:00"
	End      string   `json:"end,omitempty"`      // the minute it ends, "17:00"
	Days     []int    `json:"days,omitempty"`     // working days, 1 Monday … 7 Sunday
	Holidays []string `json:"holidays,omitempty"` // days off, "2026-12-25", or with a name: "2026-12-25 Christmas Day"
}

// Default is the calendar when nobody defined one.
var Default = Calendar{TimeZone: "UTC", Start: "09:00", End: "17:00", Days: []int{1, 2, 3, 4, 5}}

// maxDays bounds every walk over the calendar: ten years of days.
const maxDays = 3660

// compiled is a checked calendar.
type compiled struct {
	loc        *time.Location
	start, end time.Duration // since midnight
	days       [8]bool
	holidays   map[string]bool
}

// Check says what is wrong with the calendar, in words, or nil.
func (c Calendar) Check() error {
	_, err := c.compile()
	return err
}

// Problem is what is wrong with one field of a calendar; Field is its JSON name (timezone, start, end,
// days, holidays).
type Problem struct {
	Field   string
	Message string
}

// Problems says everything that is wrong with the calendar, field by field (nil when nothing is).
func (c Calendar) Problems() []Problem {
	_, problems := c.check()
	return problems
}

// Filled is the calendar with Default's values where it gives none, as it counts.
func (c Calendar) Filled() Calendar {
	if c.TimeZone == "" {
		c.TimeZone = Default.TimeZone
	}
	if c.Start == "" {
		c.Start = Default.Start
	}
	if c.End == "" {
		c.End = Default.End
	}
	if len(c.Days) == 0 {
		c.Days = Default.Days
	}
	return c
}

func (c Calendar) compile() (*compiled, error) {
	out, problems := c.check()
	if len(problems) > 0 {
		return nil, errors.New(problems[0].Message)
	}
	return out, nil
}

func (c Calendar) check() (*compiled, []Problem) {
	c = c.Filled()
	var problems []Problem
	add := func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	out := &compiled{loc: time.UTC, holidays: map[string]bool{}}
	if loc, err := time.LoadLocation(c.TimeZone); err != nil {
		add("timezone", "the time zone %q is not known: use a name such as Europe/Berlin or America/New_York", c.TimeZone)
	} else {
		out.loc = loc
	}
	var err error
	startOK, endOK := true, true
	if out.start, err = clockTime(c.Start); err != nil {
		add("start", "the working day's start: %v", err)
		startOK = false
	}
	if out.end, err = clockTime(c.End); err != nil {
		add("end", "the working day's end: %v", err)
		endOK = false
	}
	if startOK && endOK && out.end <= out.start {
		add("end", "the working day ends (%s) before it starts (%s)", c.End, c.Start)
	}
	for _, d := range c.Days {
		if d < 1 || d > 7 {
			add("days", "working day %d is not a day of the week: use 1 (Monday) to 7 (Sunday)", d)
			continue
		}
		out.days[d] = true
	}
	for _, h := range c.Holidays {
		date, _ := SplitHoliday(h)
		day, err := time.Parse(time.DateOnly, date)
		if err != nil {
			add("holidays", "the holiday %q is not a date: write it like 2026-12-25 or 2026-12-25 Christmas Day", h)
			continue
		}
		out.holidays[day.Format(time.DateOnly)] = true
	}
	return out, problems
}

// SplitHoliday reads a holiday as written, "2026-12-25 Christmas Day", into its date and its name ("" when
// it has none).
func SplitHoliday(s string) (date, name string) {
	date, name, _ = strings.Cut(strings.TrimSpace(s), " ")
	return date, strings.TrimSpace(name)
}

// Parse reads a calendar stored as JSON; no calendar at all ("") is Default.
func Parse(raw string) (Calendar, error) {
	if strings.TrimSpace(raw) == "" {
		return Default, nil
	}
	var c Calendar
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return Default, fmt.Errorf("read the working calendar: %w", err)
	}
	return c, nil
}

// Location is the calendar's time zone (UTC when it names none or one that is not known).
func (c Calendar) Location() *time.Location {
	if loc, err := time.LoadLocation(c.Filled().TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

func clockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day: write it like 09:00", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// working reports whether the day that contains t (in the calendar's zone) is a working day.
func (c *compiled) working(t time.Time) bool {
	wd := int(t.Weekday())
	if wd == 0 {
		wd = 7
	}
	return c.days[wd] && !c.holidays[t.Format(time.DateOnly)]
}

func (c *compiled) midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// opening and closing are the working day's bounds on the day of t.
func (c *compiled) opening(t time.Time) time.Time { return at(c.midnight(t), c.start, c.loc) }
func (c *compiled) closing(t time.Time) time.Time { return at(c.midnight(t), c.end, c.loc) }

// at is the wall-clock time since midnight on that day, so a day of a daylight-saving change keeps its hours.
func at(midnight time.Time, since time.Duration, loc *time.Location) time.Time {
	y, m, d := midnight.Date()
	return time.Date(y, m, d, int(since/time.Hour), int(since%time.Hour/time.Minute), 0, 0, loc)
}

func nextDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
}

func prevDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, t.Location())
}

var errNoWorkingDay = errors.New("the calendar has no working day in ten years (every working day is a holiday)")

// AddHours moves t by d of working time (backwards when d is negative): from Friday 16:00, 8 business hours
// of a 09:00–17:00 week are 1 hour on Friday and 7 on Monday, so Monday 16:00.
func (c Calendar) AddHours(t time.Time, d time.Duration) (time.Time, error) {
	cc, err := c.compile()
	if err != nil {
		return time.Time{}, err
	}
	cur := t.In(cc.loc)
	if d < 0 {
		return cc.back(cur, -d)
	}
	for range maxDays {
		if !cc.working(cur) || !cur.Before(cc.closing(cur)) {
			cur = cc.opening(nextDay(cur))
			continue
		}
		if cur.Before(cc.opening(cur)) {
			cur = cc.opening(cur)
		}
		left := cc.closing(cur).Sub(cur)
		if d <= left {
			return cur.Add(d).UTC(), nil
		}
		d -= left
		cur = cc.opening(nextDay(cur))
	}
	return time.Time{}, errNoWorkingDay
}

func (cc *compiled) back(cur time.Time, d time.Duration) (time.Time, error) {
	for range maxDays {
		if !cc.working(cur) || !cur.After(cc.opening(cur)) {
			cur = cc.closing(prevDay(cur))
			continue
		}
		if cur.After(cc.closing(cur)) {
			cur = cc.closing(cur)
		}
		avail := cur.Sub(cc.opening(cur))
		if d <= avail {
			return cur.Add(-d).UTC(), nil
		}
		d -= avail
		cur = cc.closing(prevDay(cur))
	}
	return time.Time{}, errNoWorkingDay
}

// AddDays moves t by n working days (backwards when n is negative), keeping the time of day; a t outside
// working hours first moves to the next working moment. From Friday 16:00, 2 business days are Tuesday 16:00.
func (c Calendar) AddDays(t time.Time, n int) (time.Time, error) {
	cc, err := c.compile()
	if err != nil {
		return time.Time{}, err
	}
	start, err := c.AddHours(t, 0)
	if err != nil {
		return time.Time{}, err
	}
	cur := start.In(cc.loc)
	since := cur.Sub(cc.midnight(cur))
	step, left := nextDay, n
	if n < 0 {
		step, left = prevDay, -n
	}
	day := cc.midnight(cur)
	for i := 0; left > 0; i++ {
		if i > maxDays {
			return time.Time{}, errNoWorkingDay
		}
		day = step(day)
		if cc.working(day) {
			left--
		}
	}
	return at(day, since, cc.loc).UTC(), nil
}

// Offset is a move in time as people write it: "-4h", "0h", "2 hours", "+8 business hours", "2 business
// days", "30m", "1d".
type Offset struct {
	Business bool
	Days     int           // whole days (business days when Business); Duration is then zero
	Duration time.Duration // hours and minutes
	Source   string
}

// SplitAmount reads "[in] [+|-]N unit" (N of 1 to digits digits) into its sign, amount and unit, lower case
// and trimmed; ok is false when s holds no such amount. Relative dates ("+2 days") are read with it too.
func SplitAmount(s string, digits int) (sign, n int, unit string, ok bool) {
	rest := strings.ToLower(strings.TrimSpace(s))
	if after, found := strings.CutPrefix(rest, "in "); found {
		rest = strings.TrimSpace(after)
	}
	sign = 1
	switch {
	case strings.HasPrefix(rest, "+"):
		rest = strings.TrimSpace(rest[1:])
	case strings.HasPrefix(rest, "-"):
		sign, rest = -1, strings.TrimSpace(rest[1:])
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i > digits {
		return 0, 0, "", false
	}
	n, err := strconv.Atoi(rest[:i])
	if err != nil {
		return 0, 0, "", false
	}
	return sign, n, strings.TrimSpace(rest[i:]), true
}

// ParseOffset reads an offset.
func ParseOffset(s string) (Offset, error) {
	src := strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a length of time: write it like 4h, -30m, 2 days, 8 business hours or 2 business days", src)
	sign, n, unit, ok := SplitAmount(src, 5)
	if !ok {
		return Offset{}, bad
	}
	o := Offset{Source: src}
	if after, ok := strings.CutPrefix(unit, "business "); ok {
		o.Business, unit = true, strings.TrimSpace(after)
	}
	switch unit {
	case "m", "min", "mins", "minute", "minutes":
		if o.Business {
			return Offset{}, bad
		}
		o.Duration = time.Duration(sign*n) * time.Minute
	case "h", "hour", "hours":
		o.Duration = time.Duration(sign*n) * time.Hour
	case "d", "day", "days":
		o.Days = sign * n
	case "w", "week", "weeks":
		if o.Business {
			o.Days = sign * n * 5
		} else {
			o.Days = sign * n * 7
		}
	default:
		return Offset{}, bad
	}
	return o, nil
}

// IsOffset reports whether s reads as an offset (rather than a date).
func IsOffset(s string) bool {
	_, err := ParseOffset(s)
	return err == nil
}

// Move moves t by the offset in the calendar: business offsets count working time, the others wall time.
func (c Calendar) Move(t time.Time, o Offset) (time.Time, error) {
	switch {
	case o.Business && o.Days != 0:
		return c.AddDays(t, o.Days)
	case o.Business:
		return c.AddHours(t, o.Duration)
	case o.Days != 0:
		// Whole days keep the time of day in the calendar's zone, across a daylight-saving change too.
		return t.In(c.Location()).AddDate(0, 0, o.Days).UTC(), nil
	}
	return t.Add(o.Duration).UTC(), nil
}

// Moment is a time named by the calendar rather than by a length: "next business day 9:00", or "next
// business day" for its opening time.
type Moment struct {
	Clock    time.Duration // since midnight; used when HasClock
	HasClock bool
	Source   string
}

// ParseMoment reads "next business day", "next business day 9:00" or "next business day at 09:30"; ok is
// false when s is not such a phrase, and err says what is wrong with one that starts like it.
func ParseMoment(s string) (m Moment, ok bool, err error) {
	src := strings.TrimSpace(s)
	rest, found := strings.CutPrefix(strings.ToLower(src), "next business day")
	if !found {
		return Moment{}, false, nil
	}
	m.Source = src
	rest = strings.TrimSpace(rest)
	if after, found := strings.CutPrefix(rest, "at "); found {
		rest = strings.TrimSpace(after)
	}
	if rest == "" {
		return m, true, nil
	}
	if len(rest) == 4 && rest[1] == ':' { // 9:00
		rest = "0" + rest
	}
	if m.Clock, err = clockTime(rest); err != nil {
		return Moment{}, true, fmt.Errorf("%q: the time after \"next business day\" is not a time of day: write it like next business day 9:00", src)
	}
	m.HasClock = true
	return m, true, nil
}

// At is the moment after t: the working day after the day of t (in the calendar's zone), at the moment's
// time of day or else at its opening. From Friday 18:00, "next business day 9:00" is Monday 9:00, or
// Tuesday 9:00 when Monday is a holiday.
func (c Calendar) At(t time.Time, m Moment) (time.Time, error) {
	cc, err := c.compile()
	if err != nil {
		return time.Time{}, err
	}
	clock := cc.start
	if m.HasClock {
		clock = m.Clock
	}
	day := cc.midnight(t.In(cc.loc))
	for range maxDays {
		day = nextDay(day)
		if cc.working(day) {
			return at(day, clock, cc.loc).UTC(), nil
		}
	}
	return time.Time{}, errNoWorkingDay
}

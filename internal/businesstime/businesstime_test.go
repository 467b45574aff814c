package businesstime

import (
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBusinessTimeCountsWorkingHoursAndDays(t *testing.T) {
	week := Calendar{Start: "09:00", End: "17:00"} // Monday to Friday, UTC
	// 2026-12-04 is a Friday.
	cases := []struct {
		cal  Calendar
		from string
		move string
		want string
	}{
		// 1 hour on Friday, 7 on Monday.
		{week, "2026-12-04 16:00", "+8 business hours", "2026-12-07 16:00"},
		{week, "2026-12-04 16:00", "+7 business hours", "2026-12-07 15:00"},
		// Outside working hours the count starts at the next opening.
		{week, "2026-12-05 11:00", "+2 business hours", "2026-12-07 11:00"},
		{week, "2026-12-07 07:30", "+1 business hour", "2026-12-07 10:00"},
		{week, "2026-12-04 16:00", "2 business days", "2026-12-08 16:00"},
		{week, "2026-12-04 16:00", "1 business week", "2026-12-11 16:00"},
		// Backwards: 4 business hours before Monday 11:00 are 2 on Monday and 2 on Friday.
		{week, "2026-12-07 11:00", "-4 business hours", "2026-12-04 15:00"},
		{week, "2026-12-07 11:00", "-1 business day", "2026-12-04 11:00"},
		// Wall-clock offsets ignore the calendar.
		{week, "2026-12-04 16:00", "-4h", "2026-12-04 12:00"},
		{week, "2026-12-04 16:00", "0h", "2026-12-04 16:00"},
		{week, "2026-12-04 16:00", "2 days", "2026-12-06 16:00"},
		// A holiday is skipped; so is a non-working day of the calendar.
		{Calendar{Holidays: []string{"2026-12-07"}}, "2026-12-04 16:00", "+8 business hours", "2026-12-08 16:00"},
		{Calendar{Days: []int{1, 2, 3, 4}}, "2026-12-03 16:00", "+2 business hours", "2026-12-07 10:00"},
		// In the calendar's zone: Berlin is UTC+1 in December, so 09:00–17:00 there is 08:00–16:00 UTC.
		{Calendar{TimeZone: "Europe/Berlin"}, "2026-12-04 15:00", "+8 business hours", "2026-12-07 15:00"},
	}
	for _, c := range cases {
		o, err := ParseOffset(c.move)
		if err != nil {
			t.Fatalf("%s: %v", c.move, err)
		}
		got, err := c.cal.Move(utc(c.from), o)
		if err != nil {
			t.Fatalf("%s %s: %v", c.from, c.move, err)
		}
		if want := utc(c.want); !got.Equal(want) {
			t.Errorf("%s %s in %+v = %s, want %s", c.from, c.move, c.cal, got.Format(time.RFC3339), want.Format(time.RFC3339))
		}
	}
}

func TestBusinessTimeSaysWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		cal  Calendar
		want string
	}{
		{Calendar{TimeZone: "Mars/Olympus"}, `time zone "Mars/Olympus" is not known`},
		{Calendar{Start: "9am"}, `"9am" is not a time of day`},
		{Calendar{Start: "17:00", End: "09:00"}, "ends (09:00) before it starts (17:00)"},
		{Calendar{Days: []int{0}}, "working day 0 is not a day of the week"},
		{Calendar{Holidays: []string{"25/12"}}, `holiday "25/12" is not a date`},
	} {
		if err := c.cal.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want it to say %q", c.cal, err, c.want)
		}
	}
	for _, bad := range []string{"soon", "8 business minutes", "h", "+123456 hours"} {
		if _, err := ParseOffset(bad); err == nil || !strings.Contains(err.Error(), "is not a length of time") {
			t.Errorf("ParseOffset(%q) = %v", bad, err)
		}
	}
	everyDayOff := Calendar{Days: []int{1}, Holidays: nil}
	for d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC); d.Year() < 2037; d = d.AddDate(0, 0, 7) {
		everyDayOff.Holidays = append(everyDayOff.Holidays, d.Format(time.DateOnly))
	}
	if _, err := everyDayOff.AddHours(utc("2026-01-05 10:00"), time.Hour); err == nil {
		t.Error("a calendar whose every working day is a holiday gave a time")
	}
}

// in reads a wall-clock time in a zone.
func in(zone, s string) time.Time {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// TestBusinessTimeAcrossZonesHolidaysAndDaylightSaving moves times in calendars of several zones, over
// holidays, nights and the changes to and from summer time, by offsets ("2 business days") and by moments
// ("next business day 9:00"). Every time is written on the calendar's own wall clock.
func TestBusinessTimeAcrossZonesHolidaysAndDaylightSaving(t *testing.T) {
	t.Parallel()
	cal := func(zone string, holidays ...string) Calendar {
		return Calendar{TimeZone: zone, Start: "09:00", End: "17:00", Days: []int{1, 2, 3, 4, 5}, Holidays: holidays}
	}
	cases := []struct {
		name string
		cal  Calendar
		from string
		move string
		want string
	}{
		// Friday 15:00, Monday a holiday: Tuesday is the first business day, Wednesday the second.
		{"UTC, Monday holiday", cal("UTC", "2026-12-07 Company day"), "2026-12-04 15:00", "2 business days", "2026-12-09 15:00"},
		// Berlin goes to summer time on Sunday 29 March 2026: the wall clock keeps 15:00 (13:00 UTC, not 14:00).
		{"Berlin into summer time", cal("Europe/Berlin", "2026-03-30"), "2026-03-27 15:00", "2 business days", "2026-04-01 15:00"},
		// And back on Sunday 25 October 2026.
		{"Berlin out of summer time", cal("Europe/Berlin", "2026-10-26 Staff day"), "2026-10-23 15:00", "2 business days", "2026-10-28 15:00"},
		// New York changes on Sunday 8 March and Sunday 1 November 2026.
		{"New York into summer time", cal("America/New_York", "2026-03-09"), "2026-03-06 15:00", "2 business days", "2026-03-11 15:00"},
		{"New York out of summer time", cal("America/New_York", "2026-11-02"), "2026-10-30 15:00", "2 business days", "2026-11-04 15:00"},
		{"Tokyo, no holiday", cal("Asia/Tokyo"), "2026-12-04 15:00", "2 business days", "2026-12-08 15:00"},
		// Hours over a night: 2 on Thursday, 6 on Friday.
		{"hours over a night", cal("Europe/Berlin"), "2026-12-03 15:00", "8 business hours", "2026-12-04 15:00"},
		// Hours over a weekend with the clocks changed: 1 on Friday, 1 on Monday in summer time.
		{"hours over the change", cal("Europe/Berlin"), "2026-03-27 16:00", "2 business hours", "2026-03-30 10:00"},
		{"hours over a holiday night", cal("America/New_York", "2026-11-26 Thanksgiving"), "2026-11-25 16:00", "3 business hours", "2026-11-27 11:00"},
		// Plain days and weeks keep the wall clock too.
		{"a week over the change", cal("Europe/Berlin"), "2026-03-23 09:00", "1 week", "2026-03-30 09:00"},
		{"90 minutes", cal("Europe/Berlin"), "2026-03-29 01:00", "90 minutes", "2026-03-29 03:30"},
		// Moments.
		{"next business day from Friday evening", cal("Europe/Berlin"), "2026-12-04 18:00", "next business day 9:00", "2026-12-07 09:00"},
		{"next business day over a Monday holiday", cal("UTC", "2026-12-07"), "2026-12-04 18:00", "next business day 9:00", "2026-12-08 09:00"},
		{"next business day from a holiday eve", cal("America/New_York", "2026-12-25 Christmas Day"), "2026-12-24 16:00", "next business day", "2026-12-28 09:00"},
		{"next business day at half past", cal("Europe/Berlin"), "2026-03-27 18:00", "Next business day at 10:30", "2026-03-30 10:30"},
		{"next business day early in the morning", cal("UTC"), "2026-12-08 07:00", "next business day", "2026-12-09 09:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got time.Time
			var err error
			if m, ok, merr := ParseMoment(c.move); ok {
				if merr != nil {
					t.Fatal(merr)
				}
				got, err = c.cal.At(in(c.cal.TimeZone, c.from), m)
			} else {
				o, perr := ParseOffset(c.move)
				if perr != nil {
					t.Fatal(perr)
				}
				got, err = c.cal.Move(in(c.cal.TimeZone, c.from), o)
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := in(c.cal.TimeZone, c.want); !got.Equal(want) {
				t.Errorf("%s + %s = %s, want %s", c.from, c.move, got.In(want.Location()).Format("Mon 2006-01-02 15:04 MST"), want.Format("Mon 2006-01-02 15:04 MST"))
			}
		})
	}
}

func TestMomentsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	if _, ok, err := ParseMoment("next business day noonish"); !ok || err == nil || !strings.Contains(err.Error(), "is not a time of day") {
		t.Errorf("a bad time: ok %v, %v", ok, err)
	}
	if _, ok, _ := ParseMoment("date(lead.createdAt)"); ok {
		t.Error("an expression read as a moment")
	}
	if c, err := Parse(""); err != nil || c.TimeZone != Default.TimeZone {
		t.Errorf("no calendar = %+v, %v", c, err)
	}
	if _, err := Parse("{"); err == nil {
		t.Error("broken JSON read as a calendar")
	}
	if d, n := SplitHoliday(" 2026-12-25  Christmas Day "); d != "2026-12-25" || n != "Christmas Day" {
		t.Errorf("SplitHoliday = %q, %q", d, n)
	}
}

func TestEveryListedZoneIsKnown(t *testing.T) {
	t.Parallel()
	for _, z := range Zones {
		if err := (Calendar{TimeZone: z}).Check(); err != nil {
			t.Errorf("%s: %v", z, err)
		}
	}
}

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

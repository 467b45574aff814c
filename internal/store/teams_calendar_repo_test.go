package store_test

import (
	"context"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Whose working calendar counts: a team's own, else the company's; for a person, the first of their teams
// (by name) that has one, else the company's; "" while nobody set any.
var _ = exercise("teams/calendars", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ann := &store.User{Email: "ann@example.com", Role: "rep", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}
	bob := &store.User{Email: "bob@example.com", Role: "rep", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}
	create(t, db, ann, bob)
	teams := db.Teams()
	if got, err := teams.CalendarOfUser(ctx, ann.ID); err != nil || got != "" {
		t.Fatalf("before anyone set a calendar: %q, %v", got, err)
	}
	const company, closers, zulu = `{"timezone":"Europe/Berlin"}`, `{"timezone":"UTC"}`, `{"timezone":"Asia/Tokyo"}`
	if err := teams.SetCompanyCalendar(ctx, company, t0); err != nil {
		t.Fatal(err)
	}
	for _, team := range []struct{ name, calendar string }{{"alpha", ""}, {"closers", closers}, {"zulu", zulu}} {
		if _, err := teams.PutTeam(ctx, team.name, team.calendar, []int64{ann.ID}, t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		what string
		got  func() (string, error)
		want string
	}{
		{"ann, in alpha (none), closers and zulu", func() (string, error) { return teams.CalendarOfUser(ctx, ann.ID) }, closers},
		{"bob, in no team", func() (string, error) { return teams.CalendarOfUser(ctx, bob.ID) }, company},
		{"team alpha", func() (string, error) { return teams.Calendar(ctx, "alpha") }, company},
		{"team zulu", func() (string, error) { return teams.Calendar(ctx, "zulu") }, zulu},
		{"the company", func() (string, error) { return teams.CompanyCalendar(ctx) }, company},
	} {
		if got, err := c.got(); err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.what, got, err, c.want)
		}
	}
})

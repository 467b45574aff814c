package views

import (
	"slices"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/crm"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount float64
		want   string
	}{
		{0, "0.00 USD"},
		{5.5, "5.50 USD"},
		{999, "999.00 USD"},
		{1000, "1,000.00 USD"},
		{12500.05, "12,500.05 USD"},
		{1234567.891, "1,234,567.89 USD"},
	} {
		if got := money(crm.Record{"amount": tc.amount, "currency": "USD"}); got != tc.want {
			t.Errorf("money(%v) = %q, want %q", tc.amount, got, tc.want)
		}
	}
}

func TestChangesHideTheUpdateThatGoesWithAStatusChange(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	ev := func(typ, by string, sec int) app.RecordEvent {
		return app.RecordEvent{Type: typ, By: by, At: at.Add(time.Duration(sec) * time.Second)}
	}
	for _, tc := range []struct {
		name   string
		events []app.RecordEvent // newest first
		want   []string
	}{
		{"a status change", []app.RecordEvent{ev("lead_qualified", "a", 1), ev("lead_updated", "a", 1), ev("lead_created", "a", 0)},
			[]string{"lead_qualified", "lead_created"}},
		{"an update alone", []app.RecordEvent{ev("lead_updated", "a", 2), ev("lead_qualified", "a", 1), ev("lead_updated", "a", 1)},
			[]string{"lead_updated", "lead_qualified"}},
		{"another moment", []app.RecordEvent{ev("lead_qualified", "a", 2), ev("lead_updated", "a", 1)},
			[]string{"lead_qualified", "lead_updated"}},
		{"someone else", []app.RecordEvent{ev("lead_qualified", "a", 1), ev("lead_updated", "b", 1)},
			[]string{"lead_qualified", "lead_updated"}},
		{"two updates", []app.RecordEvent{ev("lead_updated", "a", 1), ev("lead_updated", "a", 1)},
			[]string{"lead_updated", "lead_updated"}},
	} {
		var got []string
		for _, e := range changes(crm.Lead, tc.events) {
			got = append(got, e.Type)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRunsPanelIsLiveForHalfAMinuteAfterAChange(t *testing.T) {
	t.Parallel()
	changed := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		activity app.RecordActivity
		now      time.Time
		want     bool
	}{
		{"no change recorded", app.RecordActivity{}, changed, false},
		{"just changed", app.RecordActivity{LastChange: changed}, changed.Add(time.Second), true},
		{"29 s later", app.RecordActivity{LastChange: changed}, changed.Add(29 * time.Second), true},
		{"30 s later", app.RecordActivity{LastChange: changed}, changed.Add(30 * time.Second), false},
		{"still being dispatched", app.RecordActivity{LastChange: changed, Pending: true}, changed.Add(time.Hour), true},
	} {
		p := RunsPanel{Entity: crm.Lead, ID: "l1", Activity: &tc.activity, Now: tc.now}
		if got := p.Live(); got != tc.want {
			t.Errorf("%s: live = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		unit string
		want string
	}{{1, "opportunity", "1 opportunity"}, {3, "opportunity", "3 opportunities"}, {2, "lead", "2 leads"},
		{0, "day", "0 days"}, {2, "key", "2 keys"}} {
		if got := plural(c.n, c.unit); got != c.want {
			t.Errorf("plural(%d, %q) = %q, want %q", c.n, c.unit, got, c.want)
		}
	}
}

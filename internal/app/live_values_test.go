package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Live values: each template, condition and filter of a panel says what it gives for the picked lead, in
// words when a field it reads is empty, and that it is known only later when it reads a task's answer or
// an earlier step's output. Nothing runs: the outbox and the CRM are as they were.
func TestLiveValuesSayWhatEachFieldGivesForThePickedRecord(t *testing.T) {
	t.Parallel()
	storetest.EachUseCase(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := useCases(t, db)
		company, err := a.CreateRecord(ctx, manager, crm.Company, map[string]any{"name": "Bistro Ana"})
		if err != nil {
			t.Fatal(err)
		}
		ana, err := a.CreateRecord(ctx, manager, crm.Lead, map[string]any{"firstName": "Ana", "lastName": "Lopez",
			"email": "ana@bistro.example", "score": 72, "companyId": company["id"]})
		if err != nil {
			t.Fatal(err)
		}
		bo, err := a.CreateRecord(ctx, manager, crm.Lead, map[string]any{"firstName": "Bo", "lastName": "Berg", "email": "bo@example.com", "score": 20})
		if err != nil {
			t.Fatal(err)
		}
		def, err := workflow.Decode([]byte(`{
		  "id": "live_values", "name": "Live values", "trigger": {"type": "event", "configuration": {"event": "lead_qualified", "filter": "lead.score > 50"}},
		  "variables": [],
		  "steps": [
		    {"id": "welcome", "name": "Send welcome", "type": "action", "nextSteps": ["hot"], "configuration": {"action": "send_email",
		      "parameters": {"to": "{{ lead.email }}", "template": "welcome_qualified_lead",
		        "data": {"firstName": "{{ lead.firstName }}", "companyName": "{{ lead.company.name }}"}}}},
		    {"id": "hot", "name": "Is it hot", "type": "condition", "nextSteps": [], "configuration": {"condition": "lead.score > 50",
		      "trueSteps": ["call"], "falseSteps": []}},
		    {"id": "call", "name": "Call the lead", "type": "human_task", "nextSteps": ["note"], "configuration": {"assignee": "rep@example.com",
		      "title": "Call {{ lead.firstName }} at {{ lead.company.name }}", "description": "Says {{ outcome }}",
		      "formFields": [{"name": "outcome", "type": "text", "required": true}]}},
		    {"id": "note", "name": "Note it", "type": "action", "nextSteps": [], "configuration": {"action": "set_variable",
		      "parameters": {"name": "said", "value": "{{ steps.welcome.output.subject }}"}}}
		  ]}`))
		if err != nil {
			t.Fatal(err)
		}
		step := func(id string) workflow.Step {
			s, ok := def.StepByID(id)
			if !ok {
				t.Fatalf("no step %s", id)
			}
			return *s
		}
		live := func(id string, rec map[string]any) app.Live {
			t.Helper()
			l, err := a.StepLiveValues(ctx, manager, def, step(id), "lead:"+rec["id"].(string))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		mails := func() int64 {
			_, n, err := a.ListOutbox(ctx, manager, app.OutboxFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := mails()

		l := live("welcome", ana)
		if l.Record != "Ana Lopez, Bistro Ana" {
			t.Errorf("the record previewed with is named %q", l.Record)
		}
		if got := l.Values[app.ParamField("to")]; got.Value != "ana@bistro.example" || got.Problem != "" {
			t.Errorf("to with Ana = %+v", got)
		}
		if got := l.Values[app.ParamField("template")]; got.Value != "Subject: Welcome to Kitchen Pantry, Ana" {
			t.Errorf("the mail with Ana = %+v", got)
		}
		if got := live("call", ana).Values[app.PanelTitle]; got.Value != "Call Ana at Bistro Ana" || got.Problem != "" {
			t.Errorf("the task title with Ana = %+v", got)
		}
		if got := live("hot", ana).Values[app.PanelCondition]; got.Value != "true: the run goes on to Call the lead" {
			t.Errorf("the condition with Ana = %+v", got)
		}

		// Bo has no company: the fields reading it say so, in words.
		if got := live("call", bo).Values[app.PanelTitle]; got.Problem != "lead.company is empty for Bo Berg" {
			t.Errorf("the task title with Bo = %+v; want lead.company named as empty", got)
		}
		if got := live("hot", bo).Values[app.PanelCondition]; got.Value != "false: the run goes on to the end" {
			t.Errorf("the condition with Bo = %+v", got)
		}
		// A task's answer and a step's output are known only to the run.
		if got := live("call", ana).Values[app.PanelDescription]; !strings.Contains(got.Later, `"Call the lead" is answered`) {
			t.Errorf("the description reading the task's answer = %+v", got)
		}
		if got := live("note", ana).Values[app.ParamField("value")]; got.Later != "known when the run has done Send welcome" {
			t.Errorf("a value reading an earlier step's output = %+v", got)
		}
		// The engine's budgets hold: a condition that would loop six million times is stopped, in words.
		heavy := step("hot")
		heavy.SetConfig(&workflow.ConditionConfig{Condition: "count(1..2500, count(1..2500, # > 0) > 5) == 2500", TrueSteps: []string{"call"}, FalseSteps: []string{}})
		hl, err := a.StepLiveValues(ctx, manager, def, heavy, "lead:"+ana["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if got := hl.Values[app.PanelCondition]; got.Value != "" || !strings.Contains(got.Problem, "more than 1,000,000 items, the limit for one evaluation") {
			t.Errorf("an expression past the budget previews as %+v; want it stopped by the budget", got)
		}
		// The trigger's filter, with each.
		tl, err := a.TriggerLiveValues(ctx, manager, def, "lead:"+bo["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if got := tl.Values[app.PanelFilter]; got.Value != "false: the event would not start a run" {
			t.Errorf("the filter with Bo = %+v", got)
		}
		// A record deleted since it was picked is said, not an error.
		if err := a.DeleteRecord(ctx, manager, crm.Lead, bo["id"].(string)); err != nil {
			t.Fatal(err)
		}
		if gone := live("call", bo); gone.Gone == "" || len(gone.Values) != 0 && gone.Values[app.PanelTitle].Value != "" {
			t.Errorf("a deleted lead previews as %+v", gone)
		}
		if after := mails(); after != before {
			t.Errorf("working out live values queued %d mails", after-before)
		}
	})
}

// A delay written in words says, live, when it would end if it began now, in the company's working hours:
// "2 business days" from Friday 15:00 in Berlin over a Monday holiday ends on Wednesday 15:00; a phrase that
// does not read says why.
func TestLiveValuesOfADelayInWords(t *testing.T) {
	t.Parallel()
	storetest.EachUseCase(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := useCases(t, db)
		loc, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		a.Clock = clock.NewFake(time.Date(2026, 12, 4, 15, 0, 0, 0, loc))
		admin := &app.Actor{ID: 1, Email: "admin@example.com", Role: auth.RoleAdmin}
		if _, err := a.PutCompanyCalendar(ctx, admin, app.CalendarView{TimeZone: "Europe/Berlin", Days: []int{1, 2, 3, 4, 5},
			Start: "09:00", End: "17:00", Holidays: []string{"2026-12-07 Company day"}}); err != nil {
			t.Fatal(err)
		}
		def := definition(t, "live_delay")
		wait := workflow.Step{ID: "wait", Name: "Wait", Type: workflow.StepDelay, NextSteps: []string{}}
		for _, c := range []struct {
			cfg   map[string]any
			field string
			want  app.LiveValue
		}{
			{map[string]any{"duration": "2 business days"}, app.PanelDurationWords, app.LiveValue{Value: "Wed 9 Dec 15:00 CET, if it began now"}},
			{map[string]any{"until": "next business day"}, app.PanelUntil, app.LiveValue{Value: "Tue 8 Dec 09:00 CET, if it began now"}},
			{map[string]any{"until": "next business day soon"}, app.PanelUntil, app.LiveValue{Problem: `"next business day soon": the time after "next business day" is not a time of day: write it like next business day 9:00`}},
		} {
			wait.Configuration = c.cfg
			l, err := a.StepLiveValues(ctx, manager, def, wait, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Values[c.field]; got != c.want {
				t.Errorf("%v: %s = %+v, want %+v", c.cfg, c.field, got, c.want)
			}
		}
	})
}

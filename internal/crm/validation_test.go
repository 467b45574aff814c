package crm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestValidation(t *testing.T) {
	t.Parallel()
	jane := map[string]any{"firstName": "Jane", "lastName": "Doe"}
	with := func(base map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	deal := map[string]any{"name": "Kitchen refit"}
	todo := map[string]any{"title": "Call back"}
	p := func(path, msg string) crm.Problem { return crm.Problem{Path: path, Message: msg} }
	tests := []struct {
		name   string
		entity crm.Entity
		update bool // update the fixture record of entity instead of creating one
		data   map[string]any
		want   []crm.Problem
	}{
		{"lead without names", crm.Lead, false, map[string]any{"email": "jane@acme.example"},
			[]crm.Problem{p("firstName", "the first name is required"), p("lastName", "the last name is required")}},
		{"blank names count as missing", crm.Lead, false, map[string]any{"firstName": "  ", "lastName": nil},
			[]crm.Problem{p("firstName", "the first name is required"), p("lastName", "the last name is required")}},
		{"email format", crm.Lead, false, with(jane, "email", "jane@"),
			[]crm.Problem{p("email", `"jane@" is not an email address`)}},
		{"email without a domain dot", crm.Contact, false, with(jane, "email", "jane@localhost"),
			[]crm.Problem{p("email", `"jane@localhost" is not an email address`)}},
		{"email that is not text", crm.Lead, false, with(jane, "email", 42.0),
			[]crm.Problem{p("email", "the email address must be text, not a number")}},
		{"lead status", crm.Lead, false, with(jane, "status", "hot"),
			[]crm.Problem{p("status", `"hot" is not a lead status; use new, contacted, qualified, unqualified or converted`)}},
		{"lead status cannot be emptied", crm.Lead, true, map[string]any{"status": nil},
			[]crm.Problem{p("status", "choose a lead status: new, contacted, qualified, unqualified or converted")}},
		{"score out of range", crm.Lead, false, with(jane, "score", 150.0),
			[]crm.Problem{p("score", "the score must be a whole number from 0 to 100, not 150")}},
		{"score not whole", crm.Lead, false, with(jane, "score", 2.5),
			[]crm.Problem{p("score", "the score must be a whole number from 0 to 100, not 2.5")}},
		{"score not a number", crm.Lead, false, with(jane, "score", "high"),
			[]crm.Problem{p("score", `the score must be a whole number from 0 to 100, not "high"`)}},
		{"last interaction not a date", crm.Lead, false, with(jane, "lastInteraction", "last week"),
			[]crm.Problem{p("lastInteraction", `"last week" is not a date: use a date like 2026-12-01, a time like 2026-12-01T15:00:00Z or a relative date like +2 days`)}},
		{"notes too long", crm.Lead, false, with(jane, "notes", strings.Repeat("n", 10001)),
			[]crm.Problem{p("notes", "the notes may have at most 10000 characters; this has 10001")}},
		{"text that is not text", crm.Lead, false, with(jane, "source", true),
			[]crm.Problem{p("source", "the source must be text, not true/false")}},
		{"company that does not exist", crm.Lead, false, with(jane, "companyId", "no-such-company"),
			[]crm.Problem{p("companyId", `there is no company with id "no-such-company"`)}},
		{"company given as an object", crm.Lead, false, with(jane, "companyId", map[string]any{"name": "Acme"}),
			[]crm.Problem{p("companyId", "the company must be given by its id (text), not an object")}},
		{"assignedTo not a user", crm.Lead, false, with(jane, "assignedTo", "bob@example.com"),
			[]crm.Problem{p("assignedTo", `"bob@example.com" is not a Pantryflow user; give the email of someone who signs in to Pantryflow`)}},
		{"assignedTo disabled", crm.Lead, false, with(jane, "assignedTo", "gone@example.com"),
			[]crm.Problem{p("assignedTo", "gone@example.com can no longer sign in (the account is disabled); choose someone else")}},
		{"assignedTo not text", crm.Lead, false, with(jane, "assignedTo", 7.0),
			[]crm.Problem{p("assignedTo", "the owner must be given by their email (text), not a number")}},
		{"assignedTo not an email", crm.Lead, false, with(jane, "assignedTo", "bob"),
			[]crm.Problem{p("assignedTo", `"bob" is not an email address; give the email of a Pantryflow user`)}},
		{"unknown field", crm.Lead, false, with(jane, "nickname", "JD"),
			[]crm.Problem{p("nickname", `a lead has no field "nickname"; its fields are firstName, lastName, email, phone, title, companyId, status, source, score, lastInteraction, notes, assignedTo`)}},
		{"id is not input", crm.Lead, false, with(jane, "id", "mine"),
			[]crm.Problem{p("id", "id is set by Pantryflow and cannot be changed")}},
		{"expanded company is not input", crm.Lead, true, map[string]any{"company": map[string]any{"name": "Acme"}},
			[]crm.Problem{p("company", "company is shown expanded; set companyId to change it")}},
		{"every problem at once, in field order", crm.Lead, false,
			map[string]any{"firstName": "Jane", "email": "nope", "status": "hot", "score": -1.0, "assignedTo": "bob@example.com", "zzz": 1.0},
			[]crm.Problem{
				p("lastName", "the last name is required"),
				p("email", `"nope" is not an email address`),
				p("status", `"hot" is not a lead status; use new, contacted, qualified, unqualified or converted`),
				p("score", "the score must be a whole number from 0 to 100, not -1"),
				p("assignedTo", `"bob@example.com" is not a Pantryflow user; give the email of someone who signs in to Pantryflow`),
				p("zzz", `a lead has no field "zzz"; its fields are firstName, lastName, email, phone, title, companyId, status, source, score, lastInteraction, notes, assignedTo`),
			}},
		{"update may not empty a required name", crm.Lead, true, map[string]any{"firstName": ""},
			[]crm.Problem{p("firstName", "the first name is required")}},

		{"company name", crm.Company, false, map[string]any{"website": "acme.example"},
			[]crm.Problem{p("name", "the company name is required")}},

		{"contact names", crm.Contact, false, map[string]any{"firstName": "Jane"},
			[]crm.Problem{p("lastName", "the last name is required")}},

		{"opportunity name", crm.Opportunity, false, map[string]any{"amount": 10.0},
			[]crm.Problem{p("name", "the opportunity name is required")}},
		{"negative amount", crm.Opportunity, false, with(deal, "amount", -5.0),
			[]crm.Problem{p("amount", "the amount cannot be negative")}},
		{"amount with fractions of cents", crm.Opportunity, false, with(deal, "amount", 10.005),
			[]crm.Problem{p("amount", "the amount may have at most two decimal places")}},
		{"amount that is not a number", crm.Opportunity, false, with(deal, "amount", "lots"),
			[]crm.Problem{p("amount", `the amount must be a number, not "lots"`)}},
		{"amount too large", crm.Opportunity, false, with(deal, "amount", 1e12),
			[]crm.Problem{p("amount", "the amount must be less than 1,000,000,000,000")}},
		{"stage", crm.Opportunity, false, with(deal, "stage", "closed"),
			[]crm.Problem{p("stage", `"closed" is not a stage; use prospecting, qualification, proposal, negotiation, won or lost`)}},
		{"currency", crm.Opportunity, false, with(deal, "currency", "dollars"),
			[]crm.Problem{p("currency", `"dollars" is not a currency code; use a three-letter code such as USD or EUR`)}},
		{"close date", crm.Opportunity, false, with(deal, "closeDate", "soon"),
			[]crm.Problem{p("closeDate", `"soon" is not a date: use a date like 2026-12-01, a time like 2026-12-01T15:00:00Z or a relative date like +2 days`)}},
		{"contact and lead that do not exist", crm.Opportunity, false, with(deal, "contactId", "nobody", "leadId", "nolead"),
			[]crm.Problem{p("contactId", `there is no contact with id "nobody"`), p("leadId", `there is no lead with id "nolead"`)}},

		{"task title", crm.Task, false, map[string]any{"priority": "high"},
			[]crm.Problem{p("title", "the task title is required")}},
		{"task priority", crm.Task, false, with(todo, "priority", "urgent"),
			[]crm.Problem{p("priority", `"urgent" is not a priority; use low, medium or high`)}},
		{"task related type without id", crm.Task, false, with(todo, "relatedType", "lead"),
			[]crm.Problem{p("relatedId", "give both relatedType and relatedId (the kind of record the task is about and its id), or neither")}},
		{"task related record that does not exist", crm.Task, false, with(todo, "relatedType", "lead", "relatedId", "nolead"),
			[]crm.Problem{p("relatedId", `there is no lead with id "nolead"`)}},
		{"task related type", crm.Task, false, with(todo, "relatedType", "deal", "relatedId", "x"),
			[]crm.Problem{p("relatedType", `"deal" is not a kind of related record; use lead, contact, company or opportunity`)}},
		{"task completedAt is not input", crm.Task, true, map[string]any{"completedAt": "2026-11-26"},
			[]crm.Problem{p("completedAt", "completedAt is set by Pantryflow and cannot be changed")}},
	}
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		company := b.create(t, crm.Company, map[string]any{"name": "Acme Diner"})
		fixtures := map[crm.Entity]crm.Record{
			crm.Company:     company,
			crm.Lead:        b.create(t, crm.Lead, with(jane, "companyId", company["id"])),
			crm.Contact:     b.create(t, crm.Contact, jane),
			crm.Opportunity: b.create(t, crm.Opportunity, deal),
			crm.Task:        b.create(t, crm.Task, todo),
		}
		tables := []string{"companies", "contacts", "leads", "opportunities", "crm_tasks", "events"}
		counts := func() []int64 {
			var out []int64
			for _, table := range tables {
				out = append(out, b.count(t, table))
			}
			return out
		}
		before := counts()
		for _, tt := range tests {
			var err error
			if tt.update {
				id := fixtures[tt.entity]["id"].(string)
				_, err = b.svc.Update(ctx, "rep@example.com", tt.entity, id, tt.data)
				if again, gerr := b.svc.Get(ctx, tt.entity, id); gerr != nil || mustJSON(t, again) != mustJSON(t, fixtures[tt.entity]) {
					t.Errorf("%s: the record changed to %v (%v)", tt.name, again, gerr)
				}
			} else {
				_, err = b.svc.Create(ctx, "rep@example.com", tt.entity, tt.data)
			}
			var verr *crm.ValidationError
			if !errors.As(err, &verr) {
				t.Errorf("%s: error = %v, want a *crm.ValidationError", tt.name, err)
				continue
			}
			if verr.Entity != tt.entity || !slices.Equal(verr.Problems, tt.want) {
				t.Errorf("%s: problems of %s =\n  %q\nwant\n  %q", tt.name, verr.Entity, verr.Problems, tt.want)
			}
		}
		if after := counts(); !slices.Equal(after, before) {
			t.Fatalf("rows in %v went from %v to %v: a failed validation wrote something", tables, before, after)
		}
	})
}

func TestValidationAcceptsWhatPeopleType(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		rec := b.create(t, crm.Lead, map[string]any{
			"firstName": "  Jane ", "lastName": "Doe", "email": "Jane <JANE@Acme.Example>", "status": "Qualified",
			"score": "42", "lastInteraction": "2026-11-25 14:30", "assignedTo": "REP@example.com", "companyId": "",
		})
		want := map[string]any{"firstName": "Jane", "email": "jane@acme.example", "status": "qualified", "score": 42.0,
			"lastInteraction": "2026-11-25T14:30:00Z", "assignedTo": "rep@example.com", "companyId": nil, "company": nil}
		got := jsonOf(t, rec).(map[string]any)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v", k, got[k], v)
			}
		}
		opp := b.create(t, crm.Opportunity, map[string]any{"name": "Refit", "amount": "1200.50", "currency": "eur",
			"closeDate": "+30 days"})
		if opp["amount"] != 1200.5 || opp["currency"] != "EUR" || opp["closeDate"] != "2026-12-26" || opp["stage"] != "prospecting" {
			t.Errorf("opportunity = %v, want amount 1200.5 EUR, close date 2026-12-26, stage prospecting", opp)
		}
	})
}

func TestRecordStoreErrorsAreStepErrors(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if got := b.svc.Entities(); !slices.Equal(got, []string{"lead", "contact", "company", "opportunity", "task"}) {
			t.Fatalf("Entities() = %v", got)
		}
		lead := b.create(t, crm.Lead, map[string]any{"firstName": "Jane", "lastName": "Doe"})
		tests := []struct {
			name, entity, id string
			data             map[string]any
			wantErr          string
			notFound         bool
		}{
			{"good create", "lead", "", map[string]any{"firstName": "A", "lastName": "B"}, "", false},
			{"good update", "lead", lead["id"].(string), map[string]any{"status": "contacted"}, "", false},
			{"bad field", "lead", "", map[string]any{"firstName": "A", "lastName": "B", "email": "x"},
				`the lead data is not valid: email: "x" is not an email address`, false},
			{"missing record", "lead", "gone", map[string]any{"status": "contacted"}, `there is no lead with id "gone"`, true},
			{"unknown entity", "deal", "", map[string]any{}, `the deal data is not valid: entity: "deal" is not a kind of CRM record; use lead, contact, company, opportunity or task`, false},
		}
		for _, tt := range tests {
			err := b.svc.Check(ctx, tt.entity, tt.id, tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("%s: Check = %v, want nil", tt.name, err)
				}
				continue
			}
			if err == nil || err.Error() != tt.wantErr || !workflow.IsPermanent(err) || errors.Is(err, store.ErrNotFound) != tt.notFound {
				t.Errorf("%s: Check = %v (permanent %t, not found %t), want permanent %q", tt.name, err,
					workflow.IsPermanent(err), errors.Is(err, store.ErrNotFound), tt.wantErr)
			}
		}
		if n := b.count(t, "events"); n != 1 {
			t.Fatalf("Check wrote events: %d, want the 1 of the fixture", n)
		}
	})
}

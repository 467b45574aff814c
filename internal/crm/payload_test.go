package crm_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/crm"
)

func TestPayloadsExpandOneLevel(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		company := b.create(t, crm.Company, map[string]any{"name": "Acme Diner", "city": "Lyon", "assignedTo": "manager@example.com"})
		contact := b.create(t, crm.Contact, map[string]any{"firstName": "Sam", "lastName": "Lee", "email": "sam@acme.example",
			"companyId": company["id"]})
		lead := b.create(t, crm.Lead, map[string]any{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example",
			"companyId": company["id"], "assignedTo": "rep@example.com", "score": 10.0, "lastInteraction": "2026-11-25T08:00:00Z"})
		opp := b.create(t, crm.Opportunity, map[string]any{"name": "Refit", "companyId": company["id"], "contactId": contact["id"],
			"leadId": lead["id"], "amount": 12500.5, "closeDate": "2026-12-31", "assignedTo": "rep@example.com"})
		bare := b.create(t, crm.Lead, map[string]any{"firstName": "Al", "lastName": "Bo", "assignedTo": nil})

		nestedCompany := map[string]any{"id": company["id"], "name": "Acme Diner", "website": "", "industry": "", "phone": "",
			"city": "Lyon", "country": "", "createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z"}
		tests := []struct {
			name string
			rec  crm.Record
			want map[string]any
		}{
			{"lead", lead, map[string]any{
				"id": lead["id"], "firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example", "phone": "", "title": "",
				"companyId": company["id"], "company": nestedCompany, "status": "new", "source": "", "score": 10.0,
				"lastInteraction": "2026-11-25T08:00:00Z", "notes": "", "assignedTo": "rep@example.com",
				"createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z",
			}},
			{"opportunity", opp, map[string]any{
				"id": opp["id"], "name": "Refit", "companyId": company["id"], "company": nestedCompany,
				"contactId": contact["id"], "contact": map[string]any{"id": contact["id"], "firstName": "Sam", "lastName": "Lee",
					"email": "sam@acme.example", "phone": "", "title": "", "companyId": company["id"],
					"createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z"},
				"leadId": lead["id"], "lead": map[string]any{"id": lead["id"], "firstName": "Jane", "lastName": "Doe",
					"email": "jane@acme.example", "phone": "", "title": "", "companyId": company["id"], "status": "new", "source": "",
					"score": 10.0, "lastInteraction": "2026-11-25T08:00:00Z", "notes": "",
					"createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z"},
				"stage": "prospecting", "amount": 12500.5, "currency": "USD", "closeDate": "2026-12-31", "assignedTo": "rep@example.com",
				"createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z",
			}},
			{"company", company, map[string]any{"id": company["id"], "name": "Acme Diner", "website": "", "industry": "", "phone": "",
				"city": "Lyon", "country": "", "assignedTo": "manager@example.com",
				"createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z"}},
			{"unassigned lead without company", bare, map[string]any{
				"id": bare["id"], "firstName": "Al", "lastName": "Bo", "email": "", "phone": "", "title": "", "companyId": nil,
				"company": nil, "status": "new", "source": "", "score": 0.0, "lastInteraction": nil, "notes": "", "assignedTo": nil,
				"createdAt": "2026-11-26T09:00:00Z", "updatedAt": "2026-11-26T09:00:00Z",
			}},
		}
		events := b.events(t)
		for _, tt := range tests {
			if got, want := mustJSON(t, tt.rec), mustJSON(t, tt.want); got != want {
				t.Errorf("%s payload\n  %s\nwant\n  %s", tt.name, got, want)
			}
			// The event carries the same payload, and a read gives the same record.
			i := slices.IndexFunc(events, func(e event) bool { return e.EntityID == tt.rec["id"] })
			if i < 0 || mustJSON(t, events[i].Payload) != mustJSON(t, tt.want) {
				t.Errorf("%s: created event payload differs from the record", tt.name)
			}
			read, err := b.svc.Get(ctx, crm.Entity(events[i].Entity), tt.rec["id"].(string))
			if err != nil || mustJSON(t, read) != mustJSON(t, tt.want) {
				t.Errorf("%s: Get = %s, %v; want the created record", tt.name, mustJSON(t, read), err)
			}
			// Workflows check the fields they read against the schema: it names exactly the payload's keys,
			// and those of each expanded record.
			schema, ok := crm.Schema(crm.Entity(events[i].Entity))
			if !ok || !sameKeys(schema.Fields, tt.want) {
				t.Errorf("%s: schema fields %v, payload keys %v", tt.name, schema.Fields, slices.Sorted(maps.Keys(tt.want)))
			}
			for key, nested := range schema.Nested {
				if sub, isMap := tt.want[key].(map[string]any); isMap && !sameKeys(nested, sub) {
					t.Errorf("%s.%s: schema fields %v, payload keys %v", tt.name, key, nested, slices.Sorted(maps.Keys(sub)))
				}
			}
		}
	})
}

func sameKeys(names []string, m map[string]any) bool {
	return slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(maps.Keys(m)))
}

func TestDefaultOwnerIsTheCreator(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		tests := []struct {
			name, by string
			data     map[string]any
			want     any
		}{
			{"a rep's lead is theirs", "rep@example.com", map[string]any{}, "rep@example.com"},
			{"given owner wins", "rep@example.com", map[string]any{"assignedTo": "manager@example.com"}, "manager@example.com"},
			{"null leaves it unassigned", "rep@example.com", map[string]any{"assignedTo": nil}, nil},
			{"a workflow owns nothing", "workflow lead_nurture_sequence", map[string]any{}, nil},
			{"a disabled user owns nothing", "gone@example.com", map[string]any{}, nil},
		}
		for _, tt := range tests {
			data := map[string]any{"firstName": "Jane", "lastName": "Doe"}
			for k, v := range tt.data {
				data[k] = v
			}
			rec, err := b.svc.Create(ctx, tt.by, crm.Lead, data)
			if err != nil || rec["assignedTo"] != tt.want {
				t.Errorf("%s: assignedTo = %v (%v), want %v", tt.name, rec["assignedTo"], err, tt.want)
			}
		}
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		acme := b.create(t, crm.Company, map[string]any{"name": "Acme Diner"})
		other := b.create(t, crm.Company, map[string]any{"name": "Bistro 100%"})
		people := []map[string]any{
			{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example", "companyId": acme["id"], "status": "qualified", "assignedTo": "rep@example.com"},
			{"firstName": "John", "lastName": "Smith", "email": "john@bistro.example", "companyId": other["id"], "status": "new", "assignedTo": "manager@example.com"},
			{"firstName": "Ann", "lastName": "Doe_x", "email": "ann@acme.example", "companyId": acme["id"], "status": "qualified", "assignedTo": nil},
			{"firstName": "Zed", "lastName": "Doex", "email": "zed@zed.example", "status": "contacted", "assignedTo": "rep@example.com"},
		}
		for _, p := range people {
			b.create(t, crm.Lead, p)
		}
		names := func(recs []crm.Record) []string {
			var out []string
			for _, r := range recs {
				out = append(out, r["firstName"].(string))
			}
			return out
		}
		tests := []struct {
			name      string
			f         crm.Filter
			want      []string
			wantTotal int64
		}{
			{"all, newest first", crm.Filter{}, []string{"Zed", "Ann", "John", "Jane"}, 4},
			{"status", crm.Filter{Fields: map[string]string{"status": "qualified"}}, []string{"Ann", "Jane"}, 2},
			{"status in capitals", crm.Filter{Fields: map[string]string{"status": "Qualified"}}, []string{"Ann", "Jane"}, 2},
			{"owner", crm.Filter{Fields: map[string]string{"assignedTo": "rep@example.com"}}, []string{"Zed", "Jane"}, 2},
			{"unassigned", crm.Filter{Fields: map[string]string{"assignedTo": "none"}}, []string{"Ann"}, 1},
			{"owner and status", crm.Filter{Fields: map[string]string{"assignedTo": "rep@example.com", "status": "qualified"}}, []string{"Jane"}, 1},
			{"company", crm.Filter{Fields: map[string]string{"companyId": acme["id"].(string)}}, []string{"Ann", "Jane"}, 2},
			{"search a full name", crm.Filter{Q: "jane DOE"}, []string{"Jane"}, 1},
			{"search an email", crm.Filter{Q: "bistro.example"}, []string{"John"}, 1},
			{"search takes _ literally", crm.Filter{Q: "doe_"}, []string{"Ann"}, 1},
			{"search a last name", crm.Filter{Q: "doe"}, []string{"Zed", "Ann", "Jane"}, 3},
			{"empty filter value is no filter", crm.Filter{Fields: map[string]string{"status": ""}}, []string{"Zed", "Ann", "John", "Jane"}, 4},
			{"a page", crm.Filter{Limit: 2, Offset: 1}, []string{"Ann", "John"}, 4},
			{"past the end", crm.Filter{Offset: 10}, nil, 4},
		}
		for _, tt := range tests {
			recs, total, err := b.svc.List(ctx, crm.Lead, tt.f)
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			if got := names(recs); !slices.Equal(got, tt.want) || total != tt.wantTotal {
				t.Errorf("%s: %v (total %d), want %v (total %d)", tt.name, got, total, tt.want, tt.wantTotal)
			}
		}
		companies, _, err := b.svc.List(ctx, crm.Company, crm.Filter{Q: "100%"})
		if err != nil || len(companies) != 1 || companies[0]["name"] != "Bistro 100%" {
			t.Fatalf("companies matching 100%% = %v, %v", companies, err)
		}

		bad := []struct {
			entity crm.Entity
			f      crm.Filter
			want   []crm.Problem
		}{
			{crm.Lead, crm.Filter{Fields: map[string]string{"stage": "won"}}, []crm.Problem{{Path: "stage",
				Message: "leads cannot be filtered by stage; filter by companyId, status, assignedTo, or search with q"}}},
			{crm.Lead, crm.Filter{Fields: map[string]string{"status": "hot", "assignedTo": "bob@example.com"}}, []crm.Problem{
				{Path: "assignedTo", Message: `"bob@example.com" is not a Pantryflow user; use a user's email, or none for unassigned leads`},
				{Path: "status", Message: `"hot" is not a lead status; use new, contacted, qualified, unqualified or converted`}}},
			{crm.Opportunity, crm.Filter{Fields: map[string]string{"status": "won"}}, []crm.Problem{{Path: "status",
				Message: "opportunities cannot be filtered by status; filter by companyId, contactId, leadId, stage, assignedTo, or search with q"}}},
		}
		for _, tt := range bad {
			_, _, err := b.svc.List(ctx, tt.entity, tt.f)
			verr, ok := err.(*crm.ValidationError)
			if !ok || !verr.Filter || !slices.Equal(verr.Problems, tt.want) {
				t.Errorf("List %s %v = %v, want filter problems %v", tt.entity, tt.f, err, tt.want)
			}
		}
	})
}

// TestListQueriesDoNotGrowWithThePage: expanding a page loads the records and users it points at with one
// query each, however many rows the page has (no N+1).
func TestListQueriesDoNotGrowWithThePage(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		var queries atomic.Int64
		if err := b.db.OnQuery("count_queries", func() { queries.Add(1) }); err != nil {
			t.Fatal(err)
		}
		listed := func() int64 {
			t.Helper()
			queries.Store(0)
			recs, _, err := b.svc.List(ctx, crm.Opportunity, crm.Filter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r["company"] == nil || r["contact"] == nil || r["assignedTo"] == nil {
					t.Fatalf("an opportunity was not expanded: %v", r)
				}
			}
			return queries.Load()
		}
		add := func(n int) {
			for i := range n {
				c := b.create(t, crm.Company, map[string]any{"name": fmt.Sprintf("Company %d", i)})
				p := b.create(t, crm.Contact, map[string]any{"firstName": "P", "lastName": fmt.Sprint(i), "companyId": c["id"]})
				owner := "rep@example.com"
				if i%2 == 1 {
					owner = "manager@example.com"
				}
				b.create(t, crm.Opportunity, map[string]any{"name": fmt.Sprint(i), "companyId": c["id"], "contactId": p["id"], "assignedTo": owner})
			}
		}
		add(1)
		one := listed()
		add(30)
		many := listed()
		if one != many || one > 5 {
			t.Fatalf("listing 1 opportunity took %d queries, 31 took %d; want the same few (count, page, companies, contacts, users)", one, many)
		}
	})
}

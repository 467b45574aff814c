package crm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// TestOwnedByFindsOnlyTheOwnersRecords checks the CRM as a rep sees it: their records are read, listed,
// checked and changed; another's and unassigned ones are not found, whatever the filter; a record shown
// inside one of theirs is still expanded.
func TestOwnedByFindsOnlyTheOwnersRecords(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		theirs := b.create(t, crm.Company, map[string]any{"name": "Manager's Mill", "assignedTo": "manager@example.com"})
		mine := b.create(t, crm.Lead, map[string]any{"firstName": "Ann", "lastName": "Able", "companyId": theirs["id"]})
		other := b.create(t, crm.Lead, map[string]any{"firstName": "Ben", "lastName": "Baker", "assignedTo": "manager@example.com"})
		nobody := b.create(t, crm.Lead, map[string]any{"firstName": "Cy", "lastName": "Cook", "assignedTo": nil})
		todo := b.create(t, crm.Task, map[string]any{"title": "Call Ben", "assignedTo": "manager@example.com"})
		rep := b.svc.OwnedBy(b.users["rep@example.com"])

		got, err := rep.Get(ctx, crm.Lead, mine["id"].(string))
		if err != nil {
			t.Fatalf("the rep reading their lead: %v", err)
		}
		if c, _ := got["company"].(map[string]any); c["name"] != "Manager's Mill" {
			t.Errorf("the rep's lead shows its company as %v", got["company"])
		}
		for _, c := range []struct {
			e  crm.Entity
			id any
		}{{crm.Lead, other["id"]}, {crm.Lead, nobody["id"]}, {crm.Company, theirs["id"]}, {crm.Task, todo["id"]}} {
			id := c.id.(string)
			var nf *crm.NotFoundError
			if _, err := rep.Get(ctx, c.e, id); !errors.As(err, &nf) {
				t.Errorf("the rep reading %s %s: %v, want not found", c.e, id, err)
			}
			if _, err := rep.Update(ctx, "rep@example.com", c.e, id, map[string]any{"assignedTo": "rep@example.com"}); !errors.As(err, &nf) {
				t.Errorf("the rep taking %s %s: %v, want not found", c.e, id, err)
			}
			if err := rep.Check(ctx, string(c.e), id, map[string]any{}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the rep checking a change of %s %s: %v, want not found", c.e, id, err)
			}
		}
		for _, f := range []crm.Filter{{}, {Fields: map[string]string{"assignedTo": "manager@example.com"}},
			{Fields: map[string]string{"assignedTo": "none"}}, {Q: "ben"}, {Q: "a"}} {
			recs, total, err := rep.List(ctx, crm.Lead, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r["id"] != mine["id"] {
					t.Errorf("the rep's list %+v holds %v", f, r["firstName"])
				}
			}
			if total != int64(len(recs)) {
				t.Errorf("the rep's list %+v counts %d for %d records", f, total, len(recs))
			}
		}
		if recs, total, err := b.svc.List(ctx, crm.Lead, crm.Filter{}); err != nil || total != 3 || len(recs) != 3 {
			t.Errorf("the whole CRM lists %d of %d leads (%v), want all 3", len(recs), total, err)
		}
		if _, err := rep.Update(ctx, "rep@example.com", crm.Lead, mine["id"].(string), map[string]any{"score": 10}); err != nil {
			t.Errorf("the rep changing their own lead: %v", err)
		}
	})
}

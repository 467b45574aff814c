package crm

import (
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func (sp *spec[M]) summaries(o *op, ids []string) (map[string]Record, error) {
	rows, err := store.CRMByID[M](o.ctx, o.rows, ids)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", sp.plural, err)
	}
	out := make(map[string]Record, len(rows))
	for _, m := range rows {
		out[*sp.id(m)] = sp.flat(m)
	}
	return out, nil
}

// flat is a record's own fields, references as ids and no users: how another record's payload shows it.
func (sp *spec[M]) flat(m *M) Record {
	rec := Record{fieldID: *sp.id(m)}
	for i := range sp.fields {
		if f := &sp.fields[i]; f.kind != kindUser {
			rec[f.name] = f.output(f.get(m))
		}
	}
	created, updated := sp.stamps(m)
	rec[fieldCreatedAt] = created.UTC().Format(time.RFC3339)
	rec[fieldUpdatedAt] = updated.UTC().Format(time.RFC3339)
	return rec
}

func (sp *spec[M]) record(o *op, m *M) (Record, error) {
	recs, err := sp.records(o, []*M{m})
	if err != nil {
		return nil, err
	}
	return recs[0], nil
}

// records are the payloads of rows: each reference expanded one level (lead.company = the company) and
// each user shown as their email. The records and users they point at are loaded with one query per entity
// and one for users, however many rows there are.
func (sp *spec[M]) records(o *op, rows []*M) ([]Record, error) {
	refs := map[Entity][]string{}
	var userIDs []int64
	for _, m := range rows {
		for i := range sp.fields {
			f := &sp.fields[i]
			switch v := f.get(m).(type) {
			case string:
				if f.kind == kindRef && f.expand != "" {
					refs[sp.target(m, f)] = append(refs[sp.target(m, f)], v)
				}
			case int64:
				userIDs = append(userIDs, v)
			}
		}
	}
	nested := map[Entity]map[string]Record{}
	for to, ids := range refs {
		k := kindOf(to)
		if k == nil {
			continue
		}
		recs, err := k.summaries(o, uniq(ids))
		if err != nil {
			return nil, err
		}
		nested[to] = recs
	}
	emails, err := userEmails(o, userIDs)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(rows))
	for _, m := range rows {
		rec := sp.flat(m)
		for i := range sp.fields {
			f := &sp.fields[i]
			v := f.get(m)
			switch {
			case f.kind == kindUser:
				rec[f.name] = nil
				if id, ok := v.(int64); ok {
					if e, ok := emails[id]; ok {
						rec[f.name] = e
					}
				}
			case f.kind == kindRef && f.expand != "":
				var sub any
				if id, ok := v.(string); ok {
					if r, ok := nested[sp.target(m, f)][id]; ok {
						sub = r
					}
				}
				rec[f.expand] = sub
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

func userEmails(o *op, ids []int64) (map[int64]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return o.users.EmailsByID(o.ctx, uniq(ids))
}

func uniq[T comparable](list []T) []T {
	seen := make(map[T]bool, len(list))
	out := list[:0:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Schema is the shape of an entity's records as workflows see them, the payload of its events: every field
// with id, createdAt and updatedAt, and for each reference expanded one level (lead.company) the fields of
// the record it holds (its own fields, as flat shows them). A reference to several kinds of record (a task's related record) has no fixed shape
// below it.
func Schema(e Entity) (workflow.RecordSchema, bool) {
	k := kindOf(e)
	if k == nil {
		return workflow.RecordSchema{}, false
	}
	return k.info().schema(), true
}

func (in *entityInfo) schema() workflow.RecordSchema {
	rs := workflow.RecordSchema{Fields: []string{fieldID}, Nested: map[string][]string{}}
	for _, f := range in.fields {
		rs.Fields = append(rs.Fields, f.name)
		if f.kind == kindRef && f.expand != "" {
			rs.Fields = append(rs.Fields, f.expand)
			if to := kindOf(f.ref); to != nil {
				var nested []string
				nested = append(nested, fieldID)
				for _, g := range to.info().fields {
					if g.kind != kindUser { // as flat shows it
						nested = append(nested, g.name)
					}
				}
				rs.Nested[f.expand] = append(nested, fieldCreatedAt, fieldUpdatedAt)
			}
		}
	}
	rs.Fields = append(rs.Fields, fieldCreatedAt, fieldUpdatedAt)
	return rs
}

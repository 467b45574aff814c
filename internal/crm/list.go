package crm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Filter narrows a list. Fields maps a field's name to the value it must have: a status or stage, a
// reference's id (companyId), or for assignedTo a user's email or "none" for unassigned records. Q looks for
// text in names and email addresses.
type Filter struct {
	Fields        map[string]string
	Q             string
	Limit, Offset int
}

// List defaults: 50 records, at most 1000.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

func (sp *spec[M]) list(o *op, f Filter) ([]Record, int64, error) {
	conds, err := sp.conditions(o, f)
	if err != nil {
		return nil, 0, err
	}
	q := store.CRMQuery{Conds: conds, Order: sp.order}
	if text := strings.TrimSpace(f.Q); text != "" {
		q.Text, q.In = text, sp.search
	}
	total, err := store.CountCRM[M](o.ctx, o.rows, q)
	if err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", sp.plural, err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	q.Limit, q.Offset = min(limit, MaxLimit), max(f.Offset, 0)
	rows, err := store.ListCRM[M](o.ctx, o.rows, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", sp.plural, err)
	}
	recs, err := sp.records(o, rows)
	if err != nil {
		return nil, 0, err
	}
	return recs, total, nil
}

// conditions turns a filter's fields into conditions, reporting every filter that is wrong at once (the
// text search is the list's).
func (sp *spec[M]) conditions(o *op, f Filter) ([]store.CRMCond, error) {
	var ps problems
	var conds []store.CRMCond
	names := make([]string, 0, len(f.Fields))
	for name := range f.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		value := strings.TrimSpace(f.Fields[name])
		if value == "" {
			continue // ?status= with nothing: no filter
		}
		fd := sp.field(name)
		if fd == nil || !filterable(fd.kind) {
			ps.add(0, name, fmt.Sprintf("%s cannot be filtered by %s; filter by %s, or search with q", sp.plural, name, strings.Join(sp.filters(), ", ")))
			continue
		}
		switch {
		case fd.kind == kindEnum:
			v, msg := fd.parse(value, o.now)
			if msg != "" {
				ps.add(0, name, msg)
				continue
			}
			conds = append(conds, store.CRMCond{Column: fd.column, Value: v})
		case fd.kind == kindUser && strings.EqualFold(value, "none"):
			conds = append(conds, store.CRMCond{Column: fd.column, Null: true})
		case fd.kind == kindUser:
			users, err := usersByEmail(o, map[string]bool{strings.ToLower(value): true})
			if err != nil {
				return nil, err
			}
			u, ok := users[strings.ToLower(value)]
			if !ok {
				ps.add(0, name, fmt.Sprintf("%q is not a Pantryflow user; use a user's email, or none for unassigned %s", value, sp.plural))
				continue
			}
			conds = append(conds, store.CRMCond{Column: fd.column, Value: u.ID})
		default:
			conds = append(conds, store.CRMCond{Column: fd.column, Value: value})
		}
	}
	if c, ok := sp.ownerCondition(o); ok {
		conds = append(conds, c)
	}
	if len(ps.items) > 0 {
		verr := ps.validation(sp.entity)
		verr.Filter = true
		return nil, verr
	}
	return conds, nil
}

// filters lists the names a list of the entity can be filtered by.
func (sp *spec[M]) filters() []string {
	var out []string
	for i := range sp.fields {
		if filterable(sp.fields[i].kind) {
			out = append(out, sp.fields[i].name)
		}
	}
	return out
}

func filterable(k kind) bool { return k == kindEnum || k == kindRef || k == kindUser }

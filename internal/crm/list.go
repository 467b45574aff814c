package crm

import (
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
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

// condition is one WHERE clause of a list.
type condition struct {
	sql  string
	args []any
}

func (sp *spec[M]) list(o *op, f Filter) ([]Record, int64, error) {
	conds, err := sp.conditions(o, f)
	if err != nil {
		return nil, 0, err
	}
	query := func() *gorm.DB {
		q := o.db.WithContext(o.ctx).Model(new(M))
		for _, c := range conds {
			q = q.Where(c.sql, c.args...)
		}
		return q
	}
	var total int64
	if err := query().Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", sp.plural, err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var rows []*M
	if err := query().Order(sp.order).Limit(limit).Offset(max(f.Offset, 0)).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", sp.plural, err)
	}
	recs, err := sp.records(o, rows)
	if err != nil {
		return nil, 0, err
	}
	return recs, total, nil
}

// conditions turns a filter into WHERE clauses, reporting every filter that is wrong at once.
func (sp *spec[M]) conditions(o *op, f Filter) ([]condition, error) {
	var ps problems
	var conds []condition
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
			conds = append(conds, condition{fd.column + " = ?", []any{v}})
		case fd.kind == kindUser && strings.EqualFold(value, "none"):
			conds = append(conds, condition{fd.column + " IS NULL", nil})
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
			conds = append(conds, condition{fd.column + " = ?", []any{u.ID}})
		default:
			conds = append(conds, condition{fd.column + " = ?", []any{value}})
		}
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		pattern := "%" + escapeLike(strings.ToLower(q)) + "%"
		parts := make([]string, len(sp.search))
		args := make([]any, len(sp.search))
		for i, expr := range sp.search {
			parts[i] = "LOWER(" + expr + `) LIKE ? ESCAPE '\'`
			args[i] = pattern
		}
		conds = append(conds, condition{"(" + strings.Join(parts, " OR ") + ")", args})
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

// escapeLike makes text match itself in LIKE.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

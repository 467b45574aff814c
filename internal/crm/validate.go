package crm

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// problems collects what is wrong with some data, each at its field's place in the entity's order.
type problems struct {
	items []orderedProblem
}

type orderedProblem struct {
	order int
	Problem
}

func (ps *problems) add(order int, path, msg string) {
	ps.items = append(ps.items, orderedProblem{order, Problem{Path: path, Message: msg}})
}

func (ps *problems) err(e Entity) error {
	if len(ps.items) == 0 {
		return nil
	}
	return ps.validation(e)
}

func (ps *problems) validation(e Entity) *ValidationError {
	sort.SliceStable(ps.items, func(i, j int) bool { return ps.items[i].order < ps.items[j].order })
	out := make([]Problem, len(ps.items))
	for i, p := range ps.items {
		out[i] = p.Problem
	}
	return &ValidationError{Entity: e, Problems: out}
}

// prepare checks data for a create (old == nil) or an update of old, reporting every problem at once, and
// returns the record as it would be saved and the indexes of the fields that change.
func (sp *spec[M]) prepare(o *op, data map[string]any, old *M) (*M, []int, error) {
	var ps problems
	values := map[int]any{}
	for i := range sp.fields {
		f := &sp.fields[i]
		raw, given := data[f.name]
		switch {
		case given && f.readOnly:
			ps.add(i, f.name, f.name+" is set by Pantryflow and cannot be changed")
		case given:
			v, msg := f.parse(raw, o.now)
			if msg != "" {
				ps.add(i, f.name, msg)
				continue
			}
			values[i] = v
		case old == nil && f.required:
			ps.add(i, f.name, "the "+f.label+" is required")
		}
	}
	sp.unknownFields(&ps, data)
	if err := sp.resolveUsers(o, data, values, old == nil, &ps); err != nil {
		return nil, nil, err
	}

	m := new(M)
	if old != nil {
		*m = *old
	} else {
		for i := range sp.fields {
			if f := &sp.fields[i]; f.def != nil {
				f.set(m, f.def)
			}
		}
	}
	for i, v := range values {
		sp.fields[i].set(m, v)
	}
	var changed []int
	for i := range sp.fields {
		if _, ok := values[i]; ok && (old == nil || !same(sp.fields[i].get(old), sp.fields[i].get(m))) {
			changed = append(changed, i)
		}
	}
	if err := sp.checkRefs(o, m, old, changed, &ps); err != nil {
		return nil, nil, err
	}
	if sp.rules != nil {
		failed := map[string]bool{}
		for _, p := range ps.items {
			failed[p.Path] = true
		}
		for _, p := range sp.rules(m, failed) {
			ps.add(len(sp.fields), p.Path, p.Message)
		}
	}
	if err := ps.err(sp.entity); err != nil {
		return nil, nil, err
	}
	return m, changed, nil
}

// unknownFields reports input names that are not fields, with a hint for those that are shown but not set.
func (sp *spec[M]) unknownFields(ps *problems, data map[string]any) {
	var names []string
	for k := range data {
		if sp.field(k) == nil {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case k == fieldID || k == fieldCreatedAt || k == fieldUpdatedAt:
			ps.add(len(sp.fields), k, k+" is set by Pantryflow and cannot be changed")
		case sp.expandedBy(k) != "":
			ps.add(len(sp.fields), k, fmt.Sprintf("%s is shown expanded; set %s to change it", k, sp.expandedBy(k)))
		default:
			var known []string
			for i := range sp.fields {
				if !sp.fields[i].readOnly {
					known = append(known, sp.fields[i].name)
				}
			}
			ps.add(len(sp.fields), k, fmt.Sprintf("a %s has no field %q; its fields are %s", sp.entity, k, strings.Join(known, ", ")))
		}
	}
}

// expandedBy is the reference field whose expansion is shown under name, or "".
func (sp *spec[M]) expandedBy(name string) string {
	for i := range sp.fields {
		if sp.fields[i].expand == name {
			return sp.fields[i].name
		}
	}
	return ""
}

// resolveUsers turns the emails given for user fields into user ids, in one query. On create, a user field
// that is not given is the acting user, when the actor is one: the records people create are theirs.
func (sp *spec[M]) resolveUsers(o *op, data map[string]any, values map[int]any, creating bool, ps *problems) error {
	emails := map[string]bool{}
	defaults := []int{}
	for i := range sp.fields {
		f := &sp.fields[i]
		if f.kind != kindUser {
			continue
		}
		if e, ok := values[i].(string); ok {
			emails[e] = true
		} else if _, given := data[f.name]; creating && !given && strings.Contains(o.by, "@") {
			defaults = append(defaults, i)
			emails[strings.ToLower(o.by)] = true
		}
	}
	if len(emails) == 0 {
		return nil
	}
	users, err := usersByEmail(o, emails)
	if err != nil {
		return err
	}
	for i := range sp.fields {
		f := &sp.fields[i]
		e, ok := values[i].(string)
		if f.kind != kindUser || !ok {
			continue
		}
		u, found := users[e]
		switch {
		case !found:
			ps.add(i, f.name, fmt.Sprintf("%q is not a Pantryflow user; give the email of someone who signs in to Pantryflow", e))
		case u.DisabledAt != nil:
			ps.add(i, f.name, fmt.Sprintf("%s can no longer sign in (the account is disabled); choose someone else", e))
		default:
			values[i] = u.ID
		}
	}
	for _, i := range defaults {
		if u, ok := users[strings.ToLower(o.by)]; ok && u.DisabledAt == nil {
			values[i] = u.ID
		}
	}
	return nil
}

func usersByEmail(o *op, emails map[string]bool) (map[string]store.User, error) {
	list := make([]string, 0, len(emails))
	for e := range emails {
		list = append(list, e)
	}
	rows, err := o.users.ByEmails(o.ctx, list)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.User, len(rows))
	for _, u := range rows {
		out[u.Email] = u
	}
	return out, nil
}

// checkRefs checks that the records the changed references point at exist, one query per entity.
func (sp *spec[M]) checkRefs(o *op, m, old *M, changed []int, ps *problems) error {
	want := map[Entity][]string{}
	type ref struct {
		i  int
		to Entity
		id string
	}
	var refs []ref
	for i := range sp.fields {
		f := &sp.fields[i]
		if f.kind != kindRef {
			continue
		}
		id, ok := f.get(m).(string)
		if !ok {
			continue
		}
		moved := slices.Contains(changed, i)
		if f.refFrom != "" {
			moved = moved || slices.Contains(changed, slices.IndexFunc(sp.fields, func(g field[M]) bool { return g.name == f.refFrom }))
		}
		to := sp.target(m, f)
		if old != nil && !moved || kindOf(to) == nil {
			continue // unchanged (it may point at a deleted record, which is allowed to stay), or no such entity
		}
		refs = append(refs, ref{i, to, id})
		want[to] = append(want[to], id)
	}
	found := map[Entity]map[string]Record{}
	for to, ids := range want {
		recs, err := kindOf(to).summaries(o, ids)
		if err != nil {
			return err
		}
		found[to] = recs
	}
	for _, r := range refs {
		if _, ok := found[r.to][r.id]; !ok {
			ps.add(r.i, sp.fields[r.i].name, fmt.Sprintf("there is no %s with id %q", r.to, r.id))
		}
	}
	return nil
}

package expression

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
)

// ValueTemplate is a decoded JSON value in which every string is a Template.
// It is safe for concurrent use.
type ValueTemplate struct {
	root     valueNode
	names    []string
	stepRefs []string
	// secretRefs maps the path of each string that reads secrets to the secrets it reads.
	secretRefs map[string][]string
	// fields maps the path of each string to the dotted paths below variables it reads (Program.Fields).
	fields  map[string][]string
	limits  *Limits
	guarded bool // some template needs the meter
}

// valueNode mirrors one JSON value: a template (for strings), an object, a
// list, or a literal (numbers, booleans, nil and anything else).
type valueNode struct {
	path     string
	template *Template
	object   map[string]*valueNode
	list     []*valueNode
	isObject bool
	isList   bool
	literal  any
}

// ParseValue walks a decoded JSON value (map[string]any, []any, string,
// float64, bool, nil) and compiles every string in it as a template. Errors
// carry a path like "data.firstName" or "headers[2]"; when there are any, the
// returned ValueTemplate is nil.
func (e *Engine) ParseValue(v any, names []string) (*ValueTemplate, []PathError) {
	w := &valueWalk{e: e, names: names, secretRefs: map[string][]string{}, fields: map[string][]string{}}
	root := w.parse(v, "")
	if len(w.errs) > 0 {
		return nil, w.errs
	}
	return &ValueTemplate{
		root:       *root,
		names:      mergeSorted(w.nameLists...),
		stepRefs:   mergeSorted(w.stepLists...),
		secretRefs: w.secretRefs,
		fields:     w.fields,
		limits:     &e.limits,
		guarded:    w.guarded,
	}, nil
}

// valueWalk compiles the strings of a value and gathers what they read.
type valueWalk struct {
	e                    *Engine
	names                []string
	errs                 []PathError
	nameLists, stepLists [][]string
	secretRefs           map[string][]string
	fields               map[string][]string
	guarded              bool
}

func (w *valueWalk) parse(v any, path string) *valueNode {
	n := &valueNode{path: path}
	switch x := v.(type) {
	case string:
		t, err := w.e.parseTemplate(x, w.names)
		if err != nil {
			w.errs = append(w.errs, PathError{Path: path, Err: err})
			return n
		}
		if t.IsLiteral() {
			n.literal = x
			return n
		}
		n.template = t
		w.guarded = w.guarded || t.guarded
		w.nameLists = append(w.nameLists, t.names)
		w.stepLists = append(w.stepLists, t.stepRefs)
		if len(t.secretRefs) > 0 {
			w.secretRefs[path] = t.secretRefs
		}
		if len(t.fields) > 0 {
			w.fields[path] = t.fields
		}
	case map[string]any:
		n.isObject = true
		n.object = make(map[string]*valueNode, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic error order
		for _, k := range keys {
			n.object[k] = w.parse(x[k], joinKey(path, k))
		}
	case []any:
		n.isList = true
		n.list = make([]*valueNode, len(x))
		for i, item := range x {
			n.list[i] = w.parse(item, path+"["+strconv.Itoa(i)+"]")
		}
	default:
		n.literal = v
	}
	return n
}

// joinKey appends an object key to a path: data.firstName, or
// data["first name"] when the key is not a plain identifier.
func joinKey(path, key string) string {
	if !isPlainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	for i, r := range key {
		if !isIdentRune(r) || (i == 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Render returns a value of the same shape with every template rendered. Every template of the value
// shares one budget (Limits), so a value of many templates cannot make more than one evaluation may; ctx
// stops it early.
func (vt *ValueTemplate) Render(ctx context.Context, vars map[string]any) (any, error) {
	m := newMeter(ctx, vt.limits)
	return vt.root.render(m, meterEnv(vars, m, vt.guarded))
}

func (n *valueNode) render(m *meter, vars map[string]any) (any, error) {
	switch {
	case n.template != nil:
		v, err := n.template.render(m, vars)
		if err != nil {
			if n.path == "" {
				return nil, err
			}
			return nil, fmt.Errorf("%s: %w", n.path, err)
		}
		return v, nil
	case n.isObject:
		out := make(map[string]any, len(n.object))
		for k, child := range n.object {
			v, err := child.render(m, vars)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case n.isList:
		out := make([]any, len(n.list))
		for i, child := range n.list {
			v, err := child.render(m, vars)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return n.literal, nil
}

// Names returns the sorted distinct declared variables read anywhere in the
// value.
func (vt *ValueTemplate) Names() []string { return append([]string(nil), vt.names...) }

// StepRefs returns the sorted distinct step ids read anywhere in the value.
func (vt *ValueTemplate) StepRefs() []string { return append([]string(nil), vt.stepRefs...) }

// SecretRefs maps the path of each string of the value that reads secrets ("headers.Authorization") to
// the secrets it reads.
func (vt *ValueTemplate) SecretRefs() map[string][]string { return maps.Clone(vt.secretRefs) }

// Fields maps the path of each string of the value to the dotted paths below variables it reads.
func (vt *ValueTemplate) Fields() map[string][]string { return maps.Clone(vt.fields) }

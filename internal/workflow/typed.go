package workflow

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Rest is what a typed configuration keeps besides its fields, so that encoding it gives back the JSON object
// it was decoded from: the keys it does not know (Extra) and how its known keys were written (which were there,
// and the value as written of each one whose value does not fit its field, such as a number where text goes).
// Nothing a definition carries is lost on the way through the typed form.
type Rest struct {
	// Extra holds the keys the type does not know, with their values as written.
	Extra map[string]any `json:"-"`
	set   map[string]bool
	raw   map[string]any
	null  bool // the object was absent or null, and is written so while nothing is in it
}

// Has reports whether the object had the known key (with any value, null included).
func (r *Rest) Has(key string) bool { return r.set[key] }

// Misfit returns the value as written of a known key whose value does not fit its field (the field then holds
// what could be read of it: the text items of a list, or its zero value).
func (r *Rest) Misfit(key string) (any, bool) {
	v, ok := r.raw[key]
	return v, ok
}

// Unset forgets a known key: encoding leaves it out while its field is zero.
func (r *Rest) Unset(key string) {
	delete(r.set, key)
	delete(r.raw, key)
}

// Unknown lists the keys the type does not know, sorted.
func (r *Rest) Unknown() []string {
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r *Rest) typedRest() *Rest { return r }

// object is a typed JSON object: a struct with json-tagged fields and an embedded Rest.
type object interface {
	typedRest() *Rest
	Has(key string) bool
	Misfit(key string) (any, bool)
	Unset(key string)
	Unknown() []string
}

var (
	restType         = reflect.TypeFor[Rest]()
	actionParamsType = reflect.TypeFor[ActionParams]()
	objectType       = reflect.TypeFor[object]()
)

// objectField is one known key of a typed object.
type objectField struct {
	key   string
	index int
	typ   reflect.Type
}

var fieldCache sync.Map // reflect.Type → []objectField

func objectFields(t reflect.Type) []objectField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]objectField)
	}
	var out []objectField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type == restType {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		out = append(out, objectField{key: name, index: i, typ: f.Type})
	}
	fieldCache.Store(t, out)
	return out
}

// Keys are the known keys of a typed object, in the order of its fields.
func keysOf(o object) []string {
	fields := objectFields(reflect.TypeOf(o).Elem())
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}

// decodeObject reads m into the typed object o (a pointer to a struct). A value of the wrong JSON type leaves
// its field with what could be read and is kept as written; unknown keys go to Extra.
func decodeObject(m map[string]any, o object) {
	v := reflect.ValueOf(o).Elem()
	r := o.typedRest()
	*r = Rest{null: m == nil}
	fields := objectFields(v.Type())
	for _, f := range fields {
		raw, ok := m[f.key]
		if !ok {
			continue
		}
		if r.set == nil {
			r.set = map[string]bool{}
		}
		r.set[f.key] = true
		if f.typ == actionParamsType {
			continue // ActionConfig reads its parameters itself, once it knows the action
		}
		val, clean := fromJSON(raw, f.typ)
		v.Field(f.index).Set(val)
		if !clean {
			r.misfit(f.key, raw)
		}
	}
	for k, raw := range m {
		if !slices.ContainsFunc(fields, func(f objectField) bool { return f.key == k }) {
			if r.Extra == nil {
				r.Extra = map[string]any{}
			}
			r.Extra[k] = raw
		}
	}
}

func (r *Rest) misfit(key string, raw any) {
	if r.raw == nil {
		r.raw = map[string]any{}
	}
	r.raw[key] = raw
}

// encodeObject writes a typed object back as the JSON object it stands for: Extra, every known key it had
// and every field that is not zero. A misfit value the field has not been changed from is written as it was.
func encodeObject(o object) map[string]any {
	v := reflect.ValueOf(o).Elem()
	r := o.typedRest()
	out := make(map[string]any, len(r.Extra)+4)
	for k, x := range r.Extra {
		out[k] = x
	}
	for _, f := range objectFields(v.Type()) {
		cur := v.Field(f.index)
		if raw, bad := r.raw[f.key]; bad && f.typ != actionParamsType {
			if best, _ := fromJSON(raw, f.typ); reflect.DeepEqual(best.Interface(), cur.Interface()) {
				out[f.key] = raw
				continue
			}
		}
		if r.set[f.key] || !cur.IsZero() {
			out[f.key] = toJSON(cur)
		}
	}
	if r.null && len(out) == 0 {
		return nil
	}
	return out
}

// fromJSON reads a decoded JSON value into a value of type t; clean is false when the value does not fit.
func fromJSON(raw any, t reflect.Type) (reflect.Value, bool) {
	zero := reflect.Zero(t)
	switch {
	case t.Kind() == reflect.Interface:
		if raw == nil {
			return zero, true
		}
		return reflect.ValueOf(raw), true
	case t.Kind() == reflect.String:
		s, ok := raw.(string)
		return reflect.ValueOf(s).Convert(t), ok
	case t.Kind() == reflect.Bool:
		b, ok := raw.(bool)
		return reflect.ValueOf(b), ok
	case t.Kind() == reflect.Float64:
		switch n := raw.(type) {
		case float64:
			return reflect.ValueOf(n), true
		case int: // a configuration built in Go rather than decoded
			return reflect.ValueOf(float64(n)), true
		}
		return zero, false
	case t.Kind() == reflect.Map:
		if raw == nil {
			return zero, true
		}
		m, ok := raw.(map[string]any)
		if !ok {
			return zero, false
		}
		return reflect.ValueOf(m), true
	case t.Kind() == reflect.Slice:
		if raw == nil {
			return zero, true
		}
		// []any as decoded, or a typed list ([]string) of a configuration built in Go.
		items := reflect.ValueOf(raw)
		if items.Kind() != reflect.Slice {
			return zero, false
		}
		out := reflect.MakeSlice(t, 0, items.Len())
		clean := true
		for i := range items.Len() {
			it := items.Index(i).Interface()
			var elem reflect.Value
			var fits bool
			if reflect.PointerTo(t.Elem()).Implements(objectType) {
				m, isMap := it.(map[string]any)
				if fits = isMap; fits {
					p := reflect.New(t.Elem())
					decodeObject(m, p.Interface().(object))
					elem = p.Elem()
				}
			} else {
				elem, fits = fromJSON(it, t.Elem())
			}
			if !fits {
				clean = false
				continue
			}
			out = reflect.Append(out, elem)
		}
		return out, clean
	}
	return zero, false
}

// toJSON is a field's value as a decoded JSON value would hold it.
func toJSON(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if p, ok := v.Interface().(ActionParams); ok {
			return encodeObject(p)
		}
		return v.Interface()
	case reflect.String:
		return v.String()
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		return v.Interface()
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			e := v.Index(i)
			if o, ok := e.Addr().Interface().(object); ok {
				out[i] = encodeObject(o)
			} else {
				out[i] = toJSON(e)
			}
		}
		return out
	}
	return v.Interface()
}

// ConfigValue is the value of a typed object's known key as its JSON holds it (nil when the key is not
// written): a *FormField's options, a *CallAPIParams' headers.
func ConfigValue(o object, key string) any { return encodeObject(o)[key] }

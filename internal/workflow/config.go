package workflow

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// config reads typed values out of a trigger's free-form configuration object, recording a problem for each
// mistake.
type config struct {
	m        map[string]any
	path     string
	stepID   string
	problems *problemList
}

func (c config) p(key string) string { return c.path + "." + key }

func (c config) requiredString(key, what string) string {
	raw, ok := c.m[key]
	if !ok || raw == nil {
		c.problems.add(c.p(key), c.stepID, "%s is missing: %s", key, what)
		return ""
	}
	s, ok := raw.(string)
	if !ok {
		c.problems.add(c.p(key), c.stepID, "%s must be text, not %s", key, jsonKind(raw))
		return ""
	}
	if strings.TrimSpace(s) == "" {
		c.problems.add(c.p(key), c.stepID, "%s is empty: %s", key, what)
	}
	return s
}

func (c config) optionalString(key string) string {
	raw, ok := c.m[key]
	if !ok || raw == nil {
		return ""
	}
	s, ok := raw.(string)
	if !ok {
		c.problems.add(c.p(key), c.stepID, "%s must be text, not %s", key, jsonKind(raw))
	}
	return s
}

// only reports configuration keys outside the allowed ones (typos such as "trueStep").
func (c config) only(allowed ...string) {
	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				c.problems.add(c.p(k), c.stepID, "unknown setting %q: this takes no settings", k)
			} else {
				c.problems.add(c.p(k), c.stepID, "unknown setting %q; the settings here are %s", k, strings.Join(allowed, ", "))
			}
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "text"
	case float64:
		return "a number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// fields reads the known keys of a typed configuration, recording a problem for each mistake: a missing or
// empty required text, a value of the wrong JSON type (kept in the typed form as written), an unknown key.
type fields struct {
	r        *Rest
	path     string
	stepID   string
	problems *problemList
}

func (f fields) p(key string) string { return f.path + "." + key }

func (f fields) requiredString(key, v, what string) string {
	raw, bad := f.r.Misfit(key)
	switch {
	case !f.r.Has(key) || (bad && raw == nil):
		f.problems.add(f.p(key), f.stepID, "%s is missing: %s", key, what)
		return ""
	case bad:
		f.problems.add(f.p(key), f.stepID, "%s must be text, not %s", key, jsonKind(raw))
		return ""
	case strings.TrimSpace(v) == "":
		f.problems.add(f.p(key), f.stepID, "%s is empty: %s", key, what)
	}
	return v
}

func (f fields) optionalString(key, v string) string {
	if raw, bad := f.r.Misfit(key); bad && raw != nil {
		f.problems.add(f.p(key), f.stepID, "%s must be text, not %s", key, jsonKind(raw))
	}
	return v
}

// stepList checks a list of step ids.
func (f fields) stepList(key string, v []string) []string {
	return f.stringList(key, "step ids", "a step id", v)
}

// stringList checks a list of strings; what names the items ("step ids") and one ("a step id") in messages.
// v holds the text items of the list.
func (f fields) stringList(key, what, one string, v []string) []string {
	raw, bad := f.r.Misfit(key)
	if !bad {
		return v
	}
	items, ok := raw.([]any)
	if !ok {
		f.problems.add(f.p(key), f.stepID, "%s must be a list of %s, not %s", key, what, jsonKind(raw))
		return nil
	}
	for i, it := range items {
		if _, ok := it.(string); !ok {
			f.problems.add(fmt.Sprintf("%s[%d]", f.p(key), i), f.stepID, "%s must be text, not %s", one, jsonKind(it))
		}
	}
	return v
}

// number checks a non-negative number; ok is false when absent.
func (f fields) number(key string, v float64) (float64, bool) {
	if !f.r.Has(key) {
		return 0, false
	}
	if raw, bad := f.r.Misfit(key); bad {
		if raw != nil {
			f.problems.add(f.p(key), f.stepID, "%s must be a number, not %s", key, jsonKind(raw))
		}
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		f.problems.add(f.p(key), f.stepID, "%s must be a number, not %s", key, jsonKind(v))
		return 0, false
	}
	return v, true
}

// only reports the keys the configuration does not know (typos such as "trueStep").
func (f fields) only(o object) {
	allowed := keysOf(o)
	for _, k := range f.r.Unknown() {
		if len(allowed) == 0 {
			f.problems.add(f.p(k), f.stepID, "unknown setting %q: this takes no settings", k)
		} else {
			f.problems.add(f.p(k), f.stepID, "unknown setting %q; the settings here are %s", k, strings.Join(allowed, ", "))
		}
	}
}

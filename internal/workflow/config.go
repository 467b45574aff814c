package workflow

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// config reads typed values out of a free-form configuration object, recording a problem for each mistake.
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

// stepList reads a list of step ids.
func (c config) stepList(key string) []string { return c.stringList(key, "step ids", "a step id") }

// stringList reads a list of strings; what names the items ("step ids") and one ("a step id") in messages.
func (c config) stringList(key, what, one string) []string {
	raw, ok := c.m[key]
	if !ok || raw == nil {
		return nil
	}
	items, ok := raw.([]any)
	if !ok {
		c.problems.add(c.p(key), c.stepID, "%s must be a list of %s, not %s", key, what, jsonKind(raw))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			c.problems.add(fmt.Sprintf("%s[%d]", c.p(key), i), c.stepID, "%s must be text, not %s", one, jsonKind(it))
			continue
		}
		out = append(out, s)
	}
	return out
}

// number reads a non-negative number; ok is false when absent.
func (c config) number(key string) (float64, bool) {
	raw, ok := c.m[key]
	if !ok || raw == nil {
		return 0, false
	}
	f, isNum := raw.(float64)
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		c.problems.add(c.p(key), c.stepID, "%s must be a number, not %s", key, jsonKind(raw))
		return 0, false
	}
	return f, true
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

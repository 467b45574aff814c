package expression

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// helperNames lists the functions Pantryflow adds to expr. now, date and
// duration replace expr's builtins of the same name so that the injected
// clock is the only source of time.
var helperNames = [...]string{"now", "duration", "date", "daysAgo", "hoursAgo", "daysSince", "daysUntil", "pick"}

// dateLayouts are the text forms date() and ParseDate accept, tried in order.
// Layouts without a zone are read as UTC.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
}

const emptyDateMessage = "date(): the value is empty"

func (e *Engine) now() (time.Time, error) {
	if e.clock == nil {
		return time.Time{}, errors.New("now(): no clock is configured")
	}
	return e.clock.Now().UTC(), nil
}

func (e *Engine) helperOptions() []expr.Option {
	return []expr.Option{
		expr.Function("now", func(...any) (any, error) {
			return e.now()
		}, new(func() time.Time)),

		expr.Function("duration", func(args ...any) (any, error) {
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("duration(): expected text like \"72h\", got %s", describe(args[0]))
			}
			d, err := parseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("duration(): %w", err)
			}
			return d, nil
		}, new(func(string) time.Duration)),

		expr.Function("date", func(args ...any) (any, error) {
			return toDate(args[0])
		}, new(func(any) time.Time)),

		expr.Function("daysAgo", func(args ...any) (any, error) {
			return e.ago("daysAgo", args[0], 24*time.Hour)
		}, new(func(float64) time.Time)),

		expr.Function("hoursAgo", func(args ...any) (any, error) {
			return e.ago("hoursAgo", args[0], time.Hour)
		}, new(func(float64) time.Time)),

		expr.Function("daysSince", func(args ...any) (any, error) {
			return e.daysBetween("daysSince", args[0], false)
		}, new(func(any) float64)),

		expr.Function("daysUntil", func(args ...any) (any, error) {
			return e.daysBetween("daysUntil", args[0], true)
		}, new(func(any) float64)),

		expr.Function("pick", func(args ...any) (any, error) {
			return pick(args[0], args[1])
		}, new(func(any, any) any)),
	}
}

// pick chooses one item of a list by a key, the same item for the same key and an even spread over many
// keys: pick(reps, lead.id) shares new leads out among reps.
func pick(list, key any) (any, error) {
	items, ok := list.([]any)
	if !ok {
		if strs, isStrings := list.([]string); isStrings {
			for _, s := range strs {
				items = append(items, s)
			}
		} else {
			return nil, fmt.Errorf("pick(): expected a list first, got %s", describe(list))
		}
	}
	if len(items) == 0 {
		return nil, errors.New("pick(): the list is empty")
	}
	h := fnv.New32a()
	_, _ = fmt.Fprint(h, key)
	return items[int(h.Sum32()%uint32(len(items)))], nil
}

func (e *Engine) ago(name string, v any, unit time.Duration) (time.Time, error) {
	n, ok := toFloat(v)
	if !ok {
		return time.Time{}, fmt.Errorf("%s(): expected a number, got %s", name, describe(v))
	}
	span := n * float64(unit)
	if math.IsNaN(span) || span > math.MaxInt64 || span < math.MinInt64 {
		return time.Time{}, fmt.Errorf("%s(): %v is out of range", name, v)
	}
	now, err := e.now()
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(-time.Duration(span)), nil
}

func (e *Engine) daysBetween(name string, v any, future bool) (float64, error) {
	t, err := toDate(v)
	if err != nil {
		return 0, fmt.Errorf("%s(): %w", name, err)
	}
	now, err := e.now()
	if err != nil {
		return 0, err
	}
	d := now.Sub(t)
	if future {
		d = t.Sub(now)
	}
	return d.Hours() / 24, nil
}

// toDate converts the argument of date(): a time, a date string or a number
// of unix milliseconds.
func toDate(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, errors.New(emptyDateMessage)
	case time.Time:
		return x, nil
	case *time.Time:
		if x == nil {
			return time.Time{}, errors.New(emptyDateMessage)
		}
		return *x, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return time.Time{}, errors.New(emptyDateMessage)
		}
		if t, ok := parseDateText(s); ok {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("date(): %q is not a date; use a date like 2026-12-01, 2026-12-01 15:04 or 2026-12-01T15:04:05Z", x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return time.Time{}, fmt.Errorf("date(): %q is not a number of milliseconds", x.String())
		}
		return fromUnixMillis(f)
	}
	if f, ok := toFloat(v); ok {
		return fromUnixMillis(f)
	}
	return time.Time{}, fmt.Errorf("date(): cannot turn %s into a date", describe(v))
}

func parseDateText(s string) (time.Time, bool) {
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// maxUnixMillis keeps unix milliseconds inside what time.Duration-based
// arithmetic can still compare (about ±292 years around 1970).
const maxUnixMillis = float64(math.MaxInt64 / int64(time.Millisecond))

func fromUnixMillis(ms float64) (time.Time, error) {
	if math.IsNaN(ms) || math.IsInf(ms, 0) || ms > maxUnixMillis || ms < -maxUnixMillis {
		return time.Time{}, fmt.Errorf("date(): %v is not a valid number of milliseconds", ms)
	}
	return time.Unix(0, int64(ms*float64(time.Millisecond))).UTC(), nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// describe names the kind of a value in plain language, for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing (nil)"
	case bool:
		return fmt.Sprintf("a true/false value (%t)", x)
	case string:
		return fmt.Sprintf("text (%q)", x)
	case time.Time:
		return "a date (" + x.Format(time.RFC3339) + ")"
	case time.Duration:
		return "a duration (" + x.String() + ")"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if _, ok := toFloat(v); ok {
		return fmt.Sprintf("a number (%v)", v)
	}
	return fmt.Sprintf("a value of type %T", v)
}

package crm

import (
	"fmt"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kitchenpantry/pantryflow/internal/expression"
)

// kind is what a field holds; it decides how input is read, stored and shown.
type kind int

const (
	kindText     kind = iota // text; empty is ""
	kindEmail                // an email address or ""
	kindEnum                 // one of options; NULL only when nullable
	kindCurrency             // a three-letter currency code
	kindInt                  // a whole number between min and max
	kindMoney                // an amount, 0 or more, with at most two decimals
	kindTime                 // a moment, shown as RFC 3339; NULL allowed
	kindDate                 // a day, shown as 2006-01-02; NULL allowed
	kindRef                  // the id of another record, expanded in payloads; NULL allowed
	kindUser                 // a user, given and shown as their email, stored as users.id; NULL allowed
)

// Field names every record has; they are shown but never written from input.
const (
	fieldID        = "id"
	fieldCreatedAt = "createdAt"
	fieldUpdatedAt = "updatedAt"
)

// fieldAssignedTo is the user field of every entity that says whose the record is.
const fieldAssignedTo = "assignedTo"

// maxMoney keeps amounts inside NUMERIC(14, 2).
const maxMoney = 1e12

// fieldInfo describes one field of an entity: what the API and workflows call it, its column, and its rules.
type fieldInfo struct {
	name     string // the JSON name, camelCase
	column   string
	label    string // for messages: "first name"
	kind     kind
	required bool // must be given on create and may not be emptied
	readOnly bool // shown, never written from input
	nullable bool // kindEnum: may be NULL
	options  []string
	min, max int    // kindInt: the range; kindText: max is the longest text
	def      any    // the value on create when not given (canonical form)
	ref      Entity // kindRef: the entity the id points at
	refFrom  string // kindRef: or the name of the field that says which entity it points at
	expand   string // kindRef: the payload key of the expanded record ("company")
}

// option changes a field's description.
type option func(*fieldInfo)

func required() option { return func(f *fieldInfo) { f.required = true } }
func readOnly() option { return func(f *fieldInfo) { f.readOnly = true } }
func email() option    { return func(f *fieldInfo) { f.kind, f.max = kindEmail, 320 } }
func long() option     { return func(f *fieldInfo) { f.max = 10000 } }
func currency() option { return func(f *fieldInfo) { f.kind, f.def = kindCurrency, "USD" } }
func defaults(v any) option {
	return func(f *fieldInfo) { f.def = v }
}
func enum(options ...string) option {
	return func(f *fieldInfo) { f.kind, f.options = kindEnum, options }
}
func date() option { return func(f *fieldInfo) { f.kind = kindDate } }
func refTo(e Entity, expand string) option {
	return func(f *fieldInfo) { f.kind, f.ref, f.expand = kindRef, e, expand }
}

// refBy makes a reference whose entity is the value of another field (a task's relatedType).
func refBy(field, expand string) option {
	return func(f *fieldInfo) { f.kind, f.refFrom, f.expand = kindRef, field, expand }
}

// field is a fieldInfo bound to a model's struct field. get and set work on canonical values: string for
// text, email, currency and non-null enums; int; float64; time.Time or nil; string or nil for references
// and nullable enums; int64 or nil for users.
type field[M any] struct {
	fieldInfo
	get func(*M) any
	set func(*M, any)
}

func newField[M any](name, column, label string, k kind, opts []option) fieldInfo {
	f := fieldInfo{name: name, column: column, label: label, kind: k, max: 500}
	for _, o := range opts {
		o(&f)
	}
	return f
}

// textField is a NOT NULL text column: text, email, enum or currency.
func textField[M any](name, column, label string, p func(*M) *string, opts ...option) field[M] {
	return field[M]{
		fieldInfo: newField[M](name, column, label, kindText, opts),
		get:       func(m *M) any { return *p(m) },
		set:       func(m *M, v any) { *p(m), _ = v.(string) },
	}
}

// optionalField is a nullable text column: a reference or a nullable enum.
func optionalField[M any](name, column, label string, p func(*M) **string, opts ...option) field[M] {
	f := field[M]{
		fieldInfo: newField[M](name, column, label, kindText, opts),
		get: func(m *M) any {
			if *p(m) == nil {
				return nil
			}
			return **p(m)
		},
		set: func(m *M, v any) {
			if s, ok := v.(string); ok {
				*p(m) = &s
			} else {
				*p(m) = nil
			}
		},
	}
	f.nullable = true
	return f
}

func intField[M any](name, column, label string, p func(*M) *int, lo, hi int, opts ...option) field[M] {
	f := field[M]{
		fieldInfo: newField[M](name, column, label, kindInt, opts),
		get:       func(m *M) any { return *p(m) },
		set:       func(m *M, v any) { *p(m), _ = v.(int) },
	}
	f.min, f.max = lo, hi
	return f
}

func moneyField[M any](name, column, label string, p func(*M) *float64, opts ...option) field[M] {
	return field[M]{
		fieldInfo: newField[M](name, column, label, kindMoney, opts),
		get:       func(m *M) any { return *p(m) },
		set:       func(m *M, v any) { *p(m), _ = v.(float64) },
	}
}

// timeField is a nullable moment (or, with date(), a day).
func timeField[M any](name, column, label string, p func(*M) **time.Time, opts ...option) field[M] {
	return field[M]{
		fieldInfo: newField[M](name, column, label, kindTime, opts),
		get: func(m *M) any {
			if *p(m) == nil {
				return nil
			}
			return **p(m)
		},
		set: func(m *M, v any) {
			if t, ok := v.(time.Time); ok {
				*p(m) = &t
			} else {
				*p(m) = nil
			}
		},
	}
}

// userField is a user, given and shown as their email and stored as their id.
func userField[M any](name, column, label string, p func(*M) **int64, opts ...option) field[M] {
	return field[M]{
		fieldInfo: newField[M](name, column, label, kindUser, opts),
		get: func(m *M) any {
			if *p(m) == nil {
				return nil
			}
			return **p(m)
		},
		set: func(m *M, v any) {
			if id, ok := v.(int64); ok {
				*p(m) = &id
			} else {
				*p(m) = nil
			}
		},
	}
}

// parse reads one input value into the field's canonical form, or says what is wrong with it. A user comes
// back as a lower-case email: it becomes an id once looked up. Text is trimmed; "" and null clear a field
// that may be empty.
func (f *fieldInfo) parse(raw any, now time.Time) (any, string) {
	if s, ok := raw.(string); ok {
		raw = strings.TrimSpace(s)
	}
	if raw == nil || raw == "" {
		switch {
		case f.required:
			return nil, "the " + f.label + " is required"
		case f.kind == kindText || f.kind == kindEmail:
			return "", ""
		case f.kind == kindEnum && !f.nullable:
			return nil, "choose a " + f.label + ": " + orList(f.options)
		case f.kind == kindCurrency:
			return nil, "the currency is required: a three-letter code such as USD or EUR"
		case f.kind == kindInt:
			return nil, fmt.Sprintf("the %s must be a whole number from %d to %d", f.label, f.min, f.max)
		case f.kind == kindMoney:
			return nil, "the " + f.label + " must be a number, 0 or more"
		}
		return nil, ""
	}
	switch f.kind {
	case kindText:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Sprintf("the %s must be text, not %s", f.label, jsonKind(raw))
		}
		if n := utf8.RuneCountInString(s); n > f.max {
			return nil, fmt.Sprintf("the %s may have at most %d characters; this has %d", f.label, f.max, n)
		}
		return s, ""
	case kindEmail, kindUser:
		return parseEmail(f, raw)
	case kindEnum:
		s, ok := raw.(string)
		if v := strings.ToLower(s); ok && slices.Contains(f.options, v) {
			return v, ""
		}
		return nil, fmt.Sprintf("%s is not a %s; use %s", quote(raw), f.label, orList(f.options))
	case kindCurrency:
		s, ok := raw.(string)
		if ok && len(s) == 3 && isLetters(s) {
			return strings.ToUpper(s), ""
		}
		return nil, fmt.Sprintf("%s is not a currency code; use a three-letter code such as USD or EUR", quote(raw))
	case kindInt:
		n, ok := number(raw)
		if !ok || n != math.Trunc(n) || n < float64(f.min) || n > float64(f.max) {
			return nil, fmt.Sprintf("the %s must be a whole number from %d to %d, not %s", f.label, f.min, f.max, quote(raw))
		}
		return int(n), ""
	case kindMoney:
		return parseMoney(f, raw)
	case kindTime, kindDate:
		return parseTime(f, raw, now)
	case kindRef:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Sprintf("the %s must be given by its id (text), not %s", f.label, jsonKind(raw))
		}
		return s, ""
	}
	return nil, "this field cannot be set"
}

func parseEmail(f *fieldInfo, raw any) (any, string) {
	s, ok := raw.(string)
	switch {
	case !ok && f.kind == kindUser:
		return nil, fmt.Sprintf("the %s must be given by their email (text), not %s", f.label, jsonKind(raw))
	case !ok:
		return nil, fmt.Sprintf("the %s must be text, not %s", f.label, jsonKind(raw))
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(addr.Address[strings.LastIndex(addr.Address, "@")+1:], ".") {
		if f.kind == kindUser {
			return nil, fmt.Sprintf("%q is not an email address; give the email of a Pantryflow user", s)
		}
		return nil, fmt.Sprintf("%q is not an email address", s)
	}
	if len(addr.Address) > 320 {
		return nil, "the email address is longer than 320 characters"
	}
	return strings.ToLower(addr.Address), ""
}

func parseMoney(f *fieldInfo, raw any) (any, string) {
	n, ok := number(raw)
	switch {
	case !ok:
		return nil, fmt.Sprintf("the %s must be a number, not %s", f.label, quote(raw))
	case n < 0:
		return nil, fmt.Sprintf("the %s cannot be negative", f.label)
	case n >= maxMoney:
		return nil, fmt.Sprintf("the %s must be less than 1,000,000,000,000", f.label)
	case math.Abs(n*100-math.Round(n*100)) > 1e-6:
		return nil, fmt.Sprintf("the %s may have at most two decimal places", f.label)
	}
	return math.Round(n*100) / 100, ""
}

func parseTime(f *fieldInfo, raw any, now time.Time) (any, string) {
	var t time.Time
	switch v := raw.(type) {
	case time.Time:
		t = v.UTC()
	case string:
		var err error
		t, err = expression.ParseDate(v, now)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a date: use a date like 2026-12-01, a time like 2026-12-01T15:00:00Z or a relative date like +2 days", v)
		}
	default:
		return nil, fmt.Sprintf("the %s must be a date, not %s", f.label, jsonKind(raw))
	}
	if f.kind == kindDate {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), ""
	}
	// Stored with microsecond precision (PostgreSQL's), so what a change reports is what a read returns.
	return t.Truncate(time.Microsecond), ""
}

// number reads a JSON number, or text holding one (a form field or a rendered template).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return n, err == nil && !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	return 0, false
}

// output is a canonical value as payloads show it: times as RFC 3339 text, days as 2006-01-02.
func (f *fieldInfo) output(v any) any {
	t, ok := v.(time.Time)
	switch {
	case !ok:
		return v
	case f.kind == kindDate:
		return t.UTC().Format(time.DateOnly)
	}
	return t.UTC().Format(time.RFC3339)
}

// same reports whether two canonical values are equal.
func same(a, b any) bool {
	ta, aok := a.(time.Time)
	tb, bok := b.(time.Time)
	if aok || bok {
		return aok && bok && ta.Equal(tb)
	}
	return a == b
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case float64, int, int64:
		return "a number"
	case bool:
		return "true/false"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if n, ok := v.(float64); ok {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return jsonKind(v)
}

func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

func isLetters(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

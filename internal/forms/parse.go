package forms

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Checked reports whether a checkbox's value means ticked ("on", what browsers send, or true, 1, yes).
func Checked(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// Float reads a number; the message names the field by its label: "Score must be a number, not "ten"".
func Float(label, text string) (float64, string) {
	text = strings.TrimSpace(text)
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Sprintf("%s must be a number, not %q", label, text)
	}
	return f, ""
}

// Int reads a whole number.
func Int(label, text string) (int, string) {
	text = strings.TrimSpace(text)
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, fmt.Sprintf("%s must be a whole number, not %q", label, text)
	}
	return n, ""
}

// JSON reads JSON text. The message says where the text goes wrong, counting characters from 1, and what
// was probably meant when the text is a bare word.
func JSON(label, text string) (any, string) {
	var v any
	err := json.Unmarshal([]byte(text), &v)
	if err == nil {
		return v, ""
	}
	msg := fmt.Sprintf("%s is not valid JSON at position %d", label, jsonErrorPosition(text, err))
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		msg += ": " + strings.TrimPrefix(syntax.Error(), "json: ")
	}
	if r, _ := utf8.DecodeRuneInString(text); unicode.IsLetter(r) {
		msg += `; put text in double quotes, like "` + clip(text, 20) + `"`
	}
	return nil, msg
}

// jsonErrorPosition is the 1-based character where JSON text goes wrong.
func jsonErrorPosition(text string, err error) int {
	offset := len(text)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		offset = int(syntax.Offset)
	}
	offset = min(max(offset, 1), len(text))
	return utf8.RuneCountInString(text[:offset])
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// List reads a list written with commas ("hot, warm, cold"); empty items are dropped.
func List(text string) []string {
	var out []string
	for _, o := range strings.Split(text, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// Rows are the builders' repeated groups of fields, named <prefix>.<i>.<key> ("field.0.name"), with buttons
// that add, remove and move a row (op=add_<what>, remove_<what>:<i>, and the two moves).
type Rows struct {
	Prefix   string // "field", "var"
	What     string // the word of the add and remove buttons
	Up, Down string // the verbs of the moves
	keys     *regexp.Regexp
}

// NewRows describes a builder whose rows are counted by the keys given (a row exists when one of them is
// sent).
func NewRows(prefix, what, up, down string, countedBy ...string) Rows {
	quoted := make([]string, len(countedBy))
	for i, k := range countedBy {
		quoted[i] = regexp.QuoteMeta(k)
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `\.(\d+)\.(?:` + strings.Join(quoted, "|") + `)$`)
	return Rows{Prefix: prefix, What: what, Up: up, Down: down, keys: re}
}

// Name is the field name of a row's key: Name(0, "name") is "field.0.name".
func (r Rows) Name(i int, key string) string { return r.Prefix + "." + strconv.Itoa(i) + "." + key }

// Count is the number of rows the form holds; -1 when it holds none of the builder's fields.
func (r Rows) Count(form url.Values) int {
	n := -1
	for k := range form {
		if m := r.keys.FindStringSubmatch(k); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < 1000 && i+1 > n {
				n = i + 1
			}
		}
	}
	return n
}

// Row reads a field name of the builder: Row("field.3.required") is 3, "required".
func (r Rows) Row(name string) (i int, key string, ok bool) {
	rest, found := strings.CutPrefix(name, r.Prefix+".")
	if !found {
		return 0, "", false
	}
	index, key, found := strings.Cut(rest, ".")
	i, err := strconv.Atoi(index)
	if !found || err != nil || i < 0 || key == "" {
		return 0, "", false
	}
	return i, key, true
}

// AddOp, RemoveOp, UpOp and DownOp are the values of the builder's buttons.
func (r Rows) AddOp() string         { return "add_" + r.What }
func (r Rows) RemoveOp(i int) string { return "remove_" + r.What + ":" + strconv.Itoa(i) }
func (r Rows) UpOp(i int) string     { return r.Up + ":" + strconv.Itoa(i) }
func (r Rows) DownOp(i int) string   { return r.Down + ":" + strconv.Itoa(i) }
func (r Rows) IsOp(op string) bool   { return r.opVerb(op) != "" }
func (r Rows) opVerb(op string) string {
	verb, _, _ := strings.Cut(op, ":")
	if slices.Contains([]string{"add_" + r.What, "remove_" + r.What, r.Up, r.Down}, verb) {
		return verb
	}
	return ""
}

// Apply applies a builder button to the rows; blank makes the added row.
func Apply[T any](r Rows, rows []T, op string, blank func() T) []T {
	verb, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	valid := err == nil && i >= 0 && i < len(rows)
	switch {
	case verb == "add_"+r.What:
		return append(rows, blank())
	case verb == "remove_"+r.What && valid:
		return slices.Delete(rows, i, i+1)
	case verb == r.Up && valid && i > 0:
		rows[i-1], rows[i] = rows[i], rows[i-1]
	case verb == r.Down && valid && i < len(rows)-1:
		rows[i], rows[i+1] = rows[i+1], rows[i]
	}
	return rows
}

package forms

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestReaders(t *testing.T) {
	for _, v := range []string{"on", "true", "1", "yes", " ON "} {
		if !Checked(v) {
			t.Errorf("Checked(%q) = false", v)
		}
	}
	for _, v := range []string{"", "off", "false", "0", "no"} {
		if Checked(v) {
			t.Errorf("Checked(%q) = true", v)
		}
	}
	if f, msg := Float("Score", " 4.5 "); f != 4.5 || msg != "" {
		t.Errorf("Float: %v %q", f, msg)
	}
	for _, bad := range []string{"ten", "NaN", "Inf", ""} {
		if _, msg := Float("Score", bad); !strings.HasPrefix(msg, "Score must be a number, not ") {
			t.Errorf("Float(%q): %q", bad, msg)
		}
	}
	if n, msg := Int("retries", "3"); n != 3 || msg != "" {
		t.Errorf("Int: %v %q", n, msg)
	}
	if _, msg := Int("retries", "2.5"); msg != `retries must be a whole number, not "2.5"` {
		t.Errorf("Int(2.5): %q", msg)
	}
	if v, msg := JSON("data", `{"a": [1, 2]}`); msg != "" || !reflect.DeepEqual(v, map[string]any{"a": []any{1.0, 2.0}}) {
		t.Errorf("JSON: %v %q", v, msg)
	}
	if _, msg := JSON("data", `{"a": }`); !strings.HasPrefix(msg, "data is not valid JSON at position 7: invalid character '}'") {
		t.Errorf("JSON position: %q", msg)
	}
	if _, msg := JSON("the default", "héllo wörld and more text"); !strings.HasSuffix(msg, `put text in double quotes, like "héllo wörld and more…"`) {
		t.Errorf("JSON bare word: %q", msg)
	}
	if got := List(" hot, ,warm ,cold,"); !reflect.DeepEqual(got, []string{"hot", "warm", "cold"}) {
		t.Errorf("List: %q", got)
	}
}

func TestRows(t *testing.T) {
	rows := NewRows("field", "field", "up", "down", "name", "type")
	if rows.Count(url.Values{"op": {"x"}}) != -1 {
		t.Error("a form without the builder has -1 rows")
	}
	form := url.Values{"field.0.name": {"a"}, "field.2.type": {"text"}, "field.1.help": {"h"}, "var.5.name": {"v"}, "field.9999.name": {"x"}}
	if n := rows.Count(form); n != 3 {
		t.Errorf("Count = %d, want 3 (help does not count a row, an index past 999 is ignored)", n)
	}
	if rows.Name(4, "required") != "field.4.required" {
		t.Errorf("Name = %q", rows.Name(4, "required"))
	}
	if i, key, ok := rows.Row("field.12.required"); !ok || i != 12 || key != "required" {
		t.Errorf("Row = %d %q %v", i, key, ok)
	}
	for _, name := range []string{"var.1.name", "field.x.name", "field.1", "field.-1.name", "field.1."} {
		if _, _, ok := rows.Row(name); ok {
			t.Errorf("Row(%q) should not read", name)
		}
	}
	blank := func() string { return "new" }
	for _, c := range []struct {
		op   string
		want []string
	}{
		{rows.AddOp(), []string{"a", "b", "c", "new"}},
		{rows.RemoveOp(1), []string{"a", "c"}},
		{rows.UpOp(2), []string{"a", "c", "b"}},
		{rows.UpOp(0), []string{"a", "b", "c"}},
		{rows.DownOp(0), []string{"b", "a", "c"}},
		{rows.DownOp(2), []string{"a", "b", "c"}},
		{rows.RemoveOp(7), []string{"a", "b", "c"}},
		{"remove_var:0", []string{"a", "b", "c"}},
	} {
		if got := Apply(rows, []string{"a", "b", "c"}, c.op, blank); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Apply(%q) = %q, want %q", c.op, got, c.want)
		}
		if !rows.IsOp(c.op) && c.op != "remove_var:0" {
			t.Errorf("IsOp(%q) = false", c.op)
		}
	}
	if rows.IsOp("remove_var:0") || rows.IsOp("move_secret:x") {
		t.Error("another builder's buttons are not this one's")
	}
}

func TestFieldIDs(t *testing.T) {
	f := Field{Name: "field.0.name", Help: "h", Errors: []string{"e"}}
	if f.InputID() != "f-field-0-name" || f.DescribedBy() != "f-field-0-name-help f-field-0-name-error" {
		t.Errorf("ids %q, %q", f.InputID(), f.DescribedBy())
	}
	if (Field{ID: "x"}).DescribedBy() != "" || (Field{}).SendsWhenTicked() != "on" {
		t.Error("a field without help or problems is described by nothing; a checkbox sends on")
	}
	if got := KeepChoice(ChoicesOf("a", "b"), "z"); len(got) != 3 || got[2] != (Choice{"z", "z"}) {
		t.Errorf("KeepChoice: %v", got)
	}
	if got := KeepChoice(ChoicesOf("a", "b"), "b"); len(got) != 2 {
		t.Errorf("KeepChoice of a choice: %v", got)
	}
}

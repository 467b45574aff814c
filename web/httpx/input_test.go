package httpx

import "testing"

// The JSON walk names the first NUL in document order, in a value or a key, with the path the error
// details use elsewhere; escaped backslashes and bodies that are not JSON are no NUL.
func TestJSONNULPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, want string // want "" when there is no NUL to report
	}{
		{`{"name": "Lead nurture"}`, ""},
		{`{"name": "Lead\u0000"}`, "name"},
		{`{"steps": [{"name": "a"}, {"id": "b", "name": "B\u0000"}]}`, "steps[1].name"},
		{`{"event": "x", "data": {"company": {"name": "Acme\u0000"}}}`, "data.company.name"},
		{`{"data": {"company": {"name": "Acme"}, "tags": [[1, 2], ["ok", "b\u0000d"]]}}`, "data.tags[1][1]"},
		{`{"variables": {"no\u0000te": "x"}}`, `variables.no\u0000te`},
		{`{"a": {}, "b": [], "c": null, "d": 1.5, "e": true, "f": "\u0000"}`, "f"},
		{`{"first": "x\u0000", "second": "y\u0000"}`, "first"},
		{`["ok", "\u0000"]`, "[1]"},
		{`"\u0000"`, "body"},
		{`{"path": "C:\\u0000"}`, ""},         // a backslash, then the letters u0000
		{`{"name": "\u0000"`, "name"},         // cut short after the NUL: still reported where it is
		{"{\"name\": \"raw \x00 byte\"}", ""}, // not JSON: the handler says so
		{`not json \u0000`, ""},
	}
	for _, tt := range tests {
		got, ok := jsonNULPath([]byte(tt.body))
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("jsonNULPath(%s) = %q, %t; want %q", tt.body, got, ok, tt.want)
		}
	}
}

func TestFirstNUL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		values map[string][]string
		want   string
	}{
		{map[string][]string{"q": {"Ada"}, "status": {"new"}}, ""},
		{map[string][]string{"q": {"Ada"}, "status": {"new", "x\x00"}}, "status"},
		{map[string][]string{"b": {"\x00"}, "a": {"\x00"}}, "a"},
		{map[string][]string{"na\x00me": {"x"}}, `na\u0000me`},
	}
	for _, tt := range tests {
		got, ok := firstNUL(tt.values)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("firstNUL(%q) = %q, %t; want %q", tt.values, got, ok, tt.want)
		}
	}
}

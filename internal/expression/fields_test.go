package expression

import (
	"reflect"
	"testing"
)

// An expression says which paths below the declared variables it reads, so the workflow can check them
// against what it knows of a record's shape.
func TestFieldsAreThePathsReadBelowVariables(t *testing.T) {
	e := New(fakeClock{t: testNow}, Limits{})
	names := []string{"lead", "score"}
	for src, want := range map[string][]string{
		`lead.email != "" && lead.company.name == "Acme"`: {"lead.company", "lead.company.name", "lead.email"},
		`lead?.company?.name ?? "none"`:                   {"lead.company", "lead.company.name"},
		`lead["email"]`:                                   {"lead.email"},
		`score > 3 && steps.mail.sent`:                    nil,
		`let l = lead; l.email`:                           nil, // a let-variable is not the record
		`lead[score].x`:                                   nil, // computed: no path
	} {
		p, err := e.Compile(src, names)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := p.Fields(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s: fields %q, want %q", src, got, want)
		}
	}
	tpl, err := e.ParseTemplate("Hi {{ lead.firstName }} of {{ lead.company.name }}", names)
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.Fields(); !reflect.DeepEqual(got, []string{"lead.company", "lead.company.name", "lead.firstName"}) {
		t.Errorf("template fields %q", got)
	}
	vt, perrs := e.ParseValue(map[string]any{"to": "{{ lead.email }}", "data": map[string]any{"c": "{{ lead.company.name }}"}, "n": 3}, names)
	if len(perrs) > 0 {
		t.Fatal(perrs)
	}
	if got := vt.Fields(); !reflect.DeepEqual(got, map[string][]string{"to": {"lead.email"}, "data.c": {"lead.company", "lead.company.name"}}) {
		t.Errorf("value fields %v", got)
	}
}

func TestPlaceholdersAreTheNamesATemplateReads(t *testing.T) {
	got, err := Placeholders(`Welcome, {{ firstName }} of {{ lead.company.name }}! {{ upper(firstName) }} {{ let x = 2; x * score }} {{ steps.a.b }}`)
	if err != nil || !reflect.DeepEqual(got, []string{"firstName", "lead", "score"}) {
		t.Errorf("placeholders %q, %v", got, err)
	}
	if got, err := Placeholders("No placeholders here."); err != nil || len(got) != 0 {
		t.Errorf("none: %q, %v", got, err)
	}
	if _, err := Placeholders("Hi {{ name "); err == nil {
		t.Error("an unclosed {{ is an error")
	}
}

package views

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/forms"
)

func renderField(t *testing.T, f forms.Field) *goquery.Selection {
	t.Helper()
	var b strings.Builder
	if err := Field(f).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc.Find("div.field")
}

// One drawing serves every form: each kind gets its input, tied to its label, help and problems.
func TestFieldDrawsEveryKind(t *testing.T) {
	for _, c := range []struct {
		f    forms.Field
		want []string // selectors inside the field
		not  []string
	}{
		{forms.Field{Name: "email", Label: "Email", Kind: forms.Email, Value: "a@b.example", Required: true, Autocomplete: "off"},
			[]string{`label[for="f-email"]`, `input#f-email[type="email"][value="a@b.example"][required][autocomplete="off"]`, `.required`},
			[]string{`[aria-invalid]`, `[aria-describedby]`}},
		{forms.Field{Name: "score", Label: "Score", Kind: forms.Number, Help: "0 to 100", Errors: []string{"too big", "not round"}},
			[]string{`input#f-score[type="number"][step="any"][aria-invalid="true"][aria-describedby="f-score-help f-score-error"]`,
				`span#f-score-help.help`, `span#f-score-error.field-error br`},
			[]string{`[required]`}},
		{forms.Field{Name: "days", ID: "pf-days", Label: "Days", Kind: forms.Decimal, Required: true, Draft: true,
			Attrs: map[string]any{"hx-post": "/designer/panel", "hx-trigger": "change"}},
			[]string{`label[for="pf-days"]`, `input#pf-days[type="text"][inputmode="decimal"][hx-post="/designer/panel"][hx-trigger="change"]`, `.required`},
			[]string{`[required]`}},
		{forms.Field{Name: "condition", Label: "Condition", Kind: forms.Code, Rows: 3, Value: `a < b && "x"`, Placeholder: "lead.score > 50"},
			[]string{`textarea#f-condition.code[rows="3"][spellcheck="false"][placeholder="lead.score > 50"]`}, nil},
		{forms.Field{Name: "stage", Label: "Stage", Kind: forms.Select, Value: "won", Choices: forms.ChoicesOf("new", "won")},
			[]string{`select#f-stage option[value="won"][selected]`, `select#f-stage option[value="new"]:not([selected])`}, nil},
		{forms.Field{Name: "vip", Label: "VIP", Kind: forms.Checkbox, Checked: true, Required: true},
			[]string{`label.check[for="f-vip"] input#f-vip[type="checkbox"][value="on"][checked]`}, []string{`[required]`}},
		{forms.Field{Name: "at", Label: "At", Kind: forms.DateTime}, []string{`input#f-at[type="datetime-local"]`}, nil},
		{forms.Field{Name: "pw", Label: "Password", Kind: forms.Password}, []string{`input#f-pw[type="password"]`}, nil},
	} {
		field := renderField(t, c.f)
		if field.Length() != 1 {
			t.Fatalf("%s: %d fields drawn", c.f.Name, field.Length())
		}
		if c.f.Bad() != field.HasClass("has-error") {
			t.Errorf("%s: has-error = %v", c.f.Name, field.HasClass("has-error"))
		}
		for _, sel := range c.want {
			if field.Find(sel).Length() == 0 {
				h, _ := goquery.OuterHtml(field)
				t.Errorf("%s: no %s in %s", c.f.Name, sel, h)
			}
		}
		for _, sel := range c.not {
			if field.Find(sel).Length() != 0 {
				t.Errorf("%s: should have no %s", c.f.Name, sel)
			}
		}
	}
	if got := renderField(t, forms.Field{Name: "condition", Kind: forms.Code, Value: `a < b && "x"`}).Find("textarea").Text(); got != `a < b && "x"` {
		t.Errorf("the textarea's text %q", got)
	}
	f := renderField(t, forms.Field{Name: "n", Label: `<script>alert(1)</script>`, Kind: forms.Text, Value: `"><b>`, Errors: []string{"<i>x</i>"}})
	if f.Find("script, b, i").Length() != 0 || !strings.Contains(f.Find("label").Text(), "<script>") {
		t.Error("labels, values and problems are escaped")
	}
}

package workflow_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestCheckFormValuesPerField(t *testing.T) {
	t.Parallel()
	text := workflow.FormField{Name: "note", Type: workflow.FieldText}
	textarea := workflow.FormField{Name: "keyFindings", Type: workflow.FieldTextarea}
	number := workflow.FormField{Name: "amount", Type: workflow.FieldNumber}
	email := workflow.FormField{Name: "contactEmail", Type: workflow.FieldEmail}
	date := workflow.FormField{Name: "closeDate", Type: workflow.FieldDate}
	datetime := workflow.FormField{Name: "callDate", Type: workflow.FieldDatetime}
	sel := workflow.FormField{Name: "outcome", Type: workflow.FieldSelect, Options: []string{"won", "lost"}}
	checkbox := workflow.FormField{Name: "agreed", Type: workflow.FieldCheckbox}
	required := func(f workflow.FormField) workflow.FormField { f.Required = true; return f }

	tests := []struct {
		name    string
		field   workflow.FormField
		value   any // absent when nil
		want    any // the normalised value; nil means the key is absent from the result
		wantErr string
	}{
		// text and textarea
		{"text trimmed", text, "  hello  ", "hello", ""},
		{"text not a string", text, 5.0, nil, "Note must be text"},
		{"text at the limit", text, strings.Repeat("x", 10000), strings.Repeat("x", 10000), ""},
		{"text overlong", text, strings.Repeat("x", 10001), nil, "Note is 10001 characters long; the limit is 10000"},
		{"textarea keeps inner new lines", textarea, "line 1\nline 2", "line 1\nline 2", ""},
		{"optional text missing", text, nil, nil, ""},
		{"optional text blank", text, "   ", nil, ""},
		{"required text missing", required(text), nil, nil, "Note is required"},
		{"required text blank", required(text), "   ", nil, "Note is required"},

		// number
		{"number from a JSON number", number, 7.0, 7.0, ""},
		{"number from a form string", number, "42.5", 42.5, ""},
		{"number with spaces", number, " 3 ", 3.0, ""},
		{"number in exponent form", number, "1e3", 1000.0, ""},
		{"number negative", number, "-2", -2.0, ""},
		{"number from words", number, "abc", nil, `Amount must be a number, not "abc"`},
		{"number NaN", number, "NaN", nil, `Amount must be a number, not "NaN"`},
		{"number infinite", number, "Inf", nil, `Amount must be a number, not "Inf"`},
		{"number out of range", number, "1e400", nil, `Amount must be a number, not "1e400"`},
		{"number from a boolean", number, true, nil, "Amount must be a number"},
		{"required number missing", required(number), "", nil, "Amount is required"},

		// email
		{"email plain address", email, "rep@example.com", "rep@example.com", ""},
		{"email with a display name", email, "Rep <rep@example.com>", nil, `Contact email: "Rep <rep@example.com>" is not an email address`},
		{"email invalid", email, "bob", nil, `Contact email: "bob" is not an email address`},
		{"email not a string", email, 5.0, nil, "Contact email must be an email address"},

		// date
		{"date plain", date, "2026-12-01", "2026-12-01", ""},
		{"date from RFC 3339 is taken in UTC", date, "2026-12-01T23:30:00-05:00", "2026-12-02", ""},
		{"date in another layout", date, "01/12/2026", nil, `Close date must be a date like 2026-12-01, not "01/12/2026"`},
		{"date that does not exist", date, "2026-02-30", nil, `not "2026-02-30"`},
		{"date not a string", date, 20261201.0, nil, "Close date must be a date like 2026-12-01"},

		// datetime
		{"datetime-local input", datetime, "2026-12-01T14:30", "2026-12-01T14:30:00Z", ""},
		{"datetime-local with seconds", datetime, "2026-12-01T14:30:15", "2026-12-01T14:30:15Z", ""},
		{"datetime with a space", datetime, "2026-12-01 14:30", "2026-12-01T14:30:00Z", ""},
		{"datetime with an offset is converted to UTC", datetime, "2026-12-01T14:30:00+02:00", "2026-12-01T12:30:00Z", ""},
		{"datetime with fractions", datetime, "2026-12-01T14:30:15.25Z", "2026-12-01T14:30:15Z", ""},
		{"datetime without a time", datetime, "2026-12-01", nil, `Call date must be a date and time like 2026-12-01T14:30, not "2026-12-01"`},
		{"datetime in words", datetime, "tomorrow", nil, `not "tomorrow"`},
		{"datetime not a string", datetime, 1.0, nil, "Call date must be a date and time"},

		// select
		{"select listed option", sel, "won", "won", ""},
		{"select option not in the list", sel, "maybe", nil, "Outcome must be one of won, lost"},
		{"select option of the wrong case", sel, "Won", nil, "Outcome must be one of won, lost"},
		{"select not a string", sel, 1.0, nil, "Outcome must be one of won, lost"},

		// checkbox
		{"checkbox on", checkbox, "on", true, ""},
		{"checkbox true text", checkbox, "true", true, ""},
		{"checkbox Yes", checkbox, "Yes", true, ""},
		{"checkbox 1", checkbox, "1", true, ""},
		{"checkbox off", checkbox, "off", false, ""},
		{"checkbox 0", checkbox, "0", false, ""},
		{"checkbox JSON true", checkbox, true, true, ""},
		{"checkbox JSON false", checkbox, false, false, ""},
		{"checkbox unticked is false", checkbox, nil, false, ""},
		{"checkbox nonsense", checkbox, "maybe", nil, "Agreed must be ticked or not"},
		{"checkbox number", checkbox, 1.0, nil, "Agreed must be ticked or not"},
		{"required checkbox ticked", required(checkbox), "on", true, ""},
		{"required checkbox false", required(checkbox), false, nil, "Agreed must be ticked"},
		{"required checkbox off", required(checkbox), "off", nil, "Agreed must be ticked"},
		{"required checkbox missing", required(checkbox), nil, nil, "Agreed must be ticked"},

		// unknown type (only reachable for fields that never passed validation)
		{"unknown field type", workflow.FormField{Name: "x", Type: "color"}, "red", nil, `X has an unknown type "color"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			values := map[string]any{}
			if tt.value != nil {
				values[tt.field.Name] = tt.value
			}
			out, errs := workflow.CheckFormValues([]workflow.FormField{tt.field}, values)
			if tt.wantErr != "" {
				if len(errs) != 1 {
					t.Fatalf("got %d error(s) %v, want 1 containing %q", len(errs), errs, tt.wantErr)
				}
				if errs[0].Field != tt.field.Name || !strings.Contains(errs[0].Message, tt.wantErr) {
					t.Fatalf("error = %s: %q, want %s: ...%q...", errs[0].Field, errs[0].Message, tt.field.Name, tt.wantErr)
				}
				if _, present := out[tt.field.Name]; present {
					t.Fatalf("a rejected value came back: %v", out[tt.field.Name])
				}
				return
			}
			if len(errs) != 0 {
				t.Fatalf("unexpected errors: %v", errs)
			}
			got, present := out[tt.field.Name]
			if present != (tt.want != nil) {
				t.Fatalf("value present = %v (%v), want present = %v", present, got, tt.want != nil)
			}
			if got != tt.want {
				t.Fatalf("normalised value = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCheckFormValuesWholeForm(t *testing.T) {
	t.Parallel()
	fields := []workflow.FormField{
		{Name: "callDate", Type: workflow.FieldDatetime, Required: true},
		{Name: "agenda", Type: workflow.FieldText},
		{Name: "attendees", Type: workflow.FieldNumber},
		{Name: "confirmed", Type: workflow.FieldCheckbox},
		{Name: "followUp", Type: workflow.FieldDate},
		{Name: "nextAction", Type: workflow.FieldSelect, Options: []string{"schedule_demo", "send_proposal"}, Required: true},
	}
	t.Run("valid values come back normalised", func(t *testing.T) {
		t.Parallel()
		out, errs := workflow.CheckFormValues(fields, map[string]any{
			"callDate":   "2026-12-01T14:30",
			"agenda":     " Pricing ",
			"attendees":  "3",
			"confirmed":  "on",
			"followUp":   "2026-12-08",
			"nextAction": "send_proposal",
		})
		if errs != nil {
			t.Fatalf("unexpected errors: %v", errs)
		}
		want := map[string]any{
			"callDate":   "2026-12-01T14:30:00Z",
			"agenda":     "Pricing",
			"attendees":  3.0,
			"confirmed":  true,
			"followUp":   "2026-12-08",
			"nextAction": "send_proposal",
		}
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("CheckFormValues = %#v, want %#v", out, want)
		}
	})
	t.Run("every error is reported", func(t *testing.T) {
		t.Parallel()
		out, errs := workflow.CheckFormValues(fields, map[string]any{
			"agenda":     "ok",
			"attendees":  "many",
			"nextAction": "call_back",
			"zeta":       "x",
			"alpha":      "y",
		})
		want := workflow.FieldErrors{
			{Field: "callDate", Message: "Call date is required"},
			{Field: "attendees", Message: `Attendees must be a number, not "many"`},
			{Field: "nextAction", Message: "Next action must be one of schedule_demo, send_proposal"},
			{Field: "alpha", Message: `this form has no field "alpha"`},
			{Field: "zeta", Message: `this form has no field "zeta"`},
		}
		if !reflect.DeepEqual(errs, want) {
			t.Fatalf("errors = %#v, want %#v", errs, want)
		}
		if got := errs.For("attendees"); got != `Attendees must be a number, not "many"` {
			t.Fatalf("For(attendees) = %q", got)
		}
		if got := errs.For("agenda"); got != "" {
			t.Fatalf("For(agenda) = %q, want empty", got)
		}
		const wantMsg = `the form has errors: callDate: Call date is required; attendees: Attendees must be a number, not "many"; `
		if got := errs.Error(); !strings.HasPrefix(got, wantMsg) {
			t.Fatalf("Error() = %q, want prefix %q", got, wantMsg)
		}
		wantOut := map[string]any{"agenda": "ok", "confirmed": false}
		if !reflect.DeepEqual(out, wantOut) {
			t.Fatalf("accepted values = %#v, want %#v", out, wantOut)
		}
	})
}

func TestFieldLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field workflow.FormField
		want  string
	}{
		{workflow.FormField{Name: "callDate"}, "Call date"},
		{workflow.FormField{Name: "next_steps"}, "Next steps"},
		{workflow.FormField{Name: "keyFindings", Label: "What did you find?"}, "What did you find?"},
		{workflow.FormField{Name: "x"}, "X"},
	}
	for _, tt := range tests {
		if got := workflow.FieldLabel(tt.field); got != tt.want {
			t.Fatalf("FieldLabel(%q) = %q, want %q", tt.field.Name, got, tt.want)
		}
	}
}

// A date and time typed without a zone is the person's: 15:30 in Berlin is 14:30 UTC in winter and 13:30 in
// summer; one written with its offset, a date, and other fields are left alone, and so is the submission.
func TestInZoneReadsZonelessDateTimesInThePersonsZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	fields := []workflow.FormField{{Name: "callDate", Type: workflow.FieldDatetime}, {Name: "day", Type: workflow.FieldDate},
		{Name: "note", Type: workflow.FieldText}, {Name: "at", Type: workflow.FieldDatetime}}
	values := map[string]any{"callDate": "2026-12-03T15:30", "day": "2026-12-03", "note": "2026-12-03T15:30", "at": "2026-07-01T15:30:00+02:00"}
	in := workflow.InZone(fields, values, berlin)
	out, errs := workflow.CheckFormValues(fields, in)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]any{"callDate": "2026-12-03T14:30:00Z", "day": "2026-12-03", "note": "2026-12-03T15:30", "at": "2026-07-01T13:30:00Z"}
	for k, w := range want {
		if out[k] != w {
			t.Errorf("%s = %v, want %v", k, out[k], w)
		}
	}
	if values["callDate"] != "2026-12-03T15:30" {
		t.Errorf("InZone changed the submission in place: %v", values["callDate"])
	}
	summer := workflow.InZone(fields, map[string]any{"callDate": "2026-07-01 15:30"}, berlin)
	if summer["callDate"] != "2026-07-01T15:30:00+02:00" {
		t.Errorf("a summer time in Berlin reads %v", summer["callDate"])
	}
}

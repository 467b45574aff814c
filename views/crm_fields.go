package views

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/forms"
)

// RecordForm is a lead's or an opportunity's form with what was entered and what is wrong with it.
type RecordForm struct {
	Action  string
	CSRF    string
	Fields  []forms.Field
	Summary string // the error above the form
	Submit  string
}

// NewCompanyField is the name of the input that creates a company by its name.
const NewCompanyField = "newCompany"

// fieldSpec describes one input of a CRM form. Its name is the CRM field's name (except newCompany), so
// the CRM's problems land next to their inputs.
type fieldSpec struct {
	name, label, help string
	kind              forms.Kind
	required          bool
	editOnly          bool                                // shown when editing, not when creating
	options           []string                            // a select of these values
	choices           func(*app.FormChoices) []app.Choice // a select of these choices, after an empty one
	empty             string                              // the empty choice's label
}

func companyChoices(c *app.FormChoices) []app.Choice { return c.Companies }
func contactChoices(c *app.FormChoices) []app.Choice { return c.Contacts }
func peopleChoices(c *app.FormChoices) []app.Choice  { return c.People }

var leadFields = []fieldSpec{
	{name: "firstName", label: "First name", kind: forms.Text, required: true},
	{name: "lastName", label: "Last name", kind: forms.Text, required: true},
	{name: "email", label: "Email", kind: forms.Email},
	{name: "phone", label: "Phone", kind: forms.Text},
	{name: "title", label: "Job title", kind: forms.Text, editOnly: true},
	{name: "status", label: "Status", kind: forms.Select, options: crm.LeadStatuses, editOnly: true,
		help: "Setting a lead to qualified starts the workflows that wait for qualified leads."},
	{name: "companyId", label: "Company", kind: forms.Select, choices: companyChoices, empty: "No company"},
	{name: NewCompanyField, label: "…or a new company", kind: forms.Text,
		help: "Type the name of a company that is not in the list; it is added when you save."},
	{name: "source", label: "Source", kind: forms.Text, help: "Where the lead came from: website, referral, trade show…"},
	{name: "score", label: "Score", kind: forms.Number, help: "0 to 100: how likely the lead is to buy."},
	{name: "lastInteraction", label: "Last interaction (UTC)", kind: forms.DateTime, editOnly: true},
	{name: "assignedTo", label: "Assigned to", kind: forms.Select, choices: peopleChoices, empty: "Nobody"},
	{name: "notes", label: "Notes", kind: forms.Textarea},
}

var opportunityFields = []fieldSpec{
	{name: "name", label: "Opportunity name", kind: forms.Text, required: true, help: "What the deal is about, e.g. “Kitchen refit”."},
	{name: "stage", label: "Stage", kind: forms.Select, options: crm.OpportunityStages},
	{name: "companyId", label: "Company", kind: forms.Select, choices: companyChoices, empty: "No company"},
	{name: NewCompanyField, label: "…or a new company", kind: forms.Text,
		help: "Type the name of a company that is not in the list; it is added when you save."},
	{name: "contactId", label: "Contact", kind: forms.Select, choices: contactChoices, empty: "No contact"},
	{name: "amount", label: "Amount", kind: forms.Number},
	{name: "currency", label: "Currency", kind: forms.Text, help: "Three letters, such as USD or EUR."},
	{name: "closeDate", label: "Expected close date", kind: forms.Date},
	{name: "assignedTo", label: "Assigned to", kind: forms.Select, choices: peopleChoices, empty: "Nobody"},
}

func fieldSpecs(e crm.Entity) []fieldSpec {
	if e == crm.Opportunity {
		return opportunityFields
	}
	return leadFields
}

// RecordFieldNames lists the inputs of an entity's form (creating or editing), newCompany included.
func RecordFieldNames(e crm.Entity, editing bool) []string {
	var out []string
	for _, f := range fieldSpecs(e) {
		if editing || !f.editOnly {
			out = append(out, f.name)
		}
	}
	return out
}

// NewRecordForm builds the form of a lead or an opportunity: the new-record form when id is "", else the
// edit form of every field, filled with values and marked with errs (by field name).
func NewRecordForm(e crm.Entity, id, csrf string, values, errs map[string]string, ch *app.FormChoices) RecordForm {
	base := "/crm/" + recordPlural(e)
	f := RecordForm{Action: base, CSRF: csrf, Submit: "Create " + string(e)}
	if id != "" {
		f.Action, f.Submit = base+"/"+id, "Save changes"
	}
	if ch == nil {
		ch = &app.FormChoices{}
	}
	for _, s := range fieldSpecs(e) {
		if id == "" && s.editOnly {
			continue
		}
		fld := forms.Field{Name: s.name, Label: s.label, Kind: s.kind, Required: s.required, Help: s.help,
			Value: values[s.name]}
		if msg := errs[s.name]; msg != "" {
			fld.Errors = []string{msg}
		}
		switch {
		case s.choices != nil:
			fld.Kind = forms.Select
			fld.Choices = forms.KeepChoice(append([]forms.Choice{{Value: "", Label: s.empty}}, s.choices(ch)...), fld.Value)
		case s.options != nil:
			fld.Kind = forms.Select
			fld.Choices = forms.ChoicesOf(s.options...)
		}
		f.Fields = append(f.Fields, fld)
	}
	if n := len(errs); n > 0 {
		f.Summary = fmt.Sprintf("Please fix %s below; nothing was saved yet.", plural(n, "field"))
		if id == "" {
			f.Summary = fmt.Sprintf("Please fix %s below; the %s was not created yet.", plural(n, "field"), e)
		}
	}
	return f
}

// RecordValues are a record's fields as its form shows them.
func RecordValues(rec crm.Record) map[string]string {
	out := map[string]string{}
	for k, v := range rec {
		switch x := v.(type) {
		case string:
			out[k] = x
		case int:
			out[k] = strconv.Itoa(x)
		case int64:
			out[k] = strconv.FormatInt(x, 10)
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
	if t, err := time.Parse(time.RFC3339, out["lastInteraction"]); err == nil {
		out["lastInteraction"] = localInput(t)
	}
	return out
}

// localInput is a time as an <input type="datetime-local"> value, in UTC like everything on the pages.
func localInput(t time.Time) string {
	t = t.UTC()
	if t.Second() == 0 {
		return t.Format("2006-01-02T15:04")
	}
	return t.Format("2006-01-02T15:04:05")
}

// recordPlural is the entity's part of the pages' paths.
func recordPlural(e crm.Entity) string {
	if e == crm.Opportunity {
		return "opportunities"
	}
	return "leads"
}

// recordPath is the address of a record's page.
func recordPath(e crm.Entity, id string) string { return "/crm/" + recordPlural(e) + "/" + id }

// text reads a text field of a record ("" when absent).
func recText(rec map[string]any, key string) string {
	s, _ := rec[key].(string)
	return s
}

// recordName is a record as people know it: a lead's full name, an opportunity's name.
func recordName(rec crm.Record) string {
	if n := recText(rec, "name"); n != "" {
		return n
	}
	if n := strings.TrimSpace(recText(rec, "firstName") + " " + recText(rec, "lastName")); n != "" {
		return n
	}
	return "(no name)"
}

// companyName is the name of the record's company, or "".
func companyName(rec crm.Record) string {
	c, _ := rec["company"].(map[string]any)
	return recText(c, "name")
}

// recordStatus is a lead's status or an opportunity's stage.
func recordStatus(e crm.Entity, rec crm.Record) string {
	if e == crm.Opportunity {
		return recText(rec, "stage")
	}
	return recText(rec, "status")
}

func scoreText(rec crm.Record) string {
	if n, ok := rec["score"].(int); ok {
		return strconv.Itoa(n)
	}
	return "—"
}

// recordTime reads an RFC 3339 field as a time shown on the pages, or "—".
func recordTime(rec crm.Record, key string) string {
	t, err := time.Parse(time.RFC3339, recText(rec, key))
	if err != nil {
		return "—"
	}
	return when(t)
}

// recordTimePtr reads an RFC 3339 field, or nil.
func recordTimePtr(rec crm.Record, key string) *time.Time {
	t, err := time.Parse(time.RFC3339, recText(rec, key))
	if err != nil {
		return nil
	}
	return &t
}

// recordDate reads a day field (2006-01-02) as "3 Dec 2026", or "—".
func recordDate(rec crm.Record, key string) string {
	t, err := time.Parse(time.DateOnly, recText(rec, key))
	if err != nil {
		return "—"
	}
	return t.Format("2 Jan 2006")
}

// money shows an amount with thousands separators and its currency: "12,500.00 USD".
func money(rec crm.Record) string {
	amount, _ := rec["amount"].(float64)
	cents := int64(math.Round(amount * 100))
	whole, frac := strconv.FormatInt(cents/100, 10), cents%100
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s.%02d %s", b.String(), frac, recText(rec, "currency"))
}

// personLabel shows a user's email as the list of people names them.
func personLabel(email string, people []app.Choice) string {
	if email == "" {
		return "Nobody"
	}
	for _, p := range people {
		if p.Value == email {
			return p.Label
		}
	}
	return email
}

// eventText says what a CRM event was, for peopleChoices: "Created", "Status set to qualified".
func eventText(e crm.Entity, typ string) string {
	if typ == "" {
		return "About this " + string(e)
	}
	switch rest := strings.TrimPrefix(typ, string(e)+"_"); rest {
	case "created":
		return "Created"
	case "updated":
		return "Details changed"
	case "deleted":
		return "Deleted"
	default:
		if e == crm.Opportunity {
			return "Stage set to " + rest
		}
		return "Status set to " + rest
	}
}

// changes are a record's events as its history lists them: a status change records "updated" and
// "<status>" together, and only the second says anything.
func changes(e crm.Entity, events []app.RecordEvent) []app.RecordEvent {
	out := make([]app.RecordEvent, 0, len(events))
	for i, ev := range events {
		if ev.Type == string(e)+"_updated" {
			// Newest first, the status event comes right before its update, at the same moment.
			if i > 0 && events[i-1].At.Equal(ev.At) && events[i-1].By == ev.By &&
				events[i-1].Type != ev.Type && events[i-1].Type != string(e)+"_deleted" {
				continue
			}
		}
		out = append(out, ev)
	}
	return out
}

// lowerFirst is eventText inside a sentence.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// liveFor is how long a record's "workflows started" panel keeps refreshing after a change.
const liveFor = 30 * time.Second

// RunsPanel is the list of workflow runs a record's changes started.
type RunsPanel struct {
	Entity   crm.Entity
	ID       string
	Activity *app.RecordActivity
	Now      time.Time
}

// Live says whether the panel should keep refreshing: a change is being dispatched, or was made in the last
// half minute (the runs it starts appear within a second or two, and their status moves on).
func (p RunsPanel) Live() bool {
	return p.Activity.Pending || !p.Activity.LastChange.IsZero() && p.Now.Sub(p.Activity.LastChange) < liveFor
}

// deliveryText says why a workflow did not start.
func deliveryText(r app.RecordRun) string {
	switch r.Delivery {
	case "filtered":
		if r.Reason != "" {
			return "did not start: its trigger's condition was not met (" + r.Reason + ")"
		}
		return "did not start: its trigger's condition was not met"
	case "rejected":
		return "did not start: the record did not fit the workflow's variables (" + r.Reason + ")"
	}
	return "started, but the run has since been removed"
}

// todoDue reads a CRM to-do's due date.
func todoDue(rec crm.Record) *time.Time {
	t, err := time.Parse(time.RFC3339, recText(rec, "dueDate"))
	if err != nil {
		return nil
	}
	return &t
}

// JourneyValue is a field's value in a journey: text as is, "(empty)" for none, others as JSON.
func JourneyValue(v any) string { return changeText(v) }

package actions_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// directory is a fake actions.Directory: a few users and templates, or a failing database.
type directory struct {
	users     map[string]*store.User
	templates map[string]*store.EmailTemplate
	calendar  string // every user's working calendar, as JSON
	err       error  // every lookup fails with it when set
}

func (d *directory) UserByEmail(_ context.Context, email string) (*store.User, error) {
	if d.err != nil {
		return nil, d.err
	}
	if u, ok := d.users[email]; ok {
		return u, nil
	}
	return nil, fmt.Errorf("user %q: %w", email, store.ErrNotFound)
}

func (d *directory) EmailTemplate(_ context.Context, name string) (*store.EmailTemplate, error) {
	if d.err != nil {
		return nil, d.err
	}
	if t, ok := d.templates[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("email template %q: %w", name, store.ErrNotFound)
}

func (d *directory) WorkingCalendar(context.Context, int64) (string, error) {
	return d.calendar, d.err
}

type bundle struct {
	dir      *directory
	registry *actions.Registry
}

func setup(t *testing.T) *bundle {
	t.Helper()
	dir := &directory{
		users: map[string]*store.User{
			"rep@example.com": {ID: 42, Email: "rep@example.com", Role: "rep"},
		},
		templates: map[string]*store.EmailTemplate{
			"welcome_qualified_lead": {Name: "welcome_qualified_lead",
				Subject: "Welcome to Kitchen Pantry, {{firstName}}",
				Body:    "Hi {{firstName}},\nwe are glad to be talking with {{companyName}}."},
			"followup_engaged_lead": {Name: "followup_engaged_lead",
				Subject: "Next steps", Body: "Hi {{lead.firstName}}"},
			"bad_subject": {Name: "bad_subject", Subject: "About {{ deal.amount }}", Body: "Hello"},
		},
	}
	n := 0
	deps := actions.Deps{
		Directory: dir,
		Expr:      expression.New(clock.NewFake(t0), expression.Limits{}),
		NewID: func() string {
			n++
			return fmt.Sprintf("id-%d", n)
		},
	}
	return &bundle{dir: dir, registry: actions.NewRegistry(actions.Builtin(deps)...)}
}

func (b *bundle) run(t *testing.T, name string, params, vars map[string]any) (actions.Result, error) {
	t.Helper()
	a, ok := b.registry.Get(name)
	if !ok {
		t.Fatalf("the registry has no %q", name)
	}
	return a.Run(context.Background(), actions.Input{
		ExecutionID: "exec-1", WorkflowID: "wf-1", StepID: "step-1", Attempt: 1,
		IdempotencyKey: "exec-1:step-1:1", Params: params, Vars: vars, Now: t0,
	})
}

// wantStepError checks err is a StepError of the class and permanence, with a message containing msg.
func wantStepError(t *testing.T, err error, class string, permanent bool, msg string) {
	t.Helper()
	var se *workflow.StepError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want a *workflow.StepError", err, err)
	}
	if got := workflow.ErrorClass(err); got != class {
		t.Errorf("ErrorClass = %q, want %q (error %q)", got, class, err)
	}
	if got := workflow.IsPermanent(err); got != permanent {
		t.Errorf("IsPermanent = %t, want %t (error %q)", got, permanent, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error = %q, want it to contain %q", err, msg)
	}
}

func TestSetVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  map[string]any
		vars    map[string]any
		want    any
		wantErr string
	}{
		{name: "number", params: map[string]any{"name": "score", "value": 87.0}, vars: map[string]any{"score": nil}, want: 87.0},
		{name: "object", params: map[string]any{"name": "lead", "value": map[string]any{"x": "y"}},
			vars: map[string]any{"lead": map[string]any{}}, want: map[string]any{"x": "y"}},
		{name: "no value clears it", params: map[string]any{"name": "score"}, vars: map[string]any{"score": 3.0}, want: nil},
		{name: "undeclared", params: map[string]any{"name": "sneaky", "value": 1.0}, vars: map[string]any{"score": nil},
			wantErr: `set_variable: "sneaky" is not a variable of this workflow`},
		{name: "no variables at all", params: map[string]any{"name": "score", "value": 1.0},
			wantErr: `set_variable: "score" is not a variable of this workflow`},
		{name: "no name", params: map[string]any{"value": 1.0}, vars: map[string]any{"score": nil},
			wantErr: "set_variable: name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, "set_variable", tt.params, tt.vars)
			if tt.wantErr != "" {
				wantStepError(t, err, workflow.ClassValidation, true, tt.wantErr)
				if err.Error() != tt.wantErr {
					t.Fatalf("error = %q, want exactly %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			name := tt.params["name"].(string)
			want := map[string]any{name: tt.want}
			if !reflect.DeepEqual(res.Vars, want) || !reflect.DeepEqual(res.Output, want) {
				t.Fatalf("Run = vars %v, output %v; want %v", res.Vars, res.Output, want)
			}
			if res.Message != "Set "+name || len(res.Effects) != 0 {
				t.Fatalf("Run = message %q, %d effects; want %q and none", res.Message, len(res.Effects), "Set "+name)
			}
		})
	}
}

func TestCreateTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.run(t, "create_task", map[string]any{
		"title": "Call Jane", "description": "About the walk-in freezer",
		"assignee": "Rep@Example.com", "dueDate": "+2 days",
	}, map[string]any{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Effects) != 1 {
		t.Fatalf("Run gave %d effects, want 1", len(res.Effects))
	}
	eff, ok := res.Effects[0].(store.InsertOnce)
	if !ok || eff.UniqueColumn != "idempotency_key" {
		t.Fatalf("effect = %#v, want store.InsertOnce on idempotency_key", res.Effects[0])
	}
	task, ok := eff.Row.(*store.CRMTask)
	if !ok {
		t.Fatalf("effect row = %T, want *store.CRMTask", eff.Row)
	}
	due := t0.Add(48 * time.Hour)
	if task.ID != "id-1" || task.Title != "Call Jane" || task.Description != "About the walk-in freezer" ||
		task.AssigneeID == nil || *task.AssigneeID != 42 || task.Priority != "medium" || task.Status != "open" ||
		task.DueAt == nil || !task.DueAt.Equal(due) || task.ExecutionID == nil || *task.ExecutionID != "exec-1" ||
		task.StepID != "step-1" || task.IdempotencyKey == nil || *task.IdempotencyKey != "exec-1:step-1:1" ||
		!task.CreatedAt.Equal(t0) || !task.UpdatedAt.Equal(t0) {
		t.Fatalf("task = %+v", task)
	}
	wantOut := map[string]any{"taskId": "id-1", "assignee": "rep@example.com", "priority": "medium", "dueDate": "2026-11-28T09:00:00Z"}
	if !reflect.DeepEqual(res.Output, wantOut) {
		t.Fatalf("output = %v, want %v", res.Output, wantOut)
	}
	if want := `Created task "Call Jane" for rep@example.com, due 28 Nov 2026 09:00 UTC`; res.Message != want {
		t.Fatalf("message = %q, want %q", res.Message, want)
	}
}

func TestCreateTaskParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		params       map[string]any
		wantPriority string
		wantDue      *time.Time
		wantErr      string
	}{
		{name: "high priority, no due date", params: map[string]any{"title": "Call", "assignee": "rep@example.com", "priority": "high"},
			wantPriority: "high"},
		{name: "absolute due date", params: map[string]any{"title": "Call", "assignee": "Rep <rep@example.com>", "dueDate": "2026-12-01"},
			wantPriority: "medium", wantDue: ptr(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))},
		{name: "unknown assignee", params: map[string]any{"title": "Call", "assignee": "Bob@Example.com"},
			wantErr: `create_task: assignee "bob@example.com" is not a Pantryflow user`},
		{name: "empty assignee", params: map[string]any{"title": "Call", "assignee": ""},
			wantErr: "create_task: assignee is empty (the variable it comes from has no value)"},
		{name: "nil assignee", params: map[string]any{"title": "Call", "assignee": nil},
			wantErr: "create_task: assignee is empty"},
		{name: "assignee not an email", params: map[string]any{"title": "Call", "assignee": "the sales team"},
			wantErr: `create_task: assignee "the sales team" is not an email address`},
		{name: "bad due date", params: map[string]any{"title": "Call", "assignee": "rep@example.com", "dueDate": "someday"},
			wantErr: `create_task: dueDate: "someday" is not a date`},
		{name: "no title", params: map[string]any{"title": "  ", "assignee": "rep@example.com"},
			wantErr: "create_task: title is empty"},
		{name: "unknown priority", params: map[string]any{"title": "Call", "assignee": "rep@example.com", "priority": "urgent"},
			wantErr: `create_task: priority "urgent" is not low, medium or high`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, "create_task", tt.params, map[string]any{})
			if tt.wantErr != "" {
				wantStepError(t, err, workflow.ClassValidation, true, tt.wantErr)
				if len(res.Effects) != 0 {
					t.Fatalf("a failed create_task asked for %d effects", len(res.Effects))
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			task := res.Effects[0].(store.InsertOnce).Row.(*store.CRMTask)
			if task.Priority != tt.wantPriority || *task.AssigneeID != 42 {
				t.Fatalf("task = %+v, want priority %s for user 42", task, tt.wantPriority)
			}
			if (task.DueAt == nil) != (tt.wantDue == nil) || (task.DueAt != nil && !task.DueAt.Equal(*tt.wantDue)) {
				t.Fatalf("due = %v, want %v", task.DueAt, tt.wantDue)
			}
		})
	}
}

func TestLookupFailuresAreTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action string
		params map[string]any
	}{
		{"create_task", map[string]any{"title": "Call", "assignee": "rep@example.com"}},
		{"send_email", map[string]any{"template": "welcome_qualified_lead", "recipient": "jane@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.dir.err = errors.New("database is locked")
			_, err := b.run(t, tt.action, tt.params, map[string]any{})
			wantStepError(t, err, workflow.ClassOther, false, "database is locked")
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSendEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		params      map[string]any
		vars        map[string]any
		wantTo      string
		wantSubject string
		wantBody    string
	}{
		{
			name: "data overrides variables",
			params: map[string]any{"template": "welcome_qualified_lead", "recipient": "Jane@Example.com",
				"data": map[string]any{"firstName": "Jane"}},
			vars:        map[string]any{"firstName": "Variable", "companyName": "Acme Diner"},
			wantTo:      "jane@example.com",
			wantSubject: "Welcome to Kitchen Pantry, Jane",
			wantBody:    "Hi Jane,\nwe are glad to be talking with Acme Diner.",
		},
		{
			name:        "variables only, one unset",
			params:      map[string]any{"template": "welcome_qualified_lead", "recipient": "Jane Doe <jane@example.com>"},
			vars:        map[string]any{"firstName": "Jane", "companyName": nil},
			wantTo:      "jane@example.com",
			wantSubject: "Welcome to Kitchen Pantry, Jane",
			wantBody:    "Hi Jane,\nwe are glad to be talking with .",
		},
		{
			name: "nested data, no variables",
			params: map[string]any{"template": "followup_engaged_lead", "recipient": "jane@example.com",
				"data": map[string]any{"lead": map[string]any{"firstName": "Jane"}}},
			wantTo:      "jane@example.com",
			wantSubject: "Next steps",
			wantBody:    "Hi Jane",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, "send_email", tt.params, tt.vars)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(res.Effects) != 1 {
				t.Fatalf("Run gave %d effects, want 1", len(res.Effects))
			}
			eff, ok := res.Effects[0].(actions.QueueMail)
			if !ok {
				t.Fatalf("effect = %#v, want actions.QueueMail", res.Effects[0])
			}
			m := eff.Mail
			want := store.Mail{ID: "id-1", IdempotencyKey: "exec-1:step-1:1", ExecutionID: m.ExecutionID, StepID: "step-1",
				Template: tt.params["template"].(string), ToAddress: tt.wantTo, Subject: tt.wantSubject, Body: tt.wantBody,
				Status: "queued", CreatedAt: t0}
			if !reflect.DeepEqual(*m, want) || m.ExecutionID == nil || *m.ExecutionID != "exec-1" {
				t.Fatalf("mail = %+v\nwant   %+v", *m, want)
			}
			wantOut := map[string]any{"mailId": "id-1", "to": tt.wantTo, "subject": tt.wantSubject}
			if !reflect.DeepEqual(res.Output, wantOut) {
				t.Fatalf("output = %v, want %v", res.Output, wantOut)
			}
			if want := fmt.Sprintf("Queued %q to %s", tt.wantSubject, tt.wantTo); res.Message != want {
				t.Fatalf("message = %q, want %q", res.Message, want)
			}
		})
	}
}

func TestSendEmailErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  map[string]any
		vars    map[string]any
		class   string
		wantErr string
	}{
		{name: "recipient not an address", params: map[string]any{"template": "welcome_qualified_lead", "recipient": "jane at example"},
			class: workflow.ClassValidation, wantErr: `send_email: recipient "jane at example" is not an email address`},
		{name: "recipient unset", params: map[string]any{"template": "welcome_qualified_lead", "recipient": nil},
			class: workflow.ClassValidation, wantErr: "send_email: recipient is empty (the variable it comes from has no value)"},
		{name: "recipient not text", params: map[string]any{"template": "welcome_qualified_lead", "recipient": 42.0},
			class: workflow.ClassValidation, wantErr: `send_email: recipient "42" is not an email address`},
		{name: "unknown template", params: map[string]any{"template": "fax_cover", "recipient": "jane@example.com"},
			class: workflow.ClassValidation, wantErr: `send_email: there is no email template "fax_cover"`},
		{name: "no template", params: map[string]any{"recipient": "jane@example.com"},
			class: workflow.ClassValidation, wantErr: "send_email: template is empty"},
		{name: "body uses a missing name", params: map[string]any{"template": "followup_engaged_lead", "recipient": "jane@example.com"},
			vars:  map[string]any{"firstName": "Jane"},
			class: workflow.ClassExpression, wantErr: `send_email: the body of template "followup_engaged_lead": unknown name "lead"`},
		{name: "subject uses a missing name", params: map[string]any{"template": "bad_subject", "recipient": "jane@example.com",
			"data": map[string]any{"amount": 5.0}},
			class: workflow.ClassExpression, wantErr: `send_email: the subject of template "bad_subject": unknown name "deal"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, "send_email", tt.params, tt.vars)
			wantStepError(t, err, tt.class, true, tt.wantErr)
			if len(res.Effects) != 0 {
				t.Fatalf("a failed send_email asked for %d effects", len(res.Effects))
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantNames := []string{"call_api", "create_record", "create_task", "find_records", "get_record", "send_email", "set_variable", "update_record"}
	if got := b.registry.Names(); !slices.Equal(got, wantNames) {
		t.Fatalf("Names() = %v, want %v", got, wantNames)
	}
	specs := b.registry.Specs()
	var specNames []string
	for _, s := range specs {
		specNames = append(specNames, s.Name)
		if s.Title == "" || s.Description == "" || len(s.Params) == 0 {
			t.Errorf("spec %q is incomplete: %+v", s.Name, s)
		}
	}
	if !slices.Equal(specNames, wantNames) {
		t.Fatalf("Specs() names = %v, want %v", specNames, wantNames)
	}
	tests := []struct {
		name       string
		want       bool
		wantParams []string
	}{
		{"send_email", true, []string{"template", "recipient", "data"}},
		{"create_task", true, []string{"title", "description", "assignee", "priority", "dueDate", "relatedType", "relatedId", "wait"}},
		{"set_variable", true, []string{"name", "value"}},
		{"create_record", true, []string{"entity", "data"}},
		{"update_record", true, []string{"entity", "id", "data"}},
		{"call_fax", false, nil},
		{"", false, nil},
	}
	for _, tt := range tests {
		a, ok := b.registry.Get(tt.name)
		if ok != tt.want || b.registry.Has(tt.name) != tt.want {
			t.Errorf("Get/Has(%q) = %t, want %t", tt.name, ok, tt.want)
			continue
		}
		if !ok {
			if a != nil {
				t.Errorf("Get(%q) returned %T for a missing action", tt.name, a)
			}
			continue
		}
		var params []string
		for _, p := range a.Spec().Params {
			params = append(params, p.Name)
		}
		if a.Spec().Name != tt.name || !slices.Equal(params, tt.wantParams) {
			t.Errorf("Get(%q) = %s with params %v, want params %v", tt.name, a.Spec().Name, params, tt.wantParams)
		}
	}
	if got := actions.NewRegistry().Names(); len(got) != 0 {
		t.Fatalf("an empty registry has names %v", got)
	}
}

func TestSendEmailCheckAtSaveTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, _ := b.registry.Get("send_email")
	check := a.Spec().Check
	if check == nil {
		t.Fatal("send_email has no save-time check")
	}
	tests := []struct {
		template any
		want     string
	}{
		{"welcome_qualified_lead", ""},
		{"{{ lead.template }}", ""}, // known only when the step runs
		{"fax_cover", `template: there is no email template "fax_cover"`},
	}
	for _, tt := range tests {
		ps := check(map[string]any{"template": tt.template}, checkEnv{known: []string{"welcome_qualified_lead"}})
		var got []string
		for _, p := range ps {
			got = append(got, p.Path+": "+p.Message)
		}
		if strings.Join(got, "; ") != tt.want {
			t.Errorf("Check(template %v) = %q, want %q", tt.template, got, tt.want)
		}
	}
}

// A template's placeholders must each be given in data or be a variable of the workflow.
func TestSendEmailChecksTheTemplatesPlaceholders(t *testing.T) {
	check := actions.SendEmail{}.Spec().Check
	env := checkEnv{known: []string{"welcome"}, declared: []string{"lead"},
		placeholders: map[string][]string{"welcome": {"firstName", "lead", "companyName"}}}
	for _, tt := range []struct {
		data any
		want string
	}{
		{map[string]any{"firstName": "{{ lead.firstName }}", "companyName": "{{ lead.company.name }}"}, ""},
		{map[string]any{"firstName": "{{ lead.firstName }}"}, `data: template "welcome" uses "companyName", which this step does not give: add it to data`},
		{nil, `data: template "welcome" uses "firstName", "companyName", which this step does not give: add them to data`},
		{"{{ steps.prepare.data }}", ""}, // known only when it runs
	} {
		params := map[string]any{"template": "welcome"}
		if tt.data != nil {
			params["data"] = tt.data
		}
		var got []string
		for _, p := range check(params, env) {
			got = append(got, p.Path+": "+p.Message)
		}
		if s := strings.Join(got, "; "); (tt.want == "" && s != "") || !strings.HasPrefix(s, tt.want) {
			t.Errorf("data %v: %q, want %q", tt.data, s, tt.want)
		}
	}
}

type checkEnv struct {
	known        []string
	declared     []string
	placeholders map[string][]string
}

func (e checkEnv) IsDeclared(name string) bool          { return slices.Contains(e.declared, name) }
func (e checkEnv) EmailTemplateExists(name string) bool { return slices.Contains(e.known, name) }
func (e checkEnv) EmailTemplatePlaceholders(name string) ([]string, bool) {
	p, ok := e.placeholders[name]
	return p, ok
}

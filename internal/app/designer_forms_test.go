package app_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func actionSpecs() []workflow.ActionSpec {
	return actions.NewRegistry(actions.Builtin(actions.Deps{})...).Specs()
}

// step decodes a step written as JSON, so configurations have the types a decoded definition has.
func step(t *testing.T, src string) workflow.Step {
	t.Helper()
	var s workflow.Step
	if err := json.Unmarshal([]byte(src), &s); err != nil {
		t.Fatalf("step %s: %v", src, err)
	}
	return s
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit is the panel's form for a step as rendered, with changes, as the browser sends it.
func edit(values url.Values, changes map[string]string) url.Values {
	form := url.Values{"apply": {"1"}}
	for k, v := range values {
		form[k] = v
	}
	for k, v := range changes {
		if v == "\x00" {
			form.Del(k)
			continue
		}
		form.Set(k, v)
	}
	return form
}

// Every step of every built-in template, and steps using every parameter kind, come back unchanged from
// their own panel.
func TestStepFormRoundTrip(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	templates, err := app.Templates()
	if err != nil {
		t.Fatal(err)
	}
	var steps []workflow.Step
	for _, tpl := range templates {
		def, err := app.TemplateDefinition(tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, def.Steps...)
	}
	steps = append(steps,
		step(t, `{"id":"call","name":"Call","type":"action","nextSteps":["x"],"position":{"x":10,"y":20},
			"configuration":{"action":"call_api","parameters":{"method":"POST","url":"https://api.example.com/{{lead.id}}",
			"headers":{"Authorization":"Bearer {{token}}"},"body":{"email":"{{lead.email}}","n":[1,2]},"timeout":12.5,"expectedStatus":[200,201]}},
			"errorHandling":{"onError":"retry","retryCount":3,"retryDelay":30,"backoff":"exponential"}}`),
		step(t, `{"id":"set","name":"Set","type":"action","nextSteps":[],"configuration":{"action":"set_variable","parameters":{"name":"score","value":"{{lead.score}}"}}}`),
		step(t, `{"id":"set2","name":"Set text","type":"action","nextSteps":[],"configuration":{"action":"set_variable","parameters":{"name":"note","value":"hello <b>"}}}`),
		step(t, `{"id":"set3","name":"Set number","type":"action","nextSteps":[],"configuration":{"action":"set_variable","parameters":{"name":"n","value":3}}}`),
		step(t, `{"id":"todo","name":"To-do","type":"action","nextSteps":[],"configuration":{"action":"create_task","parameters":{"title":"Call","assignee":"{{lead.assignedTo}}","priority":"high","dueDate":"+2 days"}}}`),
		step(t, `{"id":"tmo","name":"Timeout template","type":"action","nextSteps":[],"configuration":{"action":"call_api","parameters":{"url":"https://x.example","timeout":"{{seconds}}"}}}`),
		step(t, `{"id":"short","name":"Short","type":"delay","nextSteps":[],"configuration":{"duration":90}}`),
		step(t, `{"id":"long","name":"Long","type":"delay","nextSteps":[],"configuration":{"duration":95400}}`),
		step(t, `{"id":"until","name":"Until","type":"delay","nextSteps":[],"configuration":{"until":"date(lead.closeDate)"}}`),
		step(t, `{"id":"fork","name":"Fork","type":"parallel","nextSteps":["join"],"configuration":{"parallelSteps":["a","b"]},"errorHandling":{"onError":"continue","retryCount":0,"retryDelay":0}}`),
		step(t, `{"id":"ask","name":"Ask","type":"human_task","nextSteps":[],"configuration":{"assignee":"rep@example.com","title":"Answer",
			"description":"Please","dueDate":"+1 day","formFields":[{"name":"choice","label":"Your choice","type":"select","required":true,"options":["a","b c"],"help":"pick one"},
			{"name":"ok","type":"checkbox","required":false},{"name":"when","type":"date"}]}}`),
		step(t, `{"id":"sla","name":"Call back","type":"human_task","nextSteps":[],"configuration":{"assignee":"team:closers","assignment":"round_robin",
			"title":"Call back","due":"+8 business hours","reminders":["-4h","0h"],"escalation":{"after":"2h","to":"manager","notify":true},"delegation":false}}`),
		step(t, `{"id":"sla2","name":"Quiet escalation","type":"human_task","nextSteps":[],"configuration":{"assignee":"rep@example.com",
			"title":"Call","dueDate":"+1 day","escalation":{"after":"1h","to":"team:closers","notify":false}}}`),
	)
	for _, s := range steps {
		form := edit(app.StepFormValues(s, specs), nil)
		got, errs := app.ParseStepForm(s, form, specs)
		if len(errs) > 0 {
			t.Errorf("step %s: errors %v from its own form %v", s.ID, errs, form)
			continue
		}
		if want, have := jsonOf(t, s), jsonOf(t, got); want != have {
			t.Errorf("step %s did not survive its panel:\nwant %s\ngot  %s\nform %v", s.ID, want, have, form)
		}
	}
}

func TestStepFormParamKinds(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	base := func(action string) workflow.Step {
		return step(t, `{"id":"s","name":"S","type":"action","nextSteps":[],"configuration":{"action":"`+action+`","parameters":{}}}`)
	}
	for _, tc := range []struct {
		name, action, field, text string
		want                      any    // the parameter's value; nil means absent
		err                       string // the field's error, when the text does not read
	}{
		{"text", "create_task", "title", "Call {{lead.firstName}}", "Call {{lead.firstName}}", ""},
		{"empty text removes", "create_task", "title", "  ", nil, ""},
		{"email", "send_email", "recipient", "{{lead.email}}", "{{lead.email}}", ""},
		{"date", "create_task", "dueDate", "+2 days", "+2 days", ""},
		{"enum", "create_task", "priority", "high", "high", ""},
		{"variable", "set_variable", "name", "score", "score", ""},
		{"number", "call_api", "timeout", "15", 15.0, ""},
		{"number as template", "call_api", "timeout", "{{seconds}}", "{{seconds}}", ""},
		{"number that is a word stays text", "call_api", "timeout", "soon", "soon", ""},
		{"object", "send_email", "data", `{"firstName": "{{lead.firstName}}"}`, map[string]any{"firstName": "{{lead.firstName}}"}, ""},
		{"object as whole template", "send_email", "data", `{{lead}}`, "{{lead}}", ""},
		{"bad object", "send_email", "data", `{"a": }`, nil, "data is not valid JSON at position 7"},
		{"trailing comma", "send_email", "data", `{"firstName": "{{lead.firstName}}",}`, nil, "data is not valid JSON at position 36"},
		{"any number", "set_variable", "value", "42", 42.0, ""},
		{"any list", "call_api", "expectedStatus", "[200, 201]", []any{200.0, 201.0}, ""},
		{"any bare word", "set_variable", "value", "hello", nil, `value is not valid JSON at position 1: invalid character 'h' looking for beginning of value; put text in double quotes, like "hello"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := base(tc.action)
			form := edit(app.StepFormValues(s, specs), map[string]string{"param." + tc.field: tc.text})
			got, errs := app.ParseStepForm(s, form, specs)
			if msg := errs["param."+tc.field]; (tc.err == "") != (msg == "") || !strings.HasPrefix(msg, tc.err) {
				t.Fatalf("error %q, want %q", msg, tc.err)
			}
			params := got.Configuration["parameters"].(map[string]any)
			v, present := params[tc.field]
			if tc.want == nil {
				if present {
					t.Fatalf("parameter %s = %#v, want none", tc.field, v)
				}
				return
			}
			if !reflect.DeepEqual(v, tc.want) {
				t.Fatalf("parameter %s = %#v, want %#v", tc.field, v, tc.want)
			}
		})
	}
}

// A field that does not read keeps the value it had, and changing the action keeps only the parameters the new
// one takes.
func TestStepFormKeepsAndDrops(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	s := step(t, `{"id":"mail","name":"Mail","type":"action","nextSteps":["n"],"configuration":{"action":"send_email",
		"parameters":{"template":"welcome","recipient":"{{lead.email}}","data":{"a":1}}}}`)
	got, errs := app.ParseStepForm(s, edit(app.StepFormValues(s, specs), map[string]string{"param.data": "{oops"}), specs)
	if errs["param.data"] == "" || !reflect.DeepEqual(got.Configuration["parameters"].(map[string]any)["data"], map[string]any{"a": 1.0}) {
		t.Fatalf("bad JSON: errors %v, data %v", errs, got.Configuration["parameters"])
	}
	got, _ = app.ParseStepForm(s, edit(app.StepFormValues(s, specs), map[string]string{"action": "create_task", "name": " Task "}), specs)
	params := got.Configuration["parameters"].(map[string]any)
	if got.Configuration["action"] != "create_task" || len(params) != 0 || got.Name != "Task" || !reflect.DeepEqual(got.NextSteps, []string{"n"}) {
		t.Fatalf("after changing the action: %s", jsonOf(t, got))
	}
	if s.Configuration["action"] != "send_email" {
		t.Fatal("parsing changed the step it started from")
	}
}

func TestFormFieldBuilder(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	s := step(t, `{"id":"ask","name":"Ask","type":"human_task","nextSteps":[],"configuration":{"assignee":"a@example.com","title":"T",
		"formFields":[{"name":"a","type":"text","required":true},{"name":"b","type":"number","required":false},{"name":"c","type":"select","options":["x","y"],"required":false}]}}`)
	names := func(st workflow.Step) string {
		var out []string
		for _, f := range st.Configuration["formFields"].([]any) {
			out = append(out, f.(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		op, want string
	}{
		{"add_field", "a,b,c,"},
		{"remove_field:1", "a,c"},
		{"remove_field:9", "a,b,c"},
		{"up:2", "a,c,b"},
		{"up:0", "a,b,c"},
		{"down:0", "b,a,c"},
		{"down:2", "a,b,c"},
	} {
		got, _ := app.ParseStepForm(s, edit(app.StepFormValues(s, specs), map[string]string{"op": tc.op}), specs)
		if names(got) != tc.want {
			t.Errorf("%s: fields %s, want %s", tc.op, names(got), tc.want)
		}
	}
	// Type, options as comma-separated text, required, label.
	got, _ := app.ParseStepForm(s, edit(app.StepFormValues(s, specs), map[string]string{
		"field.0.type": "select", "field.0.options": " hot, warm ,, cold ", "field.0.required": "\x00", "field.0.label": "Temperature",
		"field.2.type": "text", "field.1.required": "on",
	}), specs)
	fields := got.Configuration["formFields"].([]any)
	want := []any{
		map[string]any{"name": "a", "type": "select", "label": "Temperature", "required": false, "options": []any{"hot", "warm", "cold"}},
		map[string]any{"name": "b", "type": "number", "required": true},
		map[string]any{"name": "c", "type": "text", "required": false},
	}
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("fields\n%s\nwant\n%s", jsonOf(t, fields), jsonOf(t, want))
	}
	// The added field is blank and says so.
	got, _ = app.ParseStepForm(s, edit(app.StepFormValues(s, specs), map[string]string{"op": "add_field"}), specs)
	if last := got.Configuration["formFields"].([]any)[3]; !reflect.DeepEqual(last, map[string]any{"name": "", "type": "text", "required": false}) {
		t.Fatalf("added field %v", last)
	}
}

func TestDelayForm(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	s := step(t, `{"id":"w","name":"Wait","type":"delay","nextSteps":[],"configuration":{"duration":259200}}`)
	if v := app.StepFormValues(s, specs); v.Get("days") != "3" || v.Get("hours") != "0" || v.Get("minutes") != "0" || v.Get("delayMode") != "duration" {
		t.Fatalf("3 days shows as %v", v)
	}
	for _, tc := range []struct {
		name    string
		changes map[string]string
		want    string // the configuration as JSON
		errs    string // the fields with errors
	}{
		{"units add up", map[string]string{"days": "1", "hours": "2", "minutes": "30"}, `{"duration":95400}`, ""},
		{"fractions", map[string]string{"days": "", "hours": "1.5", "minutes": ""}, `{"duration":5400}`, ""},
		{"empty means none", map[string]string{"days": "", "hours": "", "minutes": ""}, `{}`, ""},
		{"a word keeps the old duration", map[string]string{"days": "two"}, `{"duration":259200}`, "days"},
		{"until", map[string]string{"delayMode": "until", "until": "date(opportunity.closeDate) - duration(\"24h\")"}, `{"until":"date(opportunity.closeDate) - duration(\"24h\")"}`, ""},
		{"in words", map[string]string{"durationWords": " 2 business days "}, `{"duration":"2 business days"}`, ""},
		{"in a team's hours", map[string]string{"delayMode": "until", "until": "next business day 9:00", "calendar": "team:closers"},
			`{"calendar":"team:closers","until":"next business day 9:00"}`, ""},
	} {
		got, errs := app.ParseStepForm(s, edit(app.StepFormValues(s, specs), tc.changes), specs)
		var bad []string
		for f := range errs {
			bad = append(bad, f)
		}
		if have := jsonOf(t, got.Configuration); have != tc.want || strings.Join(bad, ",") != tc.errs {
			t.Errorf("%s: configuration %s errors %v; want %s errors %s", tc.name, have, errs, tc.want, tc.errs)
		}
	}
}

// A duration in words shows in its own field, with the numbers empty, and the calendar in its own.
func TestDelayFormInWords(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	s := step(t, `{"id":"w","name":"Wait","type":"delay","nextSteps":[],"configuration":{"duration":"8 business hours","calendar":"team:closers"}}`)
	v := app.StepFormValues(s, specs)
	if v.Get("durationWords") != "8 business hours" || v.Get("days") != "" || v.Get("calendar") != "team:closers" || v.Get("delayMode") != "duration" {
		t.Fatalf("8 business hours shows as %v", v)
	}
	got, errs := app.ParseStepForm(s, edit(v, map[string]string{"durationWords": "", "hours": "3", "calendar": ""}), specs)
	if have := jsonOf(t, got.Configuration); have != `{"duration":10800}` || len(errs) > 0 {
		t.Errorf("back to numbers: %s %v", have, errs)
	}
}

func TestErrorHandlingForm(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	s := step(t, `{"id":"c","name":"C","type":"condition","nextSteps":[],"configuration":{"condition":"true","trueSteps":["a"],"falseSteps":["b"]},
		"errorHandling":{"onError":"retry","retryCount":2,"retryDelay":60}}`)
	for _, tc := range []struct {
		name    string
		changes map[string]string
		want    string
		errs    int
	}{
		{"empty removes it", map[string]string{"onError": "", "retryCount": "", "retryDelay": "", "backoff": ""}, `null`, 0},
		{"continue", map[string]string{"onError": "continue", "retryCount": "", "retryDelay": ""}, `{"retryCount":0,"retryDelay":0,"onError":"continue"}`, 0},
		{"exponential", map[string]string{"retryCount": "5", "retryDelay": "2.5", "backoff": "exponential"}, `{"retryCount":5,"retryDelay":2.5,"onError":"retry","backoff":"exponential"}`, 0},
		{"bad count keeps the old one", map[string]string{"retryCount": "many"}, `{"retryCount":2,"retryDelay":60,"onError":"retry"}`, 1},
		{"retries without onError", map[string]string{"onError": ""}, `{"retryCount":2,"retryDelay":60,"onError":""}`, 0},
	} {
		got, errs := app.ParseStepForm(s, edit(app.StepFormValues(s, specs), tc.changes), specs)
		if have := jsonOf(t, got.ErrorHandling); have != tc.want || len(errs) != tc.errs {
			t.Errorf("%s: %s errors %v, want %s", tc.name, have, errs, tc.want)
		}
		if jsonOf(t, got.Configuration) != jsonOf(t, s.Configuration) {
			t.Errorf("%s: the condition's branches changed: %s", tc.name, jsonOf(t, got.Configuration))
		}
	}
	// A step without error handling gets none from an untouched panel.
	plain := step(t, `{"id":"p","name":"P","type":"condition","nextSteps":[],"configuration":{"condition":"x > 1"}}`)
	got, _ := app.ParseStepForm(plain, edit(app.StepFormValues(plain, specs), map[string]string{"condition": "x > 2"}), specs)
	if got.ErrorHandling != nil || got.Configuration["condition"] != "x > 2" {
		t.Fatalf("got %s", jsonOf(t, got))
	}
}

func TestApplyStepAndStart(t *testing.T) {
	t.Parallel()
	def := &workflow.Definition{Name: "W", Steps: []workflow.Step{{ID: "a", Name: "A"}, {ID: "b", Name: "B"}, {ID: "c", Name: "C"}}}
	got := app.ApplyStep(def, workflow.Step{ID: "c", Name: "C2"}, true)
	if ids := []string{got.Steps[0].ID, got.Steps[1].ID, got.Steps[2].ID}; !reflect.DeepEqual(ids, []string{"c", "a", "b"}) || got.Steps[0].Name != "C2" {
		t.Fatalf("start moved to %v", got.Steps)
	}
	if def.Steps[2].Name != "C" || def.Steps[0].ID != "a" {
		t.Fatal("ApplyStep changed the definition it was given")
	}
	got = app.ApplyStep(def, workflow.Step{ID: "b", Name: "B2"}, false)
	if got.Steps[1].Name != "B2" || got.Steps[0].ID != "a" {
		t.Fatalf("edit in place: %v", got.Steps)
	}
}

func TestTriggerForm(t *testing.T) {
	t.Parallel()
	trig := func(src string) workflow.Trigger {
		var tr workflow.Trigger
		if err := json.Unmarshal([]byte(src), &tr); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	for _, tc := range []struct {
		name    string
		base    string
		changes map[string]string
		want    string
		errs    string
	}{
		{"manual", `{"type":"manual","configuration":{}}`, nil, `{"type":"manual","configuration":{}}`, ""},
		{"scheduled round trip", `{"type":"scheduled","configuration":{"cron":"0 9 * * 1-5","timezone":"Europe/Berlin","catchUp":"skip","variables":{"region":"north"}}}`,
			nil, `{"type":"scheduled","configuration":{"catchUp":"skip","cron":"0 9 * * 1-5","timezone":"Europe/Berlin","variables":{"region":"north"}}}`, ""},
		{"scheduled edit", `{"type":"scheduled","configuration":{"cron":"@daily"}}`,
			map[string]string{"cron": "*/15 * * * *", "timezone": "America/New_York", "catchUp": "once", "scheduleVariables": `{"n": 2}`},
			`{"type":"scheduled","configuration":{"catchUp":"once","cron":"*/15 * * * *","timezone":"America/New_York","variables":{"n":2}}}`, ""},
		{"scheduled bad variables", `{"type":"scheduled","configuration":{"cron":"@daily","variables":{"a":1}}}`,
			map[string]string{"scheduleVariables": `{"a": 2`}, `{"type":"scheduled","configuration":{"cron":"@daily","variables":{"a":1}}}`, "scheduleVariables"},
		{"scheduled variables not an object", `{"type":"scheduled","configuration":{"cron":"@daily"}}`,
			map[string]string{"scheduleVariables": `[1]`}, `{"type":"scheduled","configuration":{"cron":"@daily"}}`, "scheduleVariables"},
		{"event known", `{"type":"event","configuration":{"event":"lead_qualified"}}`, map[string]string{"event": "opportunity_won", "filter": "opportunity.amount > 1000"},
			`{"type":"event","configuration":{"event":"opportunity_won","filter":"opportunity.amount \u003e 1000"}}`, ""},
		{"event custom wins", `{"type":"event","configuration":{"event":"lead_qualified","filter":"x"}}`, map[string]string{"customEvent": "trade_show_scan", "filter": ""},
			`{"type":"event","configuration":{"event":"trade_show_scan"}}`, ""},
		{"event custom round trip", `{"type":"event","configuration":{"event":"form_submitted"}}`, nil, `{"type":"event","configuration":{"event":"form_submitted"}}`, ""},
		{"webhook signed by default", `{"type":"webhook","configuration":{}}`, nil, `{"type":"webhook","configuration":{}}`, ""},
		{"webhook unsigned", `{"type":"webhook","configuration":{}}`, map[string]string{"requireSignature": "\x00"}, `{"type":"webhook","configuration":{"requireSignature":false}}`, ""},
		{"webhook signed again", `{"type":"webhook","configuration":{"requireSignature":false}}`, map[string]string{"requireSignature": "on"}, `{"type":"webhook","configuration":{"requireSignature":true}}`, ""},
		{"a new type starts afresh", `{"type":"event","configuration":{"event":"lead_qualified"}}`, map[string]string{"triggerType": "webhook"}, `{"type":"webhook","configuration":{}}`, ""},
	} {
		base := trig(tc.base)
		got, errs := app.ParseTriggerForm(base, edit(app.TriggerFormValues(base), tc.changes))
		var bad []string
		for f := range errs {
			bad = append(bad, f)
		}
		if have := jsonOf(t, got); have != tc.want || strings.Join(bad, ",") != tc.errs {
			t.Errorf("%s: %s errors %v\nwant %s errors %q", tc.name, have, errs, tc.want, tc.errs)
		}
	}
}

func TestVariablesForm(t *testing.T) {
	t.Parallel()
	base := []workflow.Variable{
		{Name: "lead", Type: "object", Required: true, Description: "the lead"},
		{Name: "note", Type: "string", Default: "hi there"},
		{Name: "limit", Type: "number", Default: 5.0},
		{Name: "tags", Type: "array", Default: []any{"a", "b"}},
	}
	got, errs := app.ParseVariablesForm(base, edit(app.VariablesFormValues(base), nil))
	if len(errs) > 0 || jsonOf(t, got) != jsonOf(t, base) {
		t.Fatalf("round trip: %s errors %v", jsonOf(t, got), errs)
	}
	names := func(vs []workflow.Variable) string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return strings.Join(out, ",")
	}
	for op, want := range map[string]string{"add_var": "lead,note,limit,tags,", "remove_var:0": "note,limit,tags", "var_up:3": "lead,note,tags,limit", "var_down:0": "note,lead,limit,tags"} {
		got, _ := app.ParseVariablesForm(base, edit(app.VariablesFormValues(base), map[string]string{"op": op}))
		if names(got) != want {
			t.Errorf("%s: %s, want %s", op, names(got), want)
		}
	}
	got, errs = app.ParseVariablesForm(base, edit(app.VariablesFormValues(base), map[string]string{
		"var.1.default": "42", "var.2.default": "{bad", "var.0.required": "\x00", "var.3.type": "object", "var.3.default": "",
	}))
	if got[1].Default != "42" || got[2].Default != 5.0 || got[0].Required || got[3].Type != "object" || got[3].Default != nil {
		t.Fatalf("edited: %s", jsonOf(t, got))
	}
	if msg := errs["var.2.default"]; !strings.HasPrefix(msg, "the default is not valid JSON at position 2") || len(errs) != 1 {
		t.Fatalf("errors %v", errs)
	}
	// Removing the last variable leaves none.
	one := base[:1]
	if got, _ := app.ParseVariablesForm(one, edit(app.VariablesFormValues(one), map[string]string{"op": "remove_var:0"})); len(got) != 0 {
		t.Fatalf("after removing the only variable: %v", got)
	}
}

func TestProblemField(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"steps[3].configuration.condition":                     "condition",
		"steps[0].name":                                        "name",
		"steps[12].configuration.parameters.recipient":         "param.recipient",
		"steps[1].configuration.parameters.data.firstName":     "param.data",
		"steps[1].configuration.parameters.expectedStatus[0]":  "param.expectedStatus",
		"steps[2].configuration.formFields[1].options":         "field.1.options",
		"steps[2].configuration.formFields[0]":                 "field.0.name",
		"steps[2].configuration.duration":                      "duration",
		"steps[2].configuration.until":                         "until",
		"steps[2].configuration.dueDate":                       "dueDate",
		"steps[2].configuration.due":                           "dueDate",
		"steps[2].configuration.reminders[1]":                  "reminders",
		"steps[2].configuration.escalation.to":                 "escalation.to",
		"steps[2].configuration.escalation":                    "escalation.after",
		"steps[2].configuration.assignment":                    "assignment",
		"steps[2].configuration.delegation":                    "delegation",
		"steps[4].errorHandling.retryCount":                    "retryCount",
		"steps[4].configuration.falseSteps":                    "",
		"steps[4].nextSteps":                                   "",
		"steps[4]":                                             "",
		"trigger.configuration.cron":                           "cron",
		"trigger.configuration.filter":                         "filter",
		"trigger.configuration.variables.region":               "scheduleVariables",
		"trigger.type":                                         "triggerType",
		"variables[2].name":                                    "var.2.name",
		"variables[0].type":                                    "var.0.type",
		"variables[5]":                                         "var.5.name",
		"name":                                                 "",
		"steps":                                                "",
		"steps[0].configuration.parameters.data.nested.deeper": "param.data",
	} {
		if got := app.ProblemField(path); got != want {
			t.Errorf("ProblemField(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestVariableSuggestions(t *testing.T) {
	t.Parallel()
	def := &workflow.Definition{Variables: []workflow.Variable{{Name: "lead", Type: "object"}, {Name: "callDate", Type: "string"}, {Name: "opportunity", Type: "object"}}}
	got := strings.Join(app.VariableSuggestions(def), " ")
	for _, want := range []string{"{{lead}}", "{{lead.email}}", "{{lead.company.name}}", "{{callDate}}", "{{opportunity.contact.email}}", "{{opportunity.assignedTo}}"} {
		if !strings.Contains(got, want) {
			t.Errorf("suggestions lack %s: %s", want, got)
		}
	}
	if strings.Contains(got, "{{callDate.") {
		t.Errorf("a plain variable got fields: %s", got)
	}
}

// The panel reads the typed configuration: lists built in Go ([]string, []map[string]any) show like decoded
// ones, and a value of the wrong type is shown as it was written, for validation to point at.
func TestStepFormValuesReadTheTypedConfiguration(t *testing.T) {
	t.Parallel()
	step := workflow.Step{ID: "review", Name: "Review", Type: workflow.StepHumanTask, Configuration: map[string]any{
		"assignee": "rep@example.com", "title": 42.0,
		"formFields": []map[string]any{{"name": "outcome", "type": "select", "options": []string{"won", "lost"}, "required": true}},
	}}
	v := app.StepFormValues(step, nil)
	for field, want := range map[string]string{"assignee": "rep@example.com", "title": "42", "field.0.name": "outcome",
		"field.0.options": "won, lost", "field.0.required": "on"} {
		if got := v.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	back, errs := app.ParseStepForm(step, v, nil)
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	cfg := back.Config().(*workflow.HumanTaskConfig)
	if len(cfg.FormFields) != 1 || !slices.Equal(cfg.FormFields[0].Options, []string{"won", "lost"}) || !cfg.FormFields[0].Required {
		t.Fatalf("form fields read back as %#v", cfg.FormFields)
	}
}

// A manager sets a task's SLA in its panel: reminders as a list, an escalation that mails by default,
// delegation turned off and on again; emptying the escalation's fields removes it, and an edit of the
// panel keeps an escalation setting the panel does not draw.
func TestHumanTaskSLAForm(t *testing.T) {
	t.Parallel()
	specs := actionSpecs()
	base := step(t, `{"id":"ask","name":"Ask","type":"human_task","nextSteps":[],"configuration":{"assignee":"team:closers","title":"Call","due":"+8 business hours"}}`)
	values := app.StepFormValues(base, specs)
	if values.Get(app.PanelDueDate) != "+8 business hours" || values.Get(app.PanelEscalateNotify) != "on" || values.Get(app.PanelDelegation) != "on" {
		t.Fatalf("the panel of a task with no SLA yet shows %v", values)
	}
	got, errs := app.ParseStepForm(base, edit(values, map[string]string{app.PanelReminders: " -4h, ,0h ", app.PanelEscalateAfter: "2h",
		app.PanelEscalateTo: "manager", app.PanelAssignment: "least_loaded", app.PanelDelegation: "\x00"}), specs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := `{"assignee":"team:closers","assignment":"least_loaded","delegation":false,"due":"+8 business hours","escalation":{"after":"2h","notify":true,"to":"manager"},"reminders":["-4h","0h"],"title":"Call"}`
	if have := jsonOf(t, got.Configuration); have != want {
		t.Errorf("after the edit:\nwant %s\ngot  %s", want, have)
	}

	got.Configuration["escalation"].(map[string]any)["later"] = "kept"
	again, _ := app.ParseStepForm(got, edit(app.StepFormValues(got, specs), map[string]string{app.PanelEscalateAfter: "3h",
		app.PanelEscalateNotify: "\x00", app.PanelDelegation: "on"}), specs)
	esc := again.Configuration["escalation"].(map[string]any)
	if esc["after"] != "3h" || esc["notify"] != false || esc["later"] != "kept" {
		t.Errorf("the escalation after a second edit: %v", esc)
	}
	if _, ok := again.Configuration["delegation"]; ok {
		t.Errorf("delegation ticked again is still written: %v", again.Configuration["delegation"])
	}

	cleared, _ := app.ParseStepForm(again, edit(app.StepFormValues(again, specs), map[string]string{app.PanelEscalateAfter: "",
		app.PanelEscalateTo: "", app.PanelReminders: ""}), specs)
	for _, k := range []string{"escalation", "reminders"} {
		if v, ok := cleared.Configuration[k]; ok {
			t.Errorf("emptied in the panel, %s is still %v", k, v)
		}
	}
}

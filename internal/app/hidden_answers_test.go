package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// hiddenRun is a run where rep 1 (ann) answered "review", rep 2 (bob) answered "check" and holds "next",
// and a later step copied ann's answer into a mail's subject.
func hiddenRun(t *testing.T) ([]store.HumanTask, *ExecutionView) {
	t.Helper()
	ann, bob := int64(1), int64(2)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	rows := []store.HumanTask{
		{ID: "t1", StepID: "review", Assignee: "ann@example.com", AssigneeID: &ann, Status: "completed", CompletedBy: "ann@example.com",
			Description: "Ann's instructions", FormFields: store.MustJSON([]map[string]any{{"name": "note", "type": "text"}}),
			Values: store.MustJSON(map[string]any{"note": "Wants the oak tables", "size": 12, "ok": "y"})},
		{ID: "t2", StepID: "check", Assignee: "bob@example.com", AssigneeID: &bob, Status: "completed", CompletedBy: "bob@example.com",
			FormFields: store.MustJSON([]map[string]any{{"name": "verdict", "type": "text"}}), Values: store.MustJSON(map[string]any{"verdict": "Fine by me"})},
		{ID: "t3", StepID: "next", Assignee: "bob@example.com", AssigneeID: &bob, Status: "open", Title: "Call: Wants the oak tables",
			FormFields: store.MustJSON([]map[string]any{{"name": "when", "type": "date"}})},
		{ID: "t4", StepID: "later", Assignee: "ann@example.com", AssigneeID: &ann, Status: "open", Title: "Ship: Wants the oak tables",
			Description: "Before Friday", FormFields: store.MustJSON([]map[string]any{{"name": "shipped", "type": "boolean"}})},
	}
	var views []TaskView
	for i := range rows {
		v, err := taskView(&rows[i], at)
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, v)
	}
	var v ExecutionView
	src := `{
		"variables": {"note": "Wants the oak tables", "size": 12, "ok": "y", "verdict": "Fine by me", "customer": "Acme",
			"subject": "Re: Wants the oak tables!"},
		"stepOutputs": {"review": {"note": "Wants the oak tables"}, "check": {"verdict": "Fine by me"},
			"mail": {"subject": "Re: Wants the oak tables!"}, "lookup": {"customer": "Acme"}},
		"executionLog": [
			{"stepId": "review", "action": "completed", "message": "Completed by ann@example.com",
				"data": {"completedBy": "ann@example.com", "values": {"note": "Wants the oak tables"}}},
			{"stepId": "check", "action": "completed", "message": "Completed by bob@example.com",
				"data": {"completedBy": "bob@example.com", "values": {"verdict": "Fine by me"}}},
			{"stepId": "mail", "action": "completed", "message": "Queued \"Re: Wants the oak tables!\" to a@b.example"},
			{"stepId": "ghost", "action": "completed", "message": "Completed by max@example.com",
				"data": {"completedBy": "max@example.com", "values": {"x": "who knows"}}}
		],
		"error": "nothing matched Wants the oak tables"
	}`
	if err := json.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	v.Tasks = views
	return rows, &v
}

func TestOthersAnswersAreHiddenFromARep(t *testing.T) {
	t.Parallel()
	rows, v := hiddenRun(t)
	if err := hideOthersAnswers(readScope{user: 2, email: "bob@example.com"}, rows, v); err != nil {
		t.Fatal(err)
	}
	byAnn := "hidden: answered by ann@example.com"
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"variable note (ann's field)", v.Variables["note"], byAnn},
		{"variable size (ann's field)", v.Variables["size"], byAnn},
		{"variable ok (ann's field, too short to look for elsewhere)", v.Variables["ok"], byAnn},
		{"variable subject (repeats ann's answer)", v.Variables["subject"], byAnn},
		{"variable verdict (bob's own)", v.Variables["verdict"], "Fine by me"},
		{"variable customer", v.Variables["customer"], "Acme"},
		{"output of review (ann's task)", v.StepOutputs["review"], byAnn},
		{"output of mail (repeats ann's answer)", v.StepOutputs["mail"], byAnn},
		{"output of check (bob's task)", v.StepOutputs["check"].(map[string]any)["verdict"], "Fine by me"},
		{"output of lookup", v.StepOutputs["lookup"].(map[string]any)["customer"], "Acme"},
		{"log: ann's completion", v.ExecutionLog[0].Data.(map[string]any)["values"], byAnn},
		{"log: ann's completion message", v.ExecutionLog[0].Message, "Completed by ann@example.com"},
		{"log: bob's completion", v.ExecutionLog[1].Data.(map[string]any)["values"].(map[string]any)["verdict"], "Fine by me"},
		{"log: a message repeating ann's answer", v.ExecutionLog[2].Message, byAnn},
		{"log: a completion no task accounts for", v.ExecutionLog[3].Data.(map[string]any)["values"], "hidden: answered by max@example.com"},
		{"error repeating ann's answer", v.Error, byAnn},
		{"ann's task: description", v.Tasks[0].Description, ""},
		{"ann's task: values", v.Tasks[0].Values == nil, true},
		{"ann's task: form", len(v.Tasks[0].FormFields), 0},
		{"ann's task: why", v.Tasks[0].Hidden, byAnn},
		{"bob's task: values", v.Tasks[1].Values["verdict"], "Fine by me"},
		{"bob's task: why", v.Tasks[1].Hidden, ""},
		{"bob's open task: its title, written for him", v.Tasks[2].Title, "Call: Wants the oak tables"},
		{"bob's open task: form", len(v.Tasks[2].FormFields), 1},
		{"ann's open task: why", v.Tasks[3].Hidden, "hidden: assigned to ann@example.com"},
		{"ann's open task: description", v.Tasks[3].Description, ""},
		{"ann's open task: its title repeats her answer", v.Tasks[3].Title, byAnn},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
	all, _ := json.Marshal(v)
	if n := strings.Count(string(all), "Wants the oak tables"); n != 1 {
		t.Errorf("ann's answer shows %d times, want only in bob's own task's title: %s", n, all)
	}
}

func TestAManagerSeesEveryAnswer(t *testing.T) {
	t.Parallel()
	rows, v := hiddenRun(t)
	if err := hideOthersAnswers(readScope{all: true, user: 9}, rows, v); err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(v)
	if strings.Contains(string(all), "hidden:") || strings.Count(string(all), "Wants the oak tables") != 10 {
		t.Errorf("a manager's view lost answers: %s", all)
	}
}

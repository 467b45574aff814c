package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// replayRuns is how many runs the replay tests store and replay: the default of 100.
const replayRuns = 100

// replayWorkflow is a lead router: a hot lead (score above hot) gets a welcome mail and is posted to the
// scoring service, a cold one is reviewed by a rep, whose answer becomes a CRM to-do.
func replayWorkflow(hot int, recipient, apiURL string) map[string]any {
	return map[string]any{
		"name": "Route leads", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "score", "type": "number", "required": true}, {"name": "email", "type": "string"}},
		"steps": []map[string]any{
			{"id": "hot", "name": "Hot lead?", "type": "condition", "configuration": map[string]any{
				"condition": fmt.Sprintf("score > %d", hot), "trueSteps": []string{"welcome"}, "falseSteps": []string{"review"}}},
			{"id": "welcome", "name": "Welcome mail", "type": "action", "nextSteps": []string{"post"},
				"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{"template": "welcome_qualified_lead",
					"recipient": recipient, "data": map[string]any{"firstName": "there", "companyName": "your kitchen"}}}},
			{"id": "post", "name": "Tell the scoring service", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"method": "POST", "url": apiURL,
					"body": map[string]any{"score": "{{ score }}"}}}},
			{"id": "review", "name": "Review the lead", "type": "human_task", "nextSteps": []string{"todo"},
				"configuration": map[string]any{"assignee": "rep@example.com", "title": "Review",
					"formFields": []map[string]any{{"name": "plan", "type": "text", "required": true}}}},
			{"id": "todo", "name": "Follow up", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "{{ plan }}", "assignee": "rep@example.com"}}},
		},
	}
}

// replayHistory stores replayRuns runs of the published router (hot above 50), scores 0 to 99, every fifth
// lead's email not an address; the reviews of even scores are answered, the others left open.
func replayHistory(t testing.TB, h *harness, api string) string {
	t.Helper()
	wf := h.createWorkflow(replayWorkflow(50, "sales@example.com", api))
	ids := make([]string, replayRuns)
	for i := range ids {
		email := fmt.Sprintf("lead%d@example.com", i)
		if i%5 == 0 {
			email = "not an address"
		}
		ids[i] = h.startRun(wf, map[string]any{"score": i, "email": email})
	}
	for i, id := range ids {
		if i > 50 {
			h.waitStatus(id, "completed")
			continue
		}
		tk := h.openTask(id)
		if i%2 == 0 {
			h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{"plan": fmt.Sprintf("call %d", i)}}, nil)
			h.waitStatus(id, "completed")
		}
	}
	return wf
}

type replayAnswer struct {
	Version          int  `json:"version"`
	PublishedVersion *int `json:"publishedVersion"`
	Changed          int  `json:"changed"`
	Runs             []struct {
		ExecutionID      string   `json:"executionId"`
		PublishedPath    []string `json:"publishedPath"`
		DraftPath        []string `json:"draftPath"`
		PublishedOutcome string   `json:"publishedOutcome"`
		DraftOutcome     string   `json:"draftOutcome"`
		DraftFails       bool     `json:"draftFails"`
		Reason           string   `json:"reason"`
		Changed          bool     `json:"changed"`
	} `json:"runs"`
	Steps []struct {
		StepID    string `json:"stepId"`
		Runs      int    `json:"runs"`
		Mails     int    `json:"mails"`
		Tasks     int    `json:"tasks"`
		Records   int    `json:"records"`
		Calls     int    `json:"calls"`
		Published struct {
			Runs, Mails, Tasks, Calls int
		} `json:"published"`
	} `json:"steps"`
	Paths []struct {
		Path      []string `json:"path"`
		Published int      `json:"published"`
		Draft     int      `json:"draft"`
	} `json:"paths"`
	Totals struct {
		Draft, Published struct {
			Runs, Completed, Failed, Waiting, Mails, Tasks, Calls int
		}
	} `json:"totals"`
}

// The replay of a draft over the last 100 runs touches nothing — no mail, CRM to-do, human task, run or
// API call — and says where each run would go in both versions: the draft raises the bar for a hot lead
// to 80 and mails the lead itself, so leads 51–80 now go to a review nobody answered then (they would
// wait), and the hot leads whose email is no address fail.
func TestReplayOfADraftTouchesNothingAndShowsThePathMix(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		var calls atomic.Int32
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(api.Close)
		h := startTuned(t, url, func(c *config.Config, _ *server.Options) { c.HTTPAllow = "127.0.0.1" })
		wf := replayHistory(t, h, api.URL)

		var saved struct{ Version int }
		h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, replayWorkflow(80, "{{ email }}", api.URL), &saved)

		type counts struct{ mails, todos, tasks, runs, logs int64 }
		count := func() counts {
			// The workflow's own mails: the rep's task notifications belong to no run.
			return counts{h.count(&store.Mail{}, "execution_id IS NOT NULL"), h.count(&store.CRMTask{}), h.count(&store.HumanTask{}),
				h.count(&store.Execution{}), h.count(&store.LogRow{})}
		}
		before, callsBefore := count(), calls.Load()
		if callsBefore != 49 || before.mails != 49 {
			t.Fatalf("the history made %d calls and %d mails, want 49 of each (scores 51–99)", callsBefore, before.mails)
		}

		var r replayAnswer
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/replay", map[string]any{"runs": replayRuns}, &r)
		if after := count(); after != before || calls.Load() != callsBefore {
			t.Fatalf("the replay touched something: before %+v and %d calls, after %+v and %d calls", before, callsBefore, after, calls.Load())
		}
		if r.Version != saved.Version || r.PublishedVersion == nil || *r.PublishedVersion != 1 || len(r.Runs) != replayRuns {
			t.Fatalf("replayed version %d against %v over %d runs, want %d against 1 over %d", r.Version, r.PublishedVersion, len(r.Runs), saved.Version, replayRuns)
		}

		// What each run should do, worked out from its score.
		want := map[string]int{} // "version:path:outcome" → runs
		wantFails, wantChanged := 0, 0
		for i := range replayRuns {
			published, draft := replayPath(i, 50, false), replayPath(i, 80, true)
			want["published:"+published]++
			want["draft:"+draft]++
			if strings.HasSuffix(draft, ":failed") {
				wantFails++
			}
			if published != draft {
				wantChanged++
			}
		}
		got := map[string]int{}
		fails := 0
		for _, run := range r.Runs {
			got["published:"+strings.Join(run.PublishedPath, ">")+":"+run.PublishedOutcome]++
			got["draft:"+strings.Join(run.DraftPath, ">")+":"+run.DraftOutcome]++
			if run.DraftFails {
				fails++
				if !strings.Contains(run.Reason, "not an email address") {
					t.Errorf("run %s fails with %q, want the recipient named as no address", run.ExecutionID, run.Reason)
				}
			}
			if run.DraftOutcome == "waiting" && !strings.Contains(run.Reason, `"Review the lead"`) {
				t.Errorf("run %s waits with reason %q, want the review named", run.ExecutionID, run.Reason)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("paths and outcomes:\n got %v\nwant %v", got, want)
		}
		if fails != wantFails || r.Changed != wantChanged || r.Totals.Draft.Failed != wantFails {
			t.Fatalf("%d runs fail (totals %d) and %d changed, want %d and %d", fails, r.Totals.Draft.Failed, r.Changed, wantFails, wantChanged)
		}

		// The path mix sums to the runs in each version.
		var mixDraft, mixPublished int
		for _, p := range r.Paths {
			mixDraft += p.Draft
			mixPublished += p.Published
		}
		if mixDraft != replayRuns || mixPublished != replayRuns {
			t.Fatalf("the path mix counts %d draft and %d published runs, want %d each", mixDraft, mixPublished, replayRuns)
		}

		// Per step: the draft mails the 19 leads above 80 but 3 fail (85, 90 and 95 have no address), so 16
		// mails and calls; the published version mails and calls for the 49 above 50. Reviews: the draft asks 81
		// (scores 0–80) and only the even ones up to 50 were answered, so 26 to-dos.
		step := map[string]int{}
		for _, s := range r.Steps {
			step[s.StepID+".runs"], step[s.StepID+".mails"], step[s.StepID+".calls"], step[s.StepID+".tasks"] = s.Runs, s.Mails, s.Calls, s.Tasks
			step[s.StepID+".published.mails"], step[s.StepID+".published.calls"] = s.Published.Mails, s.Published.Calls
		}
		wantStep := map[string]int{"welcome.runs": 19, "welcome.mails": 16, "post.calls": 16, "review.tasks": 81,
			"todo.tasks": 26, "welcome.published.mails": 49, "post.published.calls": 49}
		for k, v := range wantStep {
			if step[k] != v {
				t.Errorf("%s = %d, want %d", k, step[k], v)
			}
		}
		if r.Totals.Draft.Mails != 16 || r.Totals.Published.Mails != 49 || r.Totals.Published.Failed != 0 {
			t.Fatalf("totals: %+v", r.Totals)
		}
	})
}

// replayPath is the path and outcome of the lead with score i when hot leads are above hot: mailing the
// lead's own address (every fifth is none) fails.
func replayPath(i, hot int, mailsTheLead bool) string {
	switch {
	case i > hot && mailsTheLead && i%5 == 0:
		return "hot>welcome:failed"
	case i > hot:
		return "hot>welcome>post:completed"
	case i <= 50 && i%2 == 0:
		return "hot>review>todo:completed"
	}
	return "hot>review:waiting"
}

// A replay counts the CRM records each step would write, and expects a run to take as long as its delays
// and its steps' usual times: a draft that waits two days before touching the lead is expected to take two
// days where the published version takes no time; nothing is written.
func TestReplayCountsRecordsAndExpectsTheDelays(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		steps := []map[string]any{
			{"id": "touch", "name": "Touch the lead", "type": "action", "nextSteps": []string{"todo"},
				"configuration": map[string]any{"action": "update_record", "parameters": map[string]any{
					"entity": "lead", "id": "{{leadId}}", "data": map[string]any{"status": "contacted"}}}},
			{"id": "todo", "name": "Make a task", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "create_record", "parameters": map[string]any{
					"entity": "task", "data": map[string]any{"title": "Call back", "relatedType": "lead", "relatedId": "{{leadId}}",
						"assignedTo": "rep@example.com"}}}},
		}
		d := def("Touch and follow up", steps...)
		d["variables"] = append(d["variables"].([]map[string]any), map[string]any{"name": "leadId", "type": "string"})
		wf := h.createWorkflow(d)
		const runs = 5
		for range runs {
			lead := h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe"})
			h.waitStatus(h.startRun(wf, map[string]any{"leadId": lead}), "completed")
		}
		d["steps"] = append([]map[string]any{{"id": "wait", "name": "Wait two days", "type": "delay", "nextSteps": []string{"touch"},
			"configuration": map[string]any{"duration": 2 * 86400}}}, steps...)
		h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, d, nil)

		todos, leads := h.count(&store.CRMTask{}), h.count(&store.Lead{}, "status = ?", "contacted")
		var r replayAnswer
		var totals struct {
			Totals struct {
				Draft, Published struct {
					Records         int     `json:"records"`
					ExpectedSeconds float64 `json:"expectedSeconds"`
				}
			} `json:"totals"`
			Steps []struct {
				StepID    string `json:"stepId"`
				Records   int    `json:"records"`
				Published struct {
					Records int `json:"records"`
				} `json:"published"`
			} `json:"steps"`
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/replay", map[string]any{"runs": runs}, &totals)
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/replay", map[string]any{}, &r)
		if len(r.Runs) != runs || r.Totals.Draft.Completed != runs || r.Totals.Published.Completed != runs {
			t.Fatalf("the replay: %d runs, totals %+v", len(r.Runs), r.Totals)
		}
		if h.count(&store.CRMTask{}) != todos || h.count(&store.Lead{}, "status = ?", "contacted") != leads {
			t.Fatal("the replay wrote to the CRM")
		}
		for _, s := range totals.Steps {
			want := runs
			if s.StepID == "wait" {
				want = 0
			}
			if s.Records != want || (s.StepID != "wait" && s.Published.Records != runs) {
				t.Errorf("step %s writes %d records (published %d), want %d", s.StepID, s.Records, s.Published.Records, want)
			}
		}
		if totals.Totals.Draft.Records != 2*runs || totals.Totals.Published.Records != 2*runs {
			t.Errorf("records in total: %+v", totals.Totals)
		}
		if totals.Totals.Draft.ExpectedSeconds != 2*86400 || totals.Totals.Published.ExpectedSeconds >= 60 {
			t.Errorf("expected seconds: draft %v (want two days, %d), published %v (want under a minute)",
				totals.Totals.Draft.ExpectedSeconds, 2*86400, totals.Totals.Published.ExpectedSeconds)
		}
		// {version} picks the version replayed: the published one itself changes nothing.
		var v1 replayAnswer
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/replay", map[string]any{"version": 1, "runs": runs}, &v1)
		if v1.Version != 1 || v1.Changed != 0 || len(v1.Runs) != runs || strings.Join(v1.Runs[0].DraftPath, ">") != "touch>todo" {
			t.Errorf("replaying version 1: version %d, %d changed, runs %+v", v1.Version, v1.Changed, v1.Runs)
		}
		// The page says it in words.
		_, doc := h.session("manager@example.com").get("/workflows/" + wf + "/replay")
		if got := squash(doc.Find(".page-head")); !strings.Contains(got, "over the last 5 runs.") {
			t.Errorf("the replay page says %q", got)
		}
		if got := squash(doc.Find(`th:contains("Expected time to complete")`).Parent().Find(`td[data-label="This version"]`)); got != "2 days" {
			t.Errorf("the replay page expects the draft to take %q, want 2 days", got)
		}
	})
}

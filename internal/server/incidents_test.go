package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

type incident struct {
	WorkflowID, StepID, StepName, Reason, Sample string
	Count                                        int
}

type batchView struct {
	ID, Action, Description, State string
	Total, Done, Failed            int
	Failures                       []struct{ ExecutionID, Message string }
}

// waitBatch polls a bulk action (up to 30 s) until it is done, and returns it as it is then.
func (h *harness) waitBatch(id string) batchView {
	h.t.Helper()
	var b batchView
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.must(http.StatusOK, h.manager, "GET", "/api/batches/"+id, nil, &b)
		if b.State == "done" || time.Now().After(deadline) {
			return b
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// 200 failed runs across two reasons (120 with an address that is not one, 80 with none): the incidents
// group them by workflow, step and reason; a bulk retry of one group over a filter, previewed first, retries
// exactly those 120 runs, each once, though the server stops in the middle of the batch and another starts.
func TestIncidentsAndABulkRetryAcrossARestart(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		var once sync.Once
		reached := make(chan struct{})
		var items atomic.Int32
		h := startTuned(t, dbURL, func(_ *config.Config, o *server.Options) {
			o.Engine.OnBatchItem = func(stopping context.Context, _ string) {
				if items.Add(1) == 40 {
					once.Do(func() {
						close(reached)
						<-stopping.Done() // hold the batch here until this server stops
					})
				}
			}
		})
		wf := h.createWorkflow(mailToEmail())
		var bad, empty []string
		for i := range 200 {
			email := ""
			if i%5 < 3 {
				email = "nobody"
			}
			run := h.startRun(wf, map[string]any{"email": email})
			if email == "" {
				empty = append(empty, run)
			} else {
				bad = append(bad, run)
			}
		}
		for _, r := range append(append([]string{}, bad...), empty...) {
			h.waitStatus(r, "failed")
		}

		var incidents struct {
			recordList
			Groups []record
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/incidents", nil, &incidents)
		if len(incidents.Groups) != len(incidents.Items) {
			t.Fatalf("the incidents' groups: %d, items: %d", len(incidents.Groups), len(incidents.Items))
		}
		h.must(http.StatusForbidden, h.rep, "GET", "/api/incidents", nil, nil)
		var groups []incident
		for _, it := range incidents.Items {
			groups = append(groups, incident{WorkflowID: it["workflowId"].(string), StepID: it["stepId"].(string),
				StepName: it["stepName"].(string), Reason: it["reason"].(string), Count: int(it["count"].(float64))})
		}
		if len(groups) != 2 || groups[0].Count != 120 || groups[1].Count != 80 || groups[0].StepID != "mail" ||
			groups[0].StepName != "Mail the address" || groups[0].WorkflowID != wf ||
			groups[0].Reason != "recipient … is not an email address" || !strings.HasPrefix(groups[1].Reason, "recipient is empty") {
			t.Fatalf("the incidents are %+v", groups)
		}

		_, page := h.session("manager@example.com").get("/incidents")
		var counts []string
		page.Find("#incidents .incident-count").Each(func(_ int, s *goquery.Selection) { counts = append(counts, strings.Fields(squash(s))[0]) })
		if len(counts) != 2 || counts[0] != "120" || counts[1] != "80" || !strings.Contains(squash(page.Find("#incidents")), "Retry these 120 runs") {
			t.Fatalf("the incidents page: %q", squash(page.Find("#incidents")))
		}

		// The suggestions see the permanent failure too: a condition before the step, the runs one click away.
		h.flushMetrics()
		var list suggestionsBody
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/suggestions", nil, &list)
		var guard *suggestionBody
		for i := range list.Items {
			if list.Items[i].ID == "guard.mail" {
				guard = &list.Items[i]
			}
		}
		if guard == nil || guard.Applicable || !strings.Contains(guard.Suggestion, "“Mail the address” fails in 60 % of runs (120 of 200) because recipient … is not an email address") {
			t.Fatalf("the suggestions about the failures: %+v", list.Items)
		}

		filter := map[string]any{"workflowId": wf, "step": "mail", "status": "failed", "reason": groups[0].Reason}
		var preview struct {
			ID      string
			Matched int
			Preview string
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/batches", map[string]any{"action": "retry", "filter": filter, "dryRun": true}, &preview)
		if preview.ID != "" || preview.Matched != 120 || preview.Preview != "120 runs will be retried from Mail the address." {
			t.Fatalf("the dry run says %+v", preview)
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/batches", map[string]any{"action": "retry", "filter": map[string]any{"status": "running"}}, nil)
		h.must(http.StatusForbidden, h.rep, "POST", "/api/batches", map[string]any{"action": "retry", "filter": filter}, nil)
		h.must(http.StatusAccepted, h.manager, "POST", "/api/batches", map[string]any{"action": "retry", "filter": filter}, &preview)
		if preview.ID == "" || preview.Matched != 120 {
			t.Fatalf("the batch started as %+v", preview)
		}

		select {
		case <-reached:
		case <-time.After(30 * time.Second):
			t.Fatal("the batch never reached its 40th run")
		}
		var mid batchView
		h.must(http.StatusOK, h.manager, "GET", "/api/batches/"+preview.ID, nil, &mid)
		if mid.State != "running" || mid.Done < 39 || mid.Done > 40 || mid.Total != 120 {
			t.Fatalf("in the middle the batch is %+v", mid)
		}
		h.stop()
		h.open()

		done := h.waitBatch(preview.ID)
		if done.State != "done" || done.Done != 120 || done.Failed != 0 || done.Total != 120 {
			t.Fatalf("after the restart the batch is %+v", done)
		}
		retries := func(run string) int {
			n := 0
			for _, l := range h.get(run).ExecutionLog {
				if l.StepID == "mail" && l.Action == workflow.LogStarted && strings.Contains(l.Message, "retry requested by manager@example.com") {
					n++
				}
			}
			return n
		}
		for _, r := range bad {
			e := h.waitFor(r, "failed again", func(e execution) bool { return e.Status == "failed" && countLog(e, "mail", workflow.LogFailed) == 2 })
			if n := retries(r); n != 1 {
				t.Fatalf("run %s of the retried group was retried %d times\n%s", r, n, logText(e))
			}
		}
		for _, r := range empty {
			if n := retries(r); n != 0 {
				t.Fatalf("run %s of the other group was retried %d times", r, n)
			}
		}
	})
}

// From the executions list filtered to failed runs, "retry them" previews the bulk retry of exactly those
// runs, then does it.
func TestBulkRetryFromTheExecutionsList(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(mailToEmail())
	other := h.createWorkflow(mailToEmail())
	var runs []string
	for range 3 {
		runs = append(runs, h.startRun(wf, map[string]any{"email": "nobody"}))
	}
	h.waitStatus(h.startRun(other, map[string]any{"email": "nobody"}), "failed")
	for _, r := range runs {
		h.waitStatus(r, "failed")
	}
	manager := h.session("manager@example.com")
	_, list := manager.get("/executions?status=failed&workflowId=" + wf)
	href, _ := list.Find(`#bulk-actions a[data-action="retry"]`).Attr("href")
	if href == "" {
		t.Fatalf("the failed runs' list offers %q", squash(list.Find("#executions")))
	}
	_, preview := manager.get(href)
	if got := squash(preview.Find("#batch-preview")); got != "3 runs will be retried from Mail the address." {
		t.Fatalf("the preview says %q", got)
	}
	form := url.Values{}
	preview.Find("#batch-new form input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	status, _ := manager.post("/batches", form)
	if status != http.StatusSeeOther {
		t.Fatalf("starting the bulk retry answered %d", status)
	}
	for _, r := range runs {
		h.waitFor(r, "retried", func(e execution) bool { return countLog(e, "mail", workflow.LogFailed) == 2 })
	}
	var all recordList
	h.must(http.StatusOK, h.manager, "GET", "/api/executions?workflowId="+other, nil, &all)
	if e := h.get(all.Items[0]["id"].(string)); countLog(e, "mail", workflow.LogFailed) != 1 {
		t.Fatalf("the other workflow's run was retried too:\n%s", logText(e))
	}
}

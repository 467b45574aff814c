package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/triggers"
)

func withTrigger(d map[string]any, typ string, cfg map[string]any) map[string]any {
	d["trigger"] = map[string]any{"type": typ, "configuration": cfg}
	return d
}

// runsOf counts the executions of a workflow.
func (h *harness) runsOf(workflowID string) int {
	h.t.Helper()
	n, err := h.srv.DB.Executions().CountOfWorkflow(context.Background(), workflowID)
	if err != nil {
		h.t.Fatal(err)
	}
	return int(n)
}

// waitRuns waits until a workflow has want executions, then checks no more come.
func (h *harness) waitRuns(workflowID string, want int) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.runsOf(workflowID) < want {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s has %d runs, want %d", workflowID, h.runsOf(workflowID), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // several scheduler and dispatcher rounds
	if got := h.runsOf(workflowID); got != want {
		h.t.Fatalf("%s has %d runs, want exactly %d", workflowID, got, want)
	}
}

func TestScheduledTriggerFiresOncePerTickAcrossInstances(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		instances := []*server.Server{h.srv}
		if strings.HasPrefix(url, "postgres") {
			// A second instance of the same deployment, with its own scheduler, on the same database.
			second := h.openServer()
			t.Cleanup(func() { _ = second.Close(context.Background()) })
			instances = append(instances, second)
		}
		wf := h.createWorkflow(withTrigger(def("Every minute", setVar("only", "x", 1)), "scheduled",
			map[string]any{"cron": "* * * * *", "timezone": "Europe/Berlin"}))
		for tick := 1; tick <= 6; tick++ {
			h.clock.Advance(time.Minute)
			var wg sync.WaitGroup
			for _, inst := range instances {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := inst.Scheduler.Tick(context.Background()); err != nil {
						t.Errorf("tick: %v", err)
					}
				}()
			}
			wg.Wait()
			h.waitRuns(wf, tick)
		}
		fires, err := h.srv.DB.Triggers().Fires(context.Background(), wf)
		if err != nil {
			t.Fatal(err)
		}
		if len(fires) != 6 {
			t.Fatalf("%d fires claimed, want 6", len(fires))
		}
		for i, f := range fires {
			if want := t0.Add(time.Duration(i+1) * time.Minute); !f.ScheduledFor.Equal(want) || f.ExecutionID == nil {
				t.Fatalf("fire %d: %v (execution %v), want %v with its execution", i, f.ScheduledFor, f.ExecutionID, want)
			}
		}
	})
}

func TestScheduleCatchUpAfterDowntime(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		once := h.createWorkflow(withTrigger(def("Catch up once", setVar("only", "x", 1)), "scheduled",
			map[string]any{"cron": "* * * * *", "catchUp": "once"}))
		skip := h.createWorkflow(withTrigger(def("Skip missed", setVar("only", "x", 1)), "scheduled",
			map[string]any{"cron": "* * * * *", "catchUp": "skip"}))

		h.stop() // down for ten and a half minutes
		h.clock.Advance(10*time.Minute + 30*time.Second)
		h.open()
		if _, err := h.srv.Scheduler.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.waitRuns(once, 1)
		h.waitRuns(skip, 0)
		refs, err := h.srv.DB.Executions().TriggerRefs(context.Background(), once)
		if err != nil {
			t.Fatal(err)
		}
		var ref string
		if len(refs) > 0 {
			ref = refs[0]
		}
		if ref != t0.Add(10*time.Minute).Format(time.RFC3339) {
			t.Fatalf("the catch-up run is for %s, want the latest missed fire %s", ref, t0.Add(10*time.Minute).Format(time.RFC3339))
		}
		// Back on schedule: the next minute fires both, once each.
		h.clock.Set(t0.Add(11 * time.Minute))
		if _, err := h.srv.Scheduler.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.waitRuns(once, 2)
		h.waitRuns(skip, 1)
	})
}

func TestScheduleAPIShowsTheNextFires(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(withTrigger(def("Weekday mornings", setVar("only", "x", 1)), "scheduled",
		map[string]any{"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"}))
	var info struct {
		Cron     string      `json:"cron"`
		Timezone string      `json:"timezone"`
		CatchUp  string      `json:"catchUp"`
		Next     []time.Time `json:"next"`
	}
	h.must(http.StatusOK, h.rep, "GET", "/api/workflows/"+wf+"/schedule", nil, &info)
	// t0 is Thursday 26 November 2026, 09:00 UTC = 10:00 in Berlin.
	want := []string{"2026-11-27T09:00:00+01:00", "2026-11-30T09:00:00+01:00", "2026-12-01T09:00:00+01:00",
		"2026-12-02T09:00:00+01:00", "2026-12-03T09:00:00+01:00"}
	if len(info.Next) != 5 || info.Timezone != "Europe/Berlin" || info.CatchUp != "once" {
		t.Fatalf("schedule = %+v", info)
	}
	for i, w := range want {
		if got := info.Next[i].Format(time.RFC3339); got != w {
			t.Fatalf("next[%d] = %s, want %s", i, got, w)
		}
	}
	manual := h.createWorkflow(def("Manual", setVar("only", "x", 1)))
	h.must(http.StatusConflict, h.rep, "GET", "/api/workflows/"+manual+"/schedule", nil, nil)
}

// webhookPost sends a delivery to a webhook address with the given headers.
func (h *harness) webhookPost(url string, body []byte, headers map[string]string) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = jsonDecode(res.Body, &out)
	return res.StatusCode, out
}

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(withTrigger(def("Web form lead", setVar("only", "x", "{{ note }}")), "webhook", map[string]any{}))
		var hook struct {
			URL              string `json:"url"`
			Secret           string `json:"secret"`
			RequireSignature bool   `json:"requireSignature"`
		}
		h.must(http.StatusForbidden, h.rep, "GET", "/api/workflows/"+wf+"/webhook", nil, nil)
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/webhook", nil, &hook)
		if !strings.HasPrefix(hook.URL, "http://localhost:8080/hooks/") || !strings.HasPrefix(hook.Secret, "whsec_") || !hook.RequireSignature {
			t.Fatalf("webhook = %+v", hook)
		}
		address := h.http.URL + strings.TrimPrefix(hook.URL, "http://localhost:8080")
		body := []byte(`{"note": "from the web form", "utm_source": "ads"}`)
		signed := func(b []byte, at time.Time, delivery string) map[string]string {
			return map[string]string{triggers.SignatureHeader: triggers.SignDelivery(hook.Secret, at, delivery, b), triggers.DeliveryHeader: delivery}
		}

		code, out := h.webhookPost(address, body, signed(body, t0, "d-1"))
		if code != http.StatusAccepted || out["executionId"] == nil {
			t.Fatalf("good delivery: %d %v", code, out)
		}
		e := h.waitStatus(out["executionId"].(string), "completed")
		if e.Variables["x"] != "from the web form" || e.Variables["note"] != "from the web form" {
			t.Fatalf("the body's fields should become variables: %v", e.Variables)
		}
		for _, c := range []struct {
			name    string
			headers map[string]string
			body    []byte
			want    int
		}{
			{"missing signature", map[string]string{triggers.DeliveryHeader: "d-2"}, body, 401},
			{"bad signature", map[string]string{triggers.SignatureHeader: triggers.SignDelivery("whsec_wrong", t0, "d-3", body), triggers.DeliveryHeader: "d-3"}, body, 401},
			{"signature of another body", signed([]byte(`{}`), t0, "d-4"), body, 401},
			{"stale timestamp", signed(body, t0.Add(-6*time.Minute), "d-5"), body, 401},
			{"replayed delivery id", signed(body, t0, "d-1"), body, 409},
			// The attack: the captured request sent again under a new delivery id.
			{"captured request under a new delivery id", map[string]string{triggers.SignatureHeader: signed(body, t0, "d-1")[triggers.SignatureHeader],
				triggers.DeliveryHeader: "d-1-again"}, body, 401},
			{"no delivery id", map[string]string{triggers.SignatureHeader: triggers.SignDelivery(hook.Secret, t0, "", body)}, body, 400},
			{"a dot in a v2 delivery id", signed(body, t0, "d.10"), body, 400},
			{"not a JSON object", signed([]byte(`[1,2]`), t0, "d-6"), []byte(`[1,2]`), 400},
			{"2 MiB body", signed(bytes.Repeat([]byte("a"), 2<<20), t0, "d-7"), bytes.Repeat([]byte("a"), 2<<20), 413},
		} {
			if code, out := h.webhookPost(address, c.body, c.headers); code != c.want || out["error"] == nil {
				t.Errorf("%s: %d %v, want %d with an error message", c.name, code, out, c.want)
			}
		}
		if code, _ := h.webhookPost(h.http.URL+"/hooks/nope", body, signed(body, t0, "d-8")); code != http.StatusNotFound {
			t.Errorf("unknown address: %d, want 404", code)
		}
		h.waitRuns(wf, 1) // only the good delivery started a run

		// Rotating the secret retires the old address.
		var rotated struct{ URL, Secret string }
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/webhook/rotate", nil, &rotated)
		if rotated.URL == hook.URL || rotated.Secret == hook.Secret {
			t.Fatal("rotate kept the old address or secret")
		}
		if code, _ := h.webhookPost(address, body, signed(body, t0, "d-9")); code != http.StatusNotFound {
			t.Errorf("the old address still answers %d", code)
		}
	})
}

func TestUnsignedWebhookWhenTheWorkflowSaysSo(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(withTrigger(def("Open form", setVar("only", "x", 1)), "webhook", map[string]any{"requireSignature": false}))
	var hook struct {
		URL     string `json:"url"`
		Warning string `json:"warning"`
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/webhook", nil, &hook)
	if hook.Warning != "Unsigned webhook: anyone with the address can start it" {
		t.Fatalf("the webhook of an unsigned workflow warns %q", hook.Warning)
	}
	address := h.http.URL + strings.TrimPrefix(hook.URL, "http://localhost:8080")
	if code, out := h.webhookPost(address, []byte(`{}`), nil); code != http.StatusAccepted {
		t.Fatalf("unsigned delivery to an unsigned webhook: %d %v", code, out)
	}
	h.waitRuns(wf, 1)
}

// An unsigned webhook says so wherever its workflow is listed: the API list, the workflows page, the
// designer's trigger panel.
func TestUnsignedWebhooksAreMarkedWhereListed(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		const warning = "Unsigned webhook: anyone with the address can start it"
		unsigned := h.createWorkflow(withTrigger(def("Open form", setVar("only", "x", 1)), "webhook", map[string]any{"requireSignature": false}))
		signed := h.createWorkflow(withTrigger(def("Signed form", setVar("only", "x", 1)), "webhook", map[string]any{}))
		manual := h.createWorkflow(def("By hand", setVar("only", "x", 1)))

		var list struct {
			Items []map[string]any `json:"items"`
		}
		h.must(http.StatusOK, h.rep, "GET", "/api/workflows", nil, &list)
		byID := map[string]map[string]any{}
		for _, it := range list.Items {
			byID[it["id"].(string)] = it
		}
		if got := fmt.Sprint(byID[unsigned]["webhook"]); got != "map[signed:false warning:"+warning+"]" {
			t.Errorf("the unsigned workflow's list item has webhook %s", got)
		}
		if got := fmt.Sprint(byID[signed]["webhook"]); got != "map[signed:true]" {
			t.Errorf("the signed workflow's list item has webhook %s", got)
		}
		if _, ok := byID[manual]["webhook"]; ok || byID[manual]["triggerType"] != "manual" {
			t.Errorf("a manual workflow's list item: %v", byID[manual])
		}

		page := h.session("manager@example.com")
		_, doc := page.get("/workflows")
		if got := strings.TrimSpace(doc.Find("#wf-" + unsigned + ` td[data-label="Started by"] .badge.unsigned`).Text()); got != warning {
			t.Errorf("the workflows page marks the unsigned webhook with %q", got)
		}
		if n := doc.Find(".badge.unsigned").Length(); n != 1 {
			t.Errorf("%d unsigned badges on the workflows page, want 1", n)
		}

		for _, c := range []struct {
			id   string
			want int
		}{{unsigned, 1}, {signed, 0}} {
			var d map[string]any
			h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+c.id, nil, &d)
			raw, _ := json.Marshal(d)
			_, panel := page.htmx("POST", "/designer/trigger", neturl.Values{"definition": {string(raw)}})
			if got := panel.Find("#webhook-unsigned").Length(); got != c.want {
				t.Errorf("the trigger panel of %s shows %d unsigned badges, want %d: %q", c.id, got, c.want, panel.Find("#webhook-box").Text())
			}
		}
	})
}

// The old signature form (v1) does not cover the delivery id: it keeps working, but a captured request is
// a replay under any delivery id, because it is de-duplicated by its signature too.
func TestWebhookV1SignaturesCannotBeReplayed(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(withTrigger(def("Old sender", setVar("only", "x", "{{ note }}")), "webhook", map[string]any{}))
		var hook struct{ URL, Secret string }
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/webhook", nil, &hook)
		address := h.http.URL + strings.TrimPrefix(hook.URL, "http://localhost:8080")
		body := []byte(`{"note": "from an old sender"}`)
		v1 := triggers.SignV1(hook.Secret, t0, body)
		send := func(signature, delivery string) (int, map[string]any) {
			return h.webhookPost(address, body, map[string]string{triggers.SignatureHeader: signature, triggers.DeliveryHeader: delivery})
		}

		if code, out := send(v1, "old-1"); code != http.StatusAccepted {
			t.Fatalf("a v1 delivery: %d %v", code, out)
		}
		for _, delivery := range []string{"old-2", "old-1", "v1:" + strings.TrimPrefix(v1, "t=1795683600,v1=")} {
			code, out := send(v1, delivery)
			if msg, _ := out["error"].(string); code != http.StatusConflict || !strings.Contains(msg, "received before") {
				t.Errorf("the captured v1 request under delivery id %q: %d %v, want 409 saying it was received before", delivery, code, out)
			}
		}
		// The same sender signing its next delivery gets a new signature: that one runs.
		if code, out := send(triggers.SignV1(hook.Secret, t0.Add(time.Second), body), "old-3"); code != http.StatusAccepted {
			t.Fatalf("the next v1 delivery: %d %v", code, out)
		}
		// A header with both forms: stripping the v2 part of a captured one does not make it new.
		both := triggers.SignDelivery(hook.Secret, t0.Add(2*time.Second), "both-1", body) + "," +
			strings.SplitN(triggers.SignV1(hook.Secret, t0.Add(2*time.Second), body), ",", 2)[1]
		if code, out := send(both, "both-1"); code != http.StatusAccepted {
			t.Fatalf("a delivery signed both ways: %d %v", code, out)
		}
		stripped := both[:strings.Index(both, ",v2=")] + both[strings.LastIndex(both, ","):]
		if code, out := send(stripped, "both-2"); code != http.StatusConflict {
			t.Errorf("the captured request without its v2 signature under a new delivery id: %d %v, want 409", code, out)
		}
		h.waitRuns(wf, 3)
	})
}

// A flooded webhook stays limited however many junk addresses are posted to: the limiter used to forget
// every address once it followed 10,000. (Here it follows 200, so that five times as many junk requests
// are quick; web/api's TestHookLimiterStillLimitsATokenAfter20000JunkRequests sends 20,000 at the real size.)
func TestWebhookFloodStaysLimitedAfterJunkAddresses(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		const addresses, junk = 200, 1000
		h := start(t, url) // the fake clock stands still, so no bucket refills during the test
		h.stop()
		h.tune = func(_ *config.Config, o *server.Options) { o.WebhookAddresses = addresses }
		h.open()
		wf := h.createWorkflow(withTrigger(def("Flooded", setVar("only", "x", 1)), "webhook", map[string]any{}))
		var hook struct{ URL string }
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/webhook", nil, &hook)
		address := h.http.URL + strings.TrimPrefix(hook.URL, "http://localhost:8080")
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		t.Cleanup(client.CloseIdleConnections)
		post := func(url string) (int, string, error) {
			res, err := client.Post(url, "application/json", strings.NewReader(`{}`))
			if err != nil {
				return 0, "", err
			}
			defer res.Body.Close()
			_, _ = io.Copy(io.Discard, res.Body)
			return res.StatusCode, res.Header.Get("Retry-After"), nil
		}
		statusOf := func(url string) (int, string) {
			code, retry, err := post(url)
			if err != nil {
				t.Fatal(err)
			}
			return code, retry
		}
		for i := range 100 { // unsigned, so refused after the limiter, and no run starts
			if code, _ := statusOf(address); code != http.StatusUnauthorized {
				t.Fatalf("delivery %d: %d, want 401", i+1, code)
			}
		}
		if code, retry := statusOf(address); code != http.StatusTooManyRequests || retry != "1" {
			t.Fatalf("the 101st delivery in a burst: %d (Retry-After %q), want 429", code, retry)
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		next := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					code, _, err := post(h.http.URL + "/hooks/junk-" + strconv.Itoa(i))
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}
			}()
		}
		for i := range junk {
			next <- i
		}
		close(next)
		wg.Wait()
		if code, retry := statusOf(address); code != http.StatusTooManyRequests || retry == "" {
			t.Fatalf("the flooded address after %d junk requests: %d (Retry-After %q), want still 429", junk, code, retry)
		}
		// Once the limiter follows as many addresses as it may, new ones wait rather than push out the ones
		// being limited.
		if codes[http.StatusNotFound] != addresses-1 || codes[http.StatusTooManyRequests] != junk-(addresses-1) {
			t.Fatalf("junk answers: %v, want %d looked up (404) and the rest refused (429)", codes, addresses-1)
		}
	})
}

func TestPostedEventsStartEachWorkflowOnce(t *testing.T) {
	t.Parallel()
	eachDBAtOnce(t, func(t *testing.T, url string) {
		h := start(t, url)
		signed := h.createWorkflow(withTrigger(def("Deal signed", setVar("only", "x", "{{ x }}")), "event",
			map[string]any{"event": "deal_signed"}))
		big := h.createWorkflow(withTrigger(def("Big deal signed", setVar("only", "y", 1)), "event",
			map[string]any{"event": "deal_signed", "filter": "x > 1000"}))

		var out struct {
			EventID      string   `json:"eventId"`
			ExecutionIDs []string `json:"executionIds"`
		}
		h.must(http.StatusAccepted, h.manager, "POST", "/api/events", map[string]any{"event": "deal_signed", "data": map[string]any{"x": 10, "customer": "Acme"}}, &out)
		if out.EventID == "" || len(out.ExecutionIDs) != 1 {
			t.Fatalf("a small deal started %v, want only the unfiltered workflow", out.ExecutionIDs)
		}
		if h.runsOf(big) != 0 {
			t.Fatal("an event whose filter fails started a run")
		}
		h.must(http.StatusAccepted, h.manager, "POST", "/api/events", map[string]any{"event": "nobody_listens", "data": map[string]any{}}, &out)
		if len(out.ExecutionIDs) != 0 {
			t.Fatalf("an event nobody listens to started %v", out.ExecutionIDs)
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/events", map[string]any{"event": "Deal Signed!"}, nil)
		h.must(http.StatusForbidden, h.rep, "POST", "/api/events", map[string]any{"event": "deal_signed"}, nil)

		// Four hundred events, fifty at a time, start exactly four hundred runs (two hundred under the race
		// detector, which looks for races, not volume, and makes each run many times slower). Exactly once is
		// a matter of the events in flight together, fifty here; more of them only made CI slower (1000 took
		// two minutes of CI's fifteen), and the volume is a benchmark's to measure.
		n := 400
		if raceDetector {
			n = 200
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		sem := make(chan struct{}, 50)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				body := fmt.Sprintf(`{"event": "deal_signed", "data": {"x": %d}}`, i)
				req, _ := http.NewRequest("POST", h.http.URL+"/api/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+h.manager)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					errs <- fmt.Errorf("event %d: status %d", i, res.StatusCode)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		h.waitRuns(signed, n+1)
		deliveries, err := h.srv.DB.Triggers().CountDeliveries(context.Background(), signed, store.DeliveryStarted)
		if err != nil {
			t.Fatal(err)
		}
		if deliveries != int64(n)+1 {
			t.Fatalf("%d deliveries recorded, want %d", deliveries, n+1)
		}
	})
}

func storetestSQLiteURL(t testing.TB) string { return storetest.SQLiteURL(t) }

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

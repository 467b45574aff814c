package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The entry that ends a step says how long it took and, when it failed or was skipped, why: the metrics
// are made of these.
func TestCoreLogsDurationsAndReasons(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t, defAction("a", "wait"), defDelay("wait", 3600, "b"),
		withErrors(defAction("b"), workflow.ErrorHandling{OnError: workflow.OnErrorRetry, RetryCount: 1, RetryDelay: 10}))
	r := Start(plan, "run-1", startVars(), coreNow)
	end := func(tr Transition) workflow.LogEntry { return tr.Log[len(tr.Log)-1] }

	tr, err := Advance(plan, r, 1, Outcome{Kind: Completed, StartedAt: coreNow}, coreNow.Add(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if e := end(tr); e.Action != workflow.LogCompleted || e.DurationMs == nil || *e.DurationMs != 250 || e.Reason != "" {
		t.Fatalf("action end entry %+v, want completed in 250 ms", e)
	}
	at := coreNow.Add(time.Second)
	if _, err := Advance(plan, r, 1, Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: at.Add(time.Hour), StartedAt: at}, at); err != nil {
		t.Fatal(err)
	}
	woke := at.Add(time.Hour)
	FireTimers(plan, r, woke)
	tr, err = Advance(plan, r, 1, Outcome{Kind: Completed}, woke)
	if err != nil {
		t.Fatal(err)
	}
	if e := tr.Log[0]; e.StepID != "wait" || e.DurationMs == nil || *e.DurationMs != woke.Sub(coreNow.Add(250*time.Millisecond)).Milliseconds() {
		t.Fatalf("delay end entry %+v, want the time since the step began", e)
	}
	tr, err = Advance(plan, r, 1, Outcome{Kind: Failed, Err: workflow.Transient(workflow.ClassTimeout, errors.New("slow")),
		StartedAt: woke}, woke.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if e := end(tr); e.Action != workflow.LogFailed || e.Reason != workflow.ClassTimeout || *e.DurationMs != 2000 {
		t.Fatalf("failed attempt entry %+v, want a 2 s timeout", e)
	}
	tr, err = Cancel(plan, r, "boss@example.com", woke.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if e := end(tr); e.Action != workflow.LogSkipped || e.Reason != ReasonCancelled || e.DurationMs != nil {
		t.Fatalf("cancel entry %+v, want skipped with reason cancelled", e)
	}
}

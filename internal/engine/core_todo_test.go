package engine

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// defTodo is a create_task step that waits until its to-do is done.
func defTodo(id string, next ...string) workflow.Step {
	return workflow.Step{ID: id, Name: "Step " + id, Type: workflow.StepAction, NextSteps: next,
		Configuration: map[string]any{"action": "create_task", "parameters": map[string]any{
			"title": "Call the lead", "assignee": "rep@example.com", "wait": true}}}
}

func waitTodo(id string) Outcome {
	return Outcome{Kind: Waiting, Wait: WaitTodo, TodoID: id, Message: `Created task "Call the lead" for rep@example.com; waiting until it is done`}
}

var todoDone = Outcome{Kind: Completed, Output: map[string]any{"taskId": "todo-1", "status": "done", "completedBy": "rep@example.com"},
	Message: `The to-do "Call the lead" was done by rep@example.com`}

func todoDeleted() Outcome {
	return Outcome{Kind: Failed, Err: workflow.Permanent(workflow.ClassValidation, ErrTodoDeleted)}
}

func TestCoreTodoWait(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)

	t.Run("pauses until the to-do is done, then goes on with it as output", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defTodo("call", "after"), defAction("after"))
		r := Start(plan, "run-todo", startVars(), coreNow)
		tr := mustAdvance(t, plan, r, 1, waitTodo("todo-1"), coreNow)
		wantLog(t, tr.Log, "call started")
		if tr.Continue != 0 || len(tr.Ready) != 0 {
			t.Fatalf("transition %+v", tr)
		}
		b := r.State.Branch(1)
		if r.Status != workflow.StatusPaused || b.State != BranchWaiting || b.Wait != WaitTodo || b.TodoID != "todo-1" ||
			b.TaskID != "" || b.WakeAt != nil || r.State.WaitingUntil() != nil {
			t.Fatalf("status %s, branch %+v", r.Status, b)
		}
		// A human task's completion cannot end a to-do's wait, nor an unknown to-do's.
		if _, err := CompleteTask(plan, r, "todo-1", nil, "rep@example.com", coreNow); !errors.Is(err, ErrTaskClosed) {
			t.Fatalf("complete the to-do as a task: %v, want ErrTaskClosed", err)
		}
		if _, err := ResolveTodo(plan, r, "todo-other", todoDone, coreNow); !errors.Is(err, ErrNotWaitingFor) {
			t.Fatalf("resolve another to-do: %v, want ErrNotWaitingFor", err)
		}

		done := coreNow.Add(3 * time.Hour)
		tr, err := ResolveTodo(plan, r, "todo-1", todoDone, done)
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		if tr.Continue != 0 || !slices.Equal(tr.Ready, []int{1}) {
			t.Fatalf("Continue %d, Ready %v; want the resumed branch in Ready", tr.Continue, tr.Ready)
		}
		wantLog(t, tr.Log, "call completed")
		if e := tr.Log[0]; e.Message != todoDone.Message || !e.Timestamp.Equal(done) || e.DurationMs == nil || *e.DurationMs != (3*time.Hour).Milliseconds() {
			t.Fatalf("completed entry %+v, want the wait's 3 hours", e)
		}
		if !reflect.DeepEqual(r.Outputs["call"], todoDone.Output) {
			t.Fatalf("output %v", r.Outputs["call"])
		}
		if b := r.State.Branch(1); r.Status != workflow.StatusRunning || b.Step != "after" || b.State != BranchReady || b.TodoID != "" {
			t.Fatalf("status %s, branch %+v", r.Status, b)
		}
		if _, err := ResolveTodo(plan, r, "todo-1", todoDone, done); !errors.Is(err, ErrNotWaitingFor) {
			t.Fatalf("resolve twice: %v, want ErrNotWaitingFor", err)
		}
		mustAdvance(t, plan, r, 1, Outcome{Kind: Completed}, done)
		if r.Status != workflow.StatusCompleted {
			t.Fatalf("status %s", r.Status)
		}
	})

	t.Run("a deleted to-do fails the step, and a retry makes it again", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defTodo("call", "after"), defAction("after"))
		r := Start(plan, "run-todo-gone", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, waitTodo("todo-1"), coreNow)
		activation := r.State.Branch(1).Activation
		tr, err := ResolveTodo(plan, r, "todo-1", todoDeleted(), coreNow.Add(time.Hour))
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		wantLog(t, tr.Log, "call failed")
		if r.Status != workflow.StatusFailed || r.FailedStep != "call" || !strings.Contains(r.Error, "the to-do was deleted before it was done") {
			t.Fatalf("status %s, failed step %q, error %q", r.Status, r.FailedStep, r.Error)
		}
		if _, err := Retry(plan, r, "ops@example.com", coreNow.Add(2*time.Hour)); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if b := r.State.Branch(1); b.State != BranchReady || b.Phase != PhaseEnter || b.Step != "call" || b.Activation != activation {
			t.Fatalf("branch after retry %+v: the step runs again and makes its to-do again", b)
		}
	})

	t.Run("a deleted to-do with continue on error skips the step", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, withErrors(defTodo("call", "after"), workflow.ErrorHandling{OnError: workflow.OnErrorContinue}), defAction("after"))
		r := Start(plan, "run-todo-skip", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, waitTodo("todo-1"), coreNow)
		tr, err := ResolveTodo(plan, r, "todo-1", todoDeleted(), coreNow)
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		wantLog(t, tr.Log, "call skipped")
		if b := r.State.Branch(1); r.Status != workflow.StatusRunning || b.Step != "after" || !slices.Equal(tr.Ready, []int{1}) {
			t.Fatalf("status %s, branch %+v, transition %+v", r.Status, b, tr)
		}
	})

	t.Run("a to-do waited for in a halted branch is looked at again on retry", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defParallel("fan", []string{"call", "bad"}), defTodo("call"), defAction("bad"))
		r := Start(plan, "run-todo-halted", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, Outcome{Kind: Forked}, coreNow) // 1 → call, 3 → bad (2 is the frame)
		mustAdvance(t, plan, r, 1, waitTodo("todo-1"), coreNow)
		mustAdvance(t, plan, r, 3, Outcome{Kind: Failed, Err: errPermanent()}, coreNow)
		if b := r.State.Branch(1); r.Status != workflow.StatusFailed || b.State != BranchHalted {
			t.Fatalf("status %s, branch %+v", r.Status, b)
		}
		// The to-do is done while the run stands failed: nothing waits for it now.
		if _, err := ResolveTodo(plan, r, "todo-1", todoDone, coreNow); !errors.Is(err, ErrNotWaitingFor) {
			t.Fatalf("resolve in a failed run: %v, want ErrNotWaitingFor", err)
		}
		tr, err := Retry(plan, r, "ops@example.com", coreNow.Add(time.Hour))
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !slices.Equal(tr.CheckTodos, []string{"todo-1"}) || !slices.Equal(tr.Ready, []int{3}) {
			t.Fatalf("transition %+v, want CheckTodos [todo-1] and Ready [3]", tr)
		}
		if b := r.State.Branch(1); b.State != BranchWaiting || b.Wait != WaitTodo || b.TodoID != "todo-1" {
			t.Fatalf("branch after retry %+v", b)
		}
		if _, err := ResolveTodo(plan, r, "todo-1", todoDone, coreNow.Add(time.Hour)); err != nil {
			t.Fatalf("resolve after the retry: %v", err)
		}
	})

	t.Run("cancel ends the wait", func(t *testing.T) {
		t.Parallel()
		plan := cb.compile(t, defTodo("call"))
		r := Start(plan, "run-todo-cancel", startVars(), coreNow)
		mustAdvance(t, plan, r, 1, waitTodo("todo-1"), coreNow)
		tr, err := Cancel(plan, r, "ops@example.com", coreNow)
		if err != nil {
			t.Fatalf("cancel: %v", err)
		}
		wantLog(t, tr.Log, "call skipped")
		if _, err := ResolveTodo(plan, r, "todo-1", todoDone, coreNow); !errors.Is(err, ErrNotWaitingFor) || r.Status != workflow.StatusCancelled {
			t.Fatalf("resolve after cancel: %v (status %s), want ErrNotWaitingFor", err, r.Status)
		}
	})
}

// TestCoreTodoWaitInEveryInterleaving runs a parallel step whose one branch waits for a to-do while the other
// works, with the to-do done at every point of every order of the branches' steps: each step runs once, the
// join happens once after both branches, and the run is paused exactly when only the to-do is left.
func TestCoreTodoWaitInEveryInterleaving(t *testing.T) {
	t.Parallel()
	cb := setupCore(t)
	plan := cb.compile(t,
		defParallel("fan", []string{"call", "b1"}, "after"),
		defTodo("call", "call2"), defAction("call2"),
		defAction("b1", "b2"), defAction("b2", "b3"), defAction("b3"),
		defAction("after"))
	script := map[string]func(int) Outcome{"call": func(int) Outcome { return waitTodo("todo-1") }}

	runs := 0
	for doneAt := range 8 {
		n := forEachInterleaving(t, 1000, func(choose chooser) {
			d := newDriver(t, plan, Start(plan, "run-todo-fan", startVars(), coreNow), script, choose)
			resolved := false
			resolve := func() {
				tr, err := ResolveTodo(plan, d.run, "todo-1", todoDone, d.now)
				if err != nil {
					t.Fatalf("resolve: %v", err)
				}
				resolved = true
				d.absorb(tr, 0)
			}
			for moves := 0; ; moves++ {
				if !resolved && moves >= doneAt && waitingOn(d.run, WaitTodo, "todo-1") != nil {
					resolve()
				}
				if len(d.pending) == 0 {
					if resolved {
						break
					}
					if d.run.Status != workflow.StatusPaused {
						t.Fatalf("nothing ready, to-do open: status %s, want paused", d.run.Status)
					}
					resolve()
					continue
				}
				d.stepOnce()
				if live := liveBranches(d.run); d.run.Status == workflow.StatusPaused && live != 1 {
					t.Fatalf("paused with %d live branches; only the to-do's wait may be left", live)
				}
			}
			log := d.log
			if d.run.Status != workflow.StatusCompleted || len(d.run.State.Branches) != 0 || len(d.run.State.Frames) != 0 {
				t.Fatalf("done at %d: status %s, state %+v; log %s", doneAt, d.run.Status, d.run.State, strings.Join(logLines(log), ", "))
			}
			for _, step := range []string{"fan", "call", "call2", "b1", "b2", "b3", "after"} {
				if n, m := countLog(log, step, workflow.LogStarted), countLog(log, step, workflow.LogCompleted); n != 1 || m != 1 {
					t.Fatalf("%s started %d and completed %d times; log %s", step, n, m, strings.Join(logLines(log), ", "))
				}
			}
			joined := indexLog(log, "fan", workflow.LogCompleted)
			if indexLog(log, "call2", workflow.LogCompleted) > joined || indexLog(log, "b3", workflow.LogCompleted) > joined ||
				indexLog(log, "after", workflow.LogStarted) != joined+1 {
				t.Fatalf("join out of place: %s", strings.Join(logLines(log), ", "))
			}
			if !reflect.DeepEqual(d.run.Outputs["call"], todoDone.Output) {
				t.Fatalf("output of call %v", d.run.Outputs["call"])
			}
			runs++
		})
		if n < 2 {
			t.Fatalf("done at %d: %d interleavings, want several", doneAt, n)
		}
	}
	if runs < 8*2 {
		t.Fatalf("%d runs", runs)
	}
}

func liveBranches(r *Run) int {
	n := 0
	for i := range r.State.Branches {
		if r.State.Branches[i].Live() {
			n++
		}
	}
	return n
}

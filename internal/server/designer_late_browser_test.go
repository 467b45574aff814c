package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// holder pauses the browser's requests to one URL pattern with the DevTools Fetch domain: while armed, the
// next matching request is held (and handed to the test on held) until the test lets it go; every other one
// goes on at once. A goroutine ranges over the paused requests, so no event handler ever waits.
type holder struct {
	b      *browser
	armed  atomic.Int32
	held   chan fetch.RequestID
	errs   chan error
	stop   context.CancelFunc
	done   chan struct{}
	passed atomic.Int32
}

// holdRequests starts pausing the requests whose URL matches pattern (wildcards as in Fetch.enable).
func (b *browser) holdRequests(pattern string) *holder {
	b.t.Helper()
	ctx, stop := context.WithCancel(b.ctx)
	h := &holder{b: b, held: make(chan fetch.RequestID, 4), errs: make(chan error, 4), stop: stop, done: make(chan struct{})}
	paused := chromedp.Events(ctx, fetch.RequestPaused) // subscribed before Fetch.enable: no pause is missed
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}}); err != nil {
		stop()
		b.t.Fatalf("Fetch.enable: %v", err)
	}
	go func() {
		defer close(h.done)
		for ev, err := range paused {
			if err != nil {
				return // the subscription ended: the test is over
			}
			if h.armed.CompareAndSwap(1, 0) {
				h.held <- ev.RequestID
				continue
			}
			if _, err := chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID}); err != nil {
				h.errs <- fmt.Errorf("continue %s: %w", ev.Request.URL, err)
				return
			}
			h.passed.Add(1)
		}
	}()
	b.t.Cleanup(h.close)
	return h
}

// holdNext makes the next matching request wait until release.
func (h *holder) holdNext() { h.armed.Store(1) }

// waitHeld waits until the request that holdNext asked for is paused, and returns it.
func (h *holder) waitHeld(what string) fetch.RequestID {
	h.b.t.Helper()
	select {
	case id := <-h.held:
		return id
	case err := <-h.errs:
		h.b.t.Fatal(err)
	case <-time.After(20 * time.Second):
		h.b.t.Fatalf("no request held for %s within 20 s", what)
	}
	return ""
}

// release lets a held request go to the server.
func (h *holder) release(id fetch.RequestID) {
	h.b.t.Helper()
	if _, err := chromedp.Call(h.b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
		h.b.t.Fatalf("release the held request: %v", err)
	}
}

// close stops pausing requests.
func (h *holder) close() {
	h.stop()
	<-h.done
	if _, err := chromedp.Call(h.b.ctx, fetch.Disable, cdp.Empty{}); err != nil && !errors.Is(err, context.Canceled) {
		h.b.t.Logf("Fetch.disable: %v", err)
	}
	select {
	case err := <-h.errs:
		h.b.t.Error(err)
	default:
	}
}

// A panel answer that arrives late does not undo a newer change: in the variables panel the answer to a
// type change is held back while the person ticks "required"; the tick's answer is shown, and when the held
// answer arrives at last it is dropped (counted in #panel[data-late]), so the box stays ticked, the variable
// stays required and keeps the chosen type. And what someone types into another field while an answer is
// away survives the answer.
func TestBrowserDesignerLatePanelAnswerDoesNotUndoANewerChange(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/new?scratch=1")
	b.run(chromedp.Click(chromedp.ID("open-variables")))
	b.waitJS(`document.getElementById('panel').dataset.shows === 'variables'`, "the variables panel")
	b.clickOp("add_var")
	b.waitJS(fmt.Sprintf(`document.querySelector(%q)`, panelField("var.0.name")), "the new variable's row")
	b.typeInto("var.0.name", "lead")
	b.waitJS(`(window.designer.definition().variables[0] || {}).name === 'lead'`, "the variable named lead")
	b.settle()
	if evalJS[bool](b, `window.designer.definition().variables[0].required === true || document.querySelector('#panel [name="var.0.type"]').value === 'object'`) {
		t.Fatal("the new variable is already required or an object")
	}

	hold := b.holdRequests("*/designer/variables*")
	swaps := func() int { return evalJS[int](b, `Number(document.getElementById('panel').dataset.swaps || 0)`) }
	late := func() int { return evalJS[int](b, `Number(document.getElementById('panel').dataset.late || 0)`) }

	// The type change's request (1) is held; the tick's (2) goes, and its answer shows the box ticked.
	hold.holdNext()
	b.choose("var.0.type", "object")
	first := hold.waitHeld("the type change")
	before, lateBefore := swaps(), late()
	b.run(chromedp.Click(chromedp.CSS(panelField("var.0.required"))))
	b.waitJS(fmt.Sprintf(`Number(document.getElementById('panel').dataset.swaps) > %d && document.querySelector('#panel [name="var.0.required"]').checked &&
		window.designer.definition().variables[0].required === true && window.designer.definition().variables[0].type === 'object'`, before),
		"the tick's answer: required, an object")

	// The type change's answer arrives last, and is dropped (had it been shown, the box would be unticked).
	hold.release(first)
	b.waitJS(fmt.Sprintf(`Number(document.getElementById('panel').dataset.late || 0) > %d || Number(document.getElementById('panel').dataset.swaps) > %d`,
		lateBefore, swaps()), "the late answer, dropped or shown")
	b.settle()
	if !evalJS[bool](b, `document.querySelector('#panel [name="var.0.required"]').checked`) {
		t.Error("the late answer unticked the box")
	}
	if v := evalJS[map[string]any](b, `window.designer.definition().variables[0]`); v["required"] != true || v["type"] != "object" || v["name"] != "lead" {
		t.Errorf("after the late answer the variable is %v, want lead, an object, required", v)
	}
	if got := evalJS[string](b, `document.querySelector('#panel [name="var.0.type"]').value`); got != "object" {
		t.Errorf("after the late answer the type shows %q", got)
	}
	if n := late(); n != lateBefore+1 {
		t.Errorf("%d answers dropped as late, want 1", n-lateBefore)
	}

	// Typing into another field while an answer is away: the description's request is held while the
	// default is typed; its answer keeps the typed text, and leaving the field sends it.
	hold.holdNext()
	b.typeInto("var.0.description", "The qualified lead")
	third := hold.waitHeld("the description")
	evalJS[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.select(); return true; })()`, panelField("var.0.default")))
	b.run(chromedp.KeyEvent(`{"tier": "gold"}`))
	before = swaps()
	hold.release(third)
	b.waitJS(fmt.Sprintf(`Number(document.getElementById('panel').dataset.swaps) > %d`, before), "the description's answer")
	if got := evalJS[string](b, fmt.Sprintf(`document.querySelector(%q).value`, panelField("var.0.default"))); got != `{"tier": "gold"}` {
		t.Fatalf("the answer replaced what was typed into the default with %q", got)
	}
	b.run(chromedp.KeyEvent("\t"))
	b.waitJS(`(() => { const v = window.designer.definition().variables[0]; return v.description === 'The qualified lead' && v.default && v.default.tier === 'gold' && v.required === true; })()`,
		"the description and the typed default in the definition")
	if n := late(); n != lateBefore+1 {
		t.Errorf("%d answers dropped as late, want 1", n-lateBefore)
	}
}

// A panel asked for before the typing began does not eat the first keys: Undo asks for the open panel
// anew (without the condition field), and while that answer is away the manager starts typing the
// condition; when it lands, the keys typed so far stay, and the rest follow them.
func TestBrowserDesignerPanelAnswerKeepsKeysTypedWhileItWasAway(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(map[string]any{"name": "Follow up", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []any{map[string]any{"name": "budget", "type": "number"}}, "steps": []map[string]any{{"id": "check", "name": "Check budget",
			"type": "condition", "nextSteps": []string{}, "configuration": map[string]any{"condition": "budget > 0", "trueSteps": []string{}, "falseSteps": []string{}}}}})
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	b.selectStep("check")
	b.typeInto("name", "Check the budget")
	b.waitJS(`window.designer.definition().steps[0].name === 'Check the budget'`, "the step renamed")
	b.settle()

	hold := b.holdRequests("*/designer/panel*")
	hold.holdNext()
	b.run(chromedp.Click(chromedp.ID("undo")))
	away := hold.waitHeld("the panel asked for by Undo")
	evalJS[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.select(); return true; })()`, panelField("condition")))
	b.run(chromedp.KeyEvent("bud"))
	before := evalJS[int](b, `Number(document.getElementById('panel').dataset.swaps || 0)`)
	hold.release(away)
	b.waitJS(fmt.Sprintf(`Number(document.getElementById('panel').dataset.swaps || 0) > %d`, before), "the panel's answer")
	if got := evalJS[string](b, fmt.Sprintf(`document.querySelector(%q).value`, panelField("condition"))); got != "bud" {
		t.Fatalf("after the answer the condition field holds %q, want the keys typed while it was away (bud)", got)
	}
	b.run(chromedp.KeyEvent("get > 10"), chromedp.KeyEvent("\t"))
	b.waitJS(`window.designer.definition().steps[0].configuration.condition === 'budget > 10'`, "the condition as typed in the definition")
	if name := evalJS[string](b, `window.designer.definition().steps[0].name`); name != "Check budget" {
		t.Errorf("after Undo the step is named %q, want Check budget", name)
	}
}

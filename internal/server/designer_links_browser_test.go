package server_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// linksThroughSteps samples every drawn link (svg.connection's path, every 3 px of its length) and lists
// the links that pass through the box of a step other than their two ends, boxes shrunk by 2 px.
func (b *browser) linksThroughSteps() []string {
	b.t.Helper()
	return evalJS[[]string](b, `(() => {
		const boxes = [...document.querySelectorAll('#canvas .drawflow-node')].map(el => {
			const r = el.getBoundingClientRect();
			return { id: el.id, step: el.dataset.stepId, l: r.left + 2, r: r.right - 2, t: r.top + 2, b: r.bottom - 2 };
		});
		const stepOf = (id) => (boxes.find(x => x.id === id) || {}).step;
		const out = [];
		for (const svg of document.querySelectorAll('#canvas svg.connection')) {
			const path = svg.querySelector('path');
			const to = svg.classList[1].slice(8), from = svg.classList[2].slice(9);
			const name = stepOf(from) + ' → ' + stepOf(to);
			if (!path || !path.getAttribute('d')) { out.push(name + ': not drawn'); continue; }
			const m = path.getScreenCTM();
			const len = path.getTotalLength();
			const hit = new Map();
			for (let s = 0; s <= len; s += 3) {
				const p = path.getPointAtLength(s).matrixTransform(m);
				for (const x of boxes) {
					if (x.id === from || x.id === to || hit.has(x.step)) continue;
					if (p.x > x.l && p.x < x.r && p.y > x.t && p.y < x.b) hit.set(x.step, Math.round(p.x) + ',' + Math.round(p.y));
				}
			}
			for (const [step, at] of hit) out.push(name + ' runs through ' + step + ' at ' + at);
		}
		return out;
	})()`)
}

// showWholeCanvas zooms and pans the canvas so that every step is in view (the test drags steps that fit
// would leave below the canvas's edge).
func (b *browser) showWholeCanvas() {
	b.t.Helper()
	evalJS[bool](b, `(() => {
		const ed = window.designer.editor;
		const c = document.getElementById('canvas').getBoundingClientRect();
		let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
		for (const el of document.querySelectorAll('#canvas .drawflow-node')) {
			minX = Math.min(minX, el.offsetLeft); minY = Math.min(minY, el.offsetTop);
			maxX = Math.max(maxX, el.offsetLeft + el.offsetWidth); maxY = Math.max(maxY, el.offsetTop + el.offsetHeight);
		}
		const z = Math.min(1, (c.width - 60) / (maxX - minX), (c.height - 60) / (maxY - minY));
		ed.zoom = z;
		ed.zoom_last_value = z;
		ed.canvas_x = 30 - z * minX;
		ed.canvas_y = 30 - z * minY;
		ed.precanvas.style.transform = 'translate(' + ed.canvas_x + 'px, ' + ed.canvas_y + 'px) scale(' + z + ')';
		return true;
	})()`)
}

// Links do not run behind steps: the "then" link of a parallel step goes round its branches, a loop back up
// to an earlier step goes round the side, and both still do after a step is moved into their way by hand. A
// link with nothing in its way keeps its plain curve.
func TestBrowserDesignerLinksGoRoundSteps(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	set := func(id, name string, next ...string) map[string]any {
		return map[string]any{"id": id, "name": name, "type": "action", "nextSteps": next,
			"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "counter", "value": 1}}}
	}
	wf := h.createWorkflow(map[string]any{
		"name": "Enrich until done", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "counter", "type": "number"}},
		"steps": []map[string]any{
			{"id": "wait", "name": "Wait a day", "type": "delay", "nextSteps": []string{"prepare"},
				"configuration": map[string]any{"duration": 86400}},
			set("prepare", "Prepare", "fan"),
			{"id": "fan", "name": "Enrich", "type": "parallel", "nextSteps": []string{"save"},
				"configuration": map[string]any{"parallelSteps": []string{"score", "geo"}}},
			set("score", "Score", "score_2"), set("score_2", "Score again"),
			set("geo", "Geo", "geo_2"), set("geo_2", "Geo again"),
			set("save", "Save", "check"),
			{"id": "check", "name": "Enough?", "type": "condition", "nextSteps": []string{},
				"configuration": map[string]any{"condition": "counter > 3", "trueSteps": []string{"done"}, "falseSteps": []string{"wait"}}},
			set("done", "Done"),
		},
	})
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	if n := evalJS[int](b, `document.querySelectorAll('#canvas svg.connection').length`); n != 10 {
		t.Fatalf("the canvas draws %d links, want 10", n)
	}
	b.showWholeCanvas()
	b.screenshot("designer-links-1280")
	if bad := b.linksThroughSteps(); len(bad) > 0 {
		t.Fatalf("links run behind steps:\n%s", strings.Join(bad, "\n"))
	}
	plain := evalJS[string](b, `document.querySelector('#canvas svg.connection.node_out_'
		+ window.designer.nodeOf('wait').id + '.node_in_' + window.designer.nodeOf('prepare').id + ' path').getAttribute('d')`)
	if strings.Count(plain, "C") != 1 || strings.ContainsAny(plain, "LQ") {
		t.Errorf("the link wait → prepare, with nothing in its way, is not the plain curve: %q", plain)
	}

	// Move "done" by hand beside the branches, onto the lane where the loop ran (16 px right of them): the
	// loop goes round it now, and the link into it, which now goes up, goes round the side.
	to := evalJS[[]float64](b, `(() => {
		const r = (id) => window.designer.nodeOf(id).getBoundingClientRect();
		const right = Math.max(r('score').right, r('geo').right, r('score_2').right, r('geo_2').right);
		return [right + 8 * window.designer.editor.zoom, (r('score').top + r('score_2').bottom) / 2 - r('done').height / 2];
	})()`)
	x, y := b.center(nodeSel("done") + " .node-name")
	top := evalJS[[]float64](b, `(() => { const r = window.designer.nodeOf('done').getBoundingClientRect(); return [r.left, r.top]; })()`)
	b.run(mouseDrag(x, y, x+to[0]-top[0], y+to[1]-top[1]))
	b.waitJS(fmt.Sprintf(`window.designer.nodeOf('done').getBoundingClientRect().left > %f`, to[0]-2), "done moved beside the branches")
	evalJS[bool](b, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	b.screenshot("designer-links-moved-1280")
	if bad := b.linksThroughSteps(); len(bad) > 0 {
		t.Fatalf("after moving a step, links run behind steps:\n%s", strings.Join(bad, "\n"))
	}
	// The moved step's position, as saved, is where it is drawn.
	if off := evalJS[[]float64](b, `(() => {
		const el = window.designer.nodeOf('done');
		const p = window.designer.definition().steps.find(s => s.id === 'done').position;
		return [p.x - el.offsetLeft, p.y - el.offsetTop];
	})()`); math.Abs(off[0]) > 1 || math.Abs(off[1]) > 1 {
		t.Errorf("the moved step is saved %v px away from where it is drawn", off)
	}
}

// Pantryflow's workflow designer: the glue between the page (docs/DESIGNER.md is the contract), the
// drawflow canvas and the server. The canvas holds the graph; the server holds every rule.
//
// State: one drawflow node per step. drawflow's node record (editor.drawflow.drawflow.Home.data[key]) keeps
// the step object in .data, its position in pos_x/pos_y and its links in outputs/inputs. The definition is
// rebuilt from the graph whenever it is needed (save, panels, snapshots); graph fields of the step objects
// (nextSteps, trueSteps, falseSteps, parallelSteps) are always derived from the connections.
//
// Plain ES2020, no build step, no inline styles or scripts (CSP): node HTML carries classes only.
(() => {
  'use strict';

  const root = document.getElementById('designer');
  if (!root) return;

  let resolveReady;
  window.designerReady = new Promise((resolve) => { resolveReady = resolve; });

  const $ = (sel, el = document) => el.querySelector(sel);
  const MODULE = 'Home';
  const NODE_W = 220; // the node's outer size in CSS (designer.css), for layouts before nodes are drawn
  const NODE_H = 84;

  // ---------- helpers ----------

  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  function readJSON(id, fallback) {
    const el = document.getElementById(id);
    if (!el) return fallback;
    try { return JSON.parse(el.textContent || 'null') || fallback; } catch (err) { return fallback; }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    try { return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || ''; } catch (err) { return ''; }
  }

  async function request(method, url, body) {
    const opts = { method, headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    let data = null;
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = { error: text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) }; }
    return { status: res.status, ok: res.ok, data: data || {} };
  }

  function slug(s) {
    const out = String(s || '').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
    return out || 'step';
  }

  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

  // ---------- page elements ----------

  const canvasEl = document.getElementById('canvas');
  const panel = document.getElementById('panel');
  const problemsEl = document.getElementById('problems');
  const statusEl = document.getElementById('designer-status');
  const nameInput = document.getElementById('wf-name');
  const descInput = document.getElementById('wf-description');
  const catalog = readJSON('catalog', { actions: [], events: [], templates: [], people: [] });

  function setStatus(text, kind) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.remove('is-ok', 'is-error', 'is-busy');
    if (kind) statusEl.classList.add('is-' + kind);
  }

  // ---------- the canvas ----------

  const editor = new window.Drawflow(canvasEl);
  editor.reroute = false;
  editor.zoom_min = 0.3;
  // Links run downwards, from an output below a step to the input on top of the next one, round the boxes
  // of other steps (routeLink, under "links"). drawflow draws a dragged node's links with this too.
  editor.createCurvature = (sx, sy, ex, ey) => routeLink(sx, sy, ex, ey);
  editor.start();

  const nodes = () => editor.drawflow.drawflow[MODULE].data;
  const nodeEl = (key) => document.getElementById('node-' + key);
  const keyOfEl = (el) => el.id.slice(5);

  let meta = {};           // the definition without its steps: id, version, enabled, trigger, variables, metadata
  let startKey = null;     // drawflow key of the start step
  let dangling = new Map(); // key → {port: [step ids that are not on the canvas]}, kept so checks report them
  let loading = false;     // true while the graph is rebuilt (drawflow events are ignored)
  let selectedKey = null;
  let panelKey = null;     // the node whose panel is open, and its step id
  let panelStepId = null;
  let lastProblems = [];
  let lastSavedJSON = null;

  const TYPE_LABELS = { action: 'Action', condition: 'Condition', parallel: 'Parallel', human_task: 'Human task', delay: 'Delay' };

  function portsOf(type) {
    if (type === 'condition') return ['trueSteps', 'falseSteps'];
    if (type === 'parallel') return ['parallelSteps', 'nextSteps'];
    return ['nextSteps'];
  }

  // What a box says besides the step's name is the server's (app.StepSummary, from the typed
  // configuration): the page brings it for every step, each panel answer and check for what they touch,
  // and the palette's catalog for a new step. It is kept by the step's type and configuration (its
  // connections aside), so undo and redo find the words of what they bring back.
  const summaries = new Map();

  function canonical(v) {
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
    return JSON.stringify(v === undefined ? null : v);
  }

  const CONNECTIONS = ['trueSteps', 'falseSteps', 'parallelSteps'];

  function summaryKey(step) {
    const c = Object.assign({}, step.configuration || {});
    for (const k of CONNECTIONS) delete c[k];
    return step.type + ' ' + canonical(c);
  }

  function learnSummary(step, summary) {
    if (step && summary && typeof summary.kind === 'string') summaries.set(summaryKey(step), { kind: summary.kind, detail: summary.detail || '' });
  }

  function summaryOf(step) {
    return summaries.get(summaryKey(step)) || { kind: TYPE_LABELS[step.type] || step.type || 'Step', detail: '' };
  }

  function kindLabel(step) { return summaryOf(step).kind; }

  function detailOf(step) { return summaryOf(step).detail; }

  function nodeHTML(step) {
    return '<div class="node-top"><span class="node-start-badge">Start</span>' +
      '<span class="node-kind">' + esc(kindLabel(step)) + '</span>' +
      '<span class="node-error" aria-hidden="true">!</span></div>' +
      '<div class="node-name">' + esc(step.name || step.id) + '</div>' +
      '<div class="node-detail">' + esc(detailOf(step)) + '</div>' +
      '<button type="button" class="node-delete" title="Delete this step (Delete)" aria-label="Delete this step">×</button>';
  }

  function nodeClass(step) {
    return 'step step-' + slug(step.type || 'unknown');
  }

  function relabel(key) {
    const n = nodes()[key];
    const el = nodeEl(key);
    if (!n || !el) return;
    const step = n.data;
    $('.node-kind', el).textContent = kindLabel(step);
    $('.node-name', el).textContent = step.name || step.id;
    $('.node-detail', el).textContent = detailOf(step);
    el.dataset.stepId = step.id;
    el.dataset.stepType = step.type;
  }

  function keyOfStep(id) {
    const data = nodes();
    for (const k in data) if (data[k].data && data[k].data.id === id) return k;
    return null;
  }

  function uniqueID(name, exceptKey) {
    const base = slug(name);
    const taken = new Set();
    const data = nodes();
    for (const k in data) if (k !== exceptKey && data[k].data) taken.add(data[k].data.id);
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(base + '_' + i)) return base + '_' + i;
  }

  function setStart(key) {
    if (startKey === key) return;
    if (startKey && nodeEl(startKey)) nodeEl(startKey).classList.remove('start');
    startKey = key;
    if (key && nodeEl(key)) nodeEl(key).classList.add('start');
  }

  // The definition as the graph has it now: the start step first, the others in canvas order.
  function buildDefinition() {
    const data = nodes();
    const keys = Object.keys(data);
    if (startKey && !data[startKey]) startKey = null;
    const first = startKey || keys[0];
    const order = first ? [first].concat(keys.filter((k) => k !== first)) : [];
    const idOf = (k) => (data[k] && data[k].data ? data[k].data.id : null);
    const steps = order.map((k) => {
      const n = data[k];
      const s = n.data || {};
      const dang = dangling.get(k) || {};
      const linked = (port) => {
        const out = n.outputs[port];
        const ids = out ? out.connections.map((c) => idOf(c.node)).filter(Boolean) : [];
        return ids;
      };
      const list = (field, port) => {
        const ids = port ? linked(port) : [];
        for (const id of dang[field] || []) if (!ids.includes(id)) ids.push(id);
        return ids;
      };
      const step = { id: s.id, name: s.name, type: s.type, configuration: Object.assign({}, s.configuration || {}), nextSteps: [] };
      if (s.errorHandling) step.errorHandling = s.errorHandling;
      if (s.type === 'condition') {
        step.configuration.trueSteps = list('trueSteps', 'output_1');
        step.configuration.falseSteps = list('falseSteps', 'output_2');
        step.nextSteps = list('nextSteps', null);
      } else if (s.type === 'parallel') {
        step.configuration.parallelSteps = list('parallelSteps', 'output_1');
        step.nextSteps = list('nextSteps', 'output_2');
      } else {
        step.nextSteps = list('nextSteps', 'output_1');
      }
      step.position = { x: Math.round(n.pos_x), y: Math.round(n.pos_y) };
      return step;
    });
    return {
      id: root.dataset.workflowId || meta.id || '',
      name: nameInput ? nameInput.value : meta.name || '',
      description: descInput ? descInput.value : meta.description || '',
      version: Number(root.dataset.version) || meta.version || 0,
      enabled: meta.enabled !== false,
      trigger: meta.trigger || { type: 'manual', configuration: {} },
      steps,
      variables: meta.variables || [],
      metadata: meta.metadata || {},
    };
  }

  // dagre: top to bottom, the input port on top of each node and its outputs below it.
  function layoutPositions(steps, sizes) {
    const g = new window.dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 50, ranksep: 70, edgesep: 20, marginx: 40, marginy: 40 });
    g.setDefaultEdgeLabel(() => ({}));
    const ids = new Set();
    for (const s of steps) {
      if (ids.has(s.id)) continue;
      ids.add(s.id);
      const size = (sizes && sizes.get(s.id)) || { width: NODE_W, height: NODE_H };
      g.setNode(s.id, { width: size.width, height: size.height });
    }
    let e = 0;
    for (const s of steps) {
      const c = s.configuration || {};
      const targets = [].concat(s.nextSteps || [], c.trueSteps || [], c.falseSteps || []);
      for (const t of targets) if (typeof t === 'string' && ids.has(t) && t !== s.id) g.setEdge(s.id, t, {}, 'e' + e++);
      // A branch starts right below its parallel step (a heavier edge is kept short).
      for (const t of c.parallelSteps || []) if (typeof t === 'string' && ids.has(t) && t !== s.id) g.setEdge(s.id, t, { weight: 4 }, 'e' + e++);
    }
    // What follows a parallel step runs after every branch has ended: lay it out below the branches' last
    // steps, not beside the branches (edges for the layout only; nothing draws them).
    const byId = new Map(steps.map((s) => [s.id, s]));
    const successors = (s) => {
      const c = s.configuration || {};
      return [].concat(s.nextSteps || [], c.trueSteps || [], c.falseSteps || [], c.parallelSteps || []).filter((t) => byId.has(t));
    };
    for (const s of steps) {
      const then = (s.nextSteps || []).filter((t) => ids.has(t));
      const branches = ((s.configuration || {}).parallelSteps || []).filter((t) => byId.has(t));
      if (s.type !== 'parallel' || then.length === 0 || branches.length === 0) continue;
      const seen = new Set(then);
      const queue = branches.filter((b) => !seen.has(b));
      queue.forEach((b) => seen.add(b));
      while (queue.length > 0 && seen.size < 500) {
        const id = queue.shift();
        const next = successors(byId.get(id));
        if (next.length === 0 || next.every((t) => then.includes(t))) {
          for (const t of then) if (t !== id && !g.hasEdge(id, t)) g.setEdge(id, t, {}, 'j' + e++);
        }
        for (const t of next) if (!seen.has(t)) { seen.add(t); queue.push(t); }
      }
    }
    // dagre's crossing minimisation sweeps every rank many times: most of the time of a long workflow. Past
    // 80 steps each rank keeps the steps' own order (the definition's), which is already a good one.
    window.dagre.layout(g, steps.length > 80 ? { customOrder: definitionOrder } : undefined);
    const out = new Map();
    for (const id of g.nodes()) {
      const n = g.node(id);
      out.set(id, { x: Math.round(n.x - n.width / 2), y: Math.round(n.y - n.height / 2) });
    }
    return out;
  }

  function definitionOrder(lg) {
    const next = new Map();
    for (const v of lg.nodes()) {
      const n = lg.node(v);
      if (n.rank === undefined) continue;
      const i = next.has(n.rank) ? next.get(n.rank) + 1 : 0;
      next.set(n.rank, i);
      n.order = i;
    }
  }

  // load puts a definition on the canvas in one go (drawflow's import: one pass of DOM work, no events).
  function load(def, opts = {}) {
    loading = true;
    try {
      def = def || {};
      const steps = Array.isArray(def.steps) ? def.steps.filter((s) => s && typeof s === 'object') : [];
      meta = {
        id: def.id || '', name: def.name || '', description: def.description || '', version: def.version || 0,
        enabled: def.enabled !== false, trigger: def.trigger || { type: 'manual', configuration: {} },
        variables: Array.isArray(def.variables) ? def.variables : [], metadata: def.metadata || {},
      };
      if (opts.bar !== false) {
        if (nameInput && def.name != null) nameInput.value = def.name;
        if (descInput && def.description != null) descInput.value = def.description;
      }
      let positions = null;
      if (opts.layout || steps.some((s) => !s.position || typeof s.position.x !== 'number' || typeof s.position.y !== 'number')) {
        positions = layoutPositions(steps, opts.sizes);
      }
      const keyOf = new Map();
      steps.forEach((s, i) => { if (!keyOf.has(s.id)) keyOf.set(s.id, String(i + 1)); });
      const data = {};
      dangling = new Map();
      steps.forEach((s, i) => {
        const key = String(i + 1);
        const outputs = {};
        const ports = portsOf(s.type);
        ports.forEach((_, j) => { outputs['output_' + (j + 1)] = { connections: [] }; });
        data[key] = {
          id: i + 1, name: s.type || 'step', data: {}, class: nodeClass(s) + (i === 0 ? ' start' : ''), html: nodeHTML(s),
          typenode: false, inputs: { input_1: { connections: [] } }, outputs, pos_x: 0, pos_y: 0,
        };
        const p = (positions && positions.get(s.id)) || s.position || { x: 40, y: 40 };
        data[key].pos_x = p.x;
        data[key].pos_y = p.y;
      });
      const dang = (key, field, id) => {
        const d = dangling.get(key) || {};
        (d[field] = d[field] || []).push(id);
        dangling.set(key, d);
      };
      steps.forEach((s, i) => {
        const key = String(i + 1);
        const c = s.configuration || {};
        const lists = s.type === 'condition'
          ? [['trueSteps', c.trueSteps, 'output_1'], ['falseSteps', c.falseSteps, 'output_2'], ['nextSteps', s.nextSteps, null]]
          : s.type === 'parallel'
            ? [['parallelSteps', c.parallelSteps, 'output_1'], ['nextSteps', s.nextSteps, 'output_2']]
            : [['nextSteps', s.nextSteps, 'output_1']];
        for (const [field, list, port] of lists) {
          if (!Array.isArray(list)) continue;
          for (const id of list) {
            const to = keyOf.get(id);
            const out = port && data[key].outputs[port];
            if (!to || !out || out.connections.some((x) => x.node === to)) { dang(key, field, id); continue; }
            out.connections.push({ node: to, output: 'input_1' });
            data[to].inputs.input_1.connections.push({ node: key, input: port });
          }
        }
      });
      editor.node_selected = null;
      editor.connection_selected = null;
      // drawflow's import draws each node's links in turn, reading the layout after every write; with that
      // step muted, drawLinks reads every port once and then writes every path.
      const update = editor.updateConnectionNodes;
      editor.updateConnectionNodes = () => {};
      try {
        editor.import({ drawflow: { [MODULE]: { data } } });
      } finally {
        editor.updateConnectionNodes = update;
      }
      drawLinks();
      const live = nodes();
      steps.forEach((s, i) => {
        const key = String(i + 1);
        const step = clone(s);
        delete step.position;
        live[key].data = step;
        const el = nodeEl(key);
        if (el) { el.dataset.stepId = s.id; el.dataset.stepType = s.type; }
      });
      startKey = steps.length ? '1' : null;
      selectedKey = null;
      if (panelStepId) panelKey = keyOfStep(panelStepId);
      markProblems(lastProblems, { list: false });
    } finally {
      loading = false;
    }
  }

  // ---------- links ----------

  // A link is a vertical curve from its output down to its input, unless that curve would cross the box of
  // another step (a parallel step's "then" past its branches, a step moved into the way) or the input is
  // above the output (a loop back up): then it goes round, down a short way from the output, sideways
  // to a free lane beside the boxes in its way (the side that is shorter), along the lane and into the
  // input from above. drawflow hands createCurvature the two ends only, so the ends' own boxes are the ones
  // at those points.
  const LINK_DROP = 20;   // a routed link's straight run out of its output and into its input
  const LINK_CLEAR = 16;  // how far a lane keeps from the boxes beside it
  const LINK_RADIUS = 8;  // of a routed link's corners

  // stepBoxes are the steps' boxes, [left, top, right, bottom] in canvas pixels, as the nodes stand (their
  // style, not drawflow's pos_x/pos_y: a drag leaves those off by its last move until nodeMoved), read once
  // a frame or drawLinks — drawflow draws a dragged node's links one by one, each after the last one's
  // write — but the dragged node's own box every time.
  let linkBoxes = null; // {boxes, index: node element → its box's index}
  const boxOf = (el) => {
    const x = parseFloat(el.style.left) || 0; const y = parseFloat(el.style.top) || 0;
    return [x, y, x + (el.offsetWidth || NODE_W), y + (el.offsetHeight || NODE_H)];
  };
  function stepBoxes() {
    if (!linkBoxes) {
      linkBoxes = { boxes: [], index: new Map() };
      for (const k in nodes()) {
        const el = nodeEl(k);
        if (el) linkBoxes.index.set(el, linkBoxes.boxes.push(boxOf(el)) - 1);
      }
      requestAnimationFrame(() => { linkBoxes = null; });
    }
    const i = editor.drag && editor.ele_selected ? linkBoxes.index.get(editor.ele_selected) : undefined;
    if (i !== undefined) linkBoxes.boxes[i] = boxOf(editor.ele_selected);
    return linkBoxes.boxes;
  }

  function routeLink(sx, sy, ex, ey) {
    const boxes = stepBoxes();
    // a port sits on its box's edge (half outside it): the ends' boxes are the ones within a port of the ends
    const at = (b, x, y) => x > b[0] - 14 && x < b[2] + 14 && y > b[1] - 14 && y < b[3] + 14;
    const others = boxes.filter((b) => !at(b, sx, sy) && !at(b, ex, ey));
    if (ey > sy && !curveHits(sx, sy, ex, ey, others)) return plainCurve(sx, sy, ex, ey);
    const from = boxes.find((b) => at(b, sx, sy));
    return roundedPath(lanePoints(sx, sy, ex, ey, boxes, others, from ? (from[0] + from[2]) / 2 : sx));
  }

  const curveBend = (sy, ey) => Math.max(Math.abs(ey - sy) * 0.5, 40);

  function plainCurve(sx, sy, ex, ey) {
    const k = curveBend(sy, ey);
    return ' M ' + sx + ' ' + sy + ' C ' + sx + ' ' + (sy + k) + ' ' + ex + ' ' + (ey - k) + ' ' + ex + ' ' + ey;
  }

  // curveHits says whether the plain curve comes within 3 px of one of the boxes, sampled every ~6 px.
  function curveHits(sx, sy, ex, ey, boxes) {
    const k = curveBend(sy, ey);
    const x0 = Math.min(sx, ex) - 3; const x1 = Math.max(sx, ex) + 3;
    const y0 = Math.min(sy, ey) - k; const y1 = Math.max(sy, ey) + k;
    const near = boxes.filter((b) => b[0] - 3 < x1 && b[2] + 3 > x0 && b[1] - 3 < y1 && b[3] + 3 > y0);
    if (near.length === 0) return false;
    const n = Math.min(400, Math.ceil((Math.abs(ex - sx) + Math.abs(ey - sy) + 2 * k) / 6));
    for (let i = 1; i < n; i++) {
      const t = i / n; const u = 1 - t;
      const x = (u * u * u + 3 * u * u * t) * sx + (3 * u * t * t + t * t * t) * ex;
      const y = u * u * u * sy + 3 * u * u * t * (sy + k) + 3 * u * t * t * (ey - k) + t * t * t * ey;
      for (const b of near) if (x > b[0] - 3 && x < b[2] + 3 && y > b[1] - 3 && y < b[3] + 3) return true;
    }
    return false;
  }

  // lanePoints are the corners of a routed link: out of the output, across to the lane, along it, across
  // above the input and into it. The lane is clear of every box beside its run (the ends' too: a loop runs
  // up past them); the runs across are clear of the other boxes. Of the lanes that work, the shortest way.
  // The second output of a step (right of its middle, centre) runs lower and its lane further out, so when
  // both outputs go round the same boxes the two links cross at most once and never draw over each other.
  function lanePoints(sx, sy, ex, ey, boxes, others, centre) {
    const drop = ey > sy ? Math.min(LINK_DROP, (ey - sy) / 2) : LINK_DROP; // between close rows: halfway
    const y1 = sy + drop; const y2 = ey - drop;
    const lo = Math.min(y1, y2); const hi = Math.max(y1, y2);
    const spans = boxes.filter((b) => b[1] - LINK_CLEAR < hi && b[3] + LINK_CLEAR > lo)
      .map((b) => [b[0] - LINK_CLEAR, b[2] + LINK_CLEAR]).sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else merged.push(s);
    }
    const free = (x) => !merged.some((m) => x > m[0] && x < m[1]);
    const lanes = [sx, ex].filter(free);
    for (const m of merged) lanes.push(m[0], m[1]);
    const cost = (x) => Math.abs(sx - x) + Math.abs(x - ex);
    lanes.sort((a, b) => cost(a) - cost(b));
    const across = (xa, xb, y) => others.some((b) => b[1] - 6 < y && b[3] + 6 > y && b[0] - 6 < Math.max(xa, xb) && b[2] + 6 > Math.min(xa, xb));
    const spread = sx - centre <= 1 ? 0 : ey > sy ? Math.min(8, Math.max(0, y2 - y1)) : 8;
    const route = (x) => {
      if (!spread) return [x, y1];
      const out = merged.some((m) => m[1] === x) ? 1 : merged.some((m) => m[0] === x) ? -1 : 0;
      return [out && free(x + out * spread) ? x + out * spread : x, y1 + spread];
    };
    const fits = lanes.map(route).find(([x, y]) => !across(sx, x, y) && !across(x, ex, y2));
    const [x, y] = fits || route(lanes[0]);
    return [[sx, sy], [sx, y], [x, y], [x, y2], [ex, y2], [ex, ey]];
  }

  // roundedPath joins the corners with straight runs and rounds each corner.
  function roundedPath(corners) {
    const p = [];
    for (const q of corners) {
      const n = p.length;
      if (n > 0 && p[n - 1][0] === q[0] && p[n - 1][1] === q[1]) continue;
      const a = p[n - 2]; const b = p[n - 1];
      const onward = n > 1 && ((a[0] === b[0] && b[0] === q[0] && (b[1] - a[1]) * (q[1] - b[1]) > 0) ||
        (a[1] === b[1] && b[1] === q[1] && (b[0] - a[0]) * (q[0] - b[0]) > 0));
      if (onward) p[n - 1] = q;
      else p.push(q);
    }
    let d = ' M ' + p[0][0] + ' ' + p[0][1];
    for (let i = 1; i < p.length - 1; i++) {
      const [ax, ay] = p[i - 1]; const [bx, by] = p[i]; const [cx, cy] = p[i + 1];
      const l1 = Math.hypot(bx - ax, by - ay); const l2 = Math.hypot(cx - bx, cy - by);
      const r = Math.min(LINK_RADIUS, l1 / 2, l2 / 2);
      d += ' L ' + (bx - (bx - ax) / l1 * r) + ' ' + (by - (by - ay) / l1 * r) +
        ' Q ' + bx + ' ' + by + ' ' + (bx + (cx - bx) / l2 * r) + ' ' + (by + (cy - by) / l2 * r);
    }
    const end = p[p.length - 1];
    return d + ' L ' + end[0] + ' ' + end[1];
  }

  // A step moved, added or taken away can stand in the way of links that are not its own, or stop
  // standing there: every link is drawn again, at most once a frame.
  let linksFrame = 0;
  function drawLinksSoon() {
    if (!linksFrame) linksFrame = requestAnimationFrame(() => { linksFrame = 0; drawLinks(); });
  }
  editor.on('mouseMove', () => { if (editor.drag) drawLinksSoon(); });
  for (const ev of ['nodeMoved', 'nodeCreated', 'nodeRemoved']) editor.on(ev, drawLinksSoon);
  // drawflow's drag sets a node's pos_x/pos_y from its left/top after moving it, one move too far: the
  // record takes the place the node is drawn at (before the other nodeMoved listeners keep it).
  editor.on('nodeMoved', (key) => {
    const n = nodes()[key]; const el = nodeEl(key);
    if (!n || !el) return;
    n.pos_x = parseFloat(el.style.left) || 0;
    n.pos_y = parseFloat(el.style.top) || 0;
  });

  // drawLinks draws every link: all reads of the layout first, then all writes.
  function drawLinks() {
    linkBoxes = null;
    const pre = editor.precanvas;
    const box = pre.getBoundingClientRect();
    const z = editor.zoom || 1;
    const centre = new Map();
    for (const port of pre.querySelectorAll('.drawflow-node .input, .drawflow-node .output')) {
      const node = port.closest('.drawflow-node');
      const r = port.getBoundingClientRect();
      centre.set(node.id + ' ' + port.classList[1], [port.offsetWidth / 2 + (r.x - box.x) / z, port.offsetHeight / 2 + (r.y - box.y) / z]);
    }
    const paths = [];
    for (const svg of pre.querySelectorAll('svg.connection')) {
      const c = svg.classList; // connection node_in_node-X node_out_node-Y output_k input_k
      const from = centre.get(c[2].slice(9) + ' ' + c[3]);
      const to = centre.get(c[1].slice(8) + ' ' + c[4]);
      if (from && to && svg.firstElementChild) paths.push([svg.firstElementChild, editor.createCurvature(from[0], from[1], to[0], to[1], editor.curvature, 'openclose')]);
    }
    for (const [path, d] of paths) path.setAttributeNS(null, 'd', d);
  }

  function sizesNow() {
    const sizes = new Map();
    const data = nodes();
    for (const k in data) {
      const el = nodeEl(k);
      if (el && data[k].data) sizes.set(data[k].data.id, { width: el.offsetWidth || NODE_W, height: el.offsetHeight || NODE_H });
    }
    return sizes;
  }

  function autoLayout() {
    const def = buildDefinition();
    load(def, { layout: true, sizes: sizesNow(), bar: false });
    fit();
    changed();
  }

  function applyTransform() {
    editor.precanvas.style.transform = 'translate(' + editor.canvas_x + 'px, ' + editor.canvas_y + 'px) scale(' + editor.zoom + ')';
  }

  // fit zooms (not below 0.5, not above 1) and pans so the workflow fills the canvas, the start at the top.
  function fit() {
    const data = nodes();
    const keys = Object.keys(data);
    const c = canvasEl.getBoundingClientRect();
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    for (const k of keys) {
      const n = data[k];
      minX = Math.min(minX, n.pos_x); minY = Math.min(minY, n.pos_y);
      maxX = Math.max(maxX, n.pos_x + NODE_W); maxY = Math.max(maxY, n.pos_y + NODE_H);
    }
    const m = 40;
    if (!keys.length || !c.width) {
      editor.canvas_x = 0; editor.canvas_y = 0; applyTransform();
      return;
    }
    const w = maxX - minX; const h = maxY - minY;
    let z = Math.min(1, (c.width - 2 * m) / w, (c.height - 2 * m) / h);
    z = Math.max(0.5, Math.floor(z * 10) / 10);
    editor.zoom = z;
    editor.zoom_last_value = z;
    editor.canvas_x = (z * w < c.width - 2 * m ? (c.width - z * w) / 2 : m) - z * minX;
    editor.canvas_y = (z * h < c.height - 2 * m ? (c.height - z * h) / 2 : m) - z * minY;
    applyTransform();
  }

  // ---------- undo, redo, changes ----------

  const undoLog = { stack: [], index: -1 };
  let snapTimer = null;

  function snapshot() {
    clearTimeout(snapTimer);
    snapTimer = null;
    const json = JSON.stringify(buildDefinition());
    if (undoLog.stack[undoLog.index] === json) return;
    undoLog.stack.splice(undoLog.index + 1);
    undoLog.stack.push(json);
    if (undoLog.stack.length > 100) undoLog.stack.shift();
    undoLog.index = undoLog.stack.length - 1;
    updateButtons();
    keepDraft();
    recheckSoon();
  }

  // ---------- nothing is lost ----------

  // What is not saved yet is kept in the browser after every change, with the undo history, under the
  // workflow and the version the edits started from; opening the designer there again brings it back (and
  // Undo takes it back step by step). Saving forgets it. Only when the browser cannot keep it does leaving
  // the page ask first.
  const DRAFTS = 'pantryflow:draft:';
  let draftKept = true;

  function draftKey() {
    return DRAFTS + (root.dataset.workflowId ? root.dataset.workflowId + ':v' + (root.dataset.version || '0') : 'new' + location.search);
  }

  function keepDraft() {
    try {
      if (isDirty() && (root.dataset.workflowId || undoLog.stack.length > 1)) {
        localStorage.setItem(draftKey(), JSON.stringify({ at: Date.now(), stack: undoLog.stack, index: undoLog.index }));
      } else {
        localStorage.removeItem(draftKey());
      }
      draftKept = true;
    } catch (err) {
      draftKept = false;
    }
  }

  function forgetDraft(key) {
    try { localStorage.removeItem(key); } catch (err) { /* nothing kept */ }
  }

  // takeDraft brings back the kept draft of this workflow and version; true when there was one.
  function takeDraft() {
    let d = null;
    try { d = JSON.parse(localStorage.getItem(draftKey()) || 'null'); } catch (err) { d = null; }
    if (!d || !Array.isArray(d.stack) || d.stack.length === 0) return false;
    const stack = d.stack.slice(-100);
    const index = Math.min(Math.max(Number(d.index) || 0, 0), stack.length - 1);
    if (stack[index] === JSON.stringify(buildDefinition())) { forgetDraft(draftKey()); return false; }
    let def;
    try { def = JSON.parse(stack[index]); } catch (err) { forgetDraft(draftKey()); return false; }
    undoLog.stack = stack;
    undoLog.index = index;
    load(def);
    updateButtons();
    const at = new Date(d.at);
    setStatus('Brought back the changes you had not saved (' + (isNaN(at) ? 'earlier' : at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })) +
      '): Save draft keeps them, Undo takes them back.', 'ok');
    root.dataset.restored = 'true';
    recheckSoon(); // the boxes' words and the marks of what was brought back
    return true;
  }

  window.addEventListener('beforeunload', (e) => {
    flushSnapshot();
    if (!draftKept && isDirty()) { e.preventDefault(); e.returnValue = ''; }
  });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flushSnapshot(); });

  // After every change the whole workflow is checked again in the background, so every step's marks and
  // the list of problems say what is wrong now — not only for the step whose panel answered last.
  let recheckTimer = null;
  function recheckSoon() {
    clearTimeout(recheckTimer);
    recheckTimer = setTimeout(recheck, 400);
  }

  // While a button is down (a drag in progress) the answer waits: the page does not change under the hand.
  let pressed = false;
  let heldAnswer = null;
  document.addEventListener('pointerdown', () => { pressed = true; }, true);
  const released = () => {
    pressed = false;
    const a = heldAnswer;
    heldAnswer = null;
    if (a) applyRecheck(a.sent, a.sentJSON, a.data);
  };
  document.addEventListener('pointerup', released, true);
  document.addEventListener('pointercancel', released, true);

  async function recheck() {
    const sent = buildDefinition();
    const sentJSON = JSON.stringify(sent);
    let res;
    try { res = await request('POST', '/designer/check', { definition: sent }); } catch (err) { return; }
    if (!res.ok) return;
    if (pressed) { heldAnswer = { sent, sentJSON, data: res.data }; return; }
    applyRecheck(sent, sentJSON, res.data);
  }

  function applyRecheck(sent, sentJSON, data) {
    if (JSON.stringify(buildDefinition()) !== sentJSON) return; // a newer change is checked again
    const res = { data };
    const said = res.data.summaries || {};
    for (const step of sent.steps || []) learnSummary(step, said[step.id]);
    for (const key of Object.keys(nodes())) relabel(key);
    markProblems(res.data.problems || []);
    root.dataset.rechecked = String((Number(root.dataset.rechecked) || 0) + 1);
  }

  // changed records that the workflow changed: a snapshot soon (edits in a burst make one), buttons now.
  function changed() {
    if (loading) return;
    clearTimeout(snapTimer);
    snapTimer = setTimeout(snapshot, 250);
    updateButtons();
  }

  function flushSnapshot() { if (snapTimer) snapshot(); }

  function restore(offset) {
    flushSnapshot();
    const i = undoLog.index + offset;
    if (i < 0 || i >= undoLog.stack.length) return;
    undoLog.index = i;
    load(JSON.parse(undoLog.stack[i]));
    updateButtons();
    keepDraft();
    recheckSoon();
    setStatus(offset < 0 ? 'Undone' : 'Redone');
    // the open panel shows the restored state
    const shows = panel.dataset.shows;
    if (shows === 'step' && panelKey && nodes()[panelKey]) selectNode(panelKey);
    else if (shows === 'trigger' || shows === 'variables') openPanel(shows);
  }

  function isDirty() {
    return !root.dataset.workflowId || JSON.stringify(buildDefinition()) !== lastSavedJSON;
  }

  const undoBtn = document.getElementById('undo');
  const redoBtn = document.getElementById('redo');
  function updateButtons() {
    if (undoBtn) undoBtn.disabled = undoLog.index <= 0 && !snapTimer;
    if (redoBtn) redoBtn.disabled = undoLog.index >= undoLog.stack.length - 1 || !!snapTimer;
  }

  // ---------- selection and the side panel ----------

  function selectNode(key, opts = {}) {
    const el = nodeEl(key);
    if (!el) return;
    if (editor.node_selected && editor.node_selected !== el) editor.node_selected.classList.remove('selected');
    editor.node_selected = el;
    el.classList.add('selected');
    selectedKey = key;
    if (opts.reveal) reveal(el);
    if (opts.panel !== false) openStepPanel(key);
  }

  // reveal pans the canvas so el is in view.
  function reveal(el) {
    const c = canvasEl.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom) return;
    editor.canvas_x += c.left + c.width / 2 - (r.left + r.width / 2);
    editor.canvas_y += c.top + c.height / 2 - (r.top + r.height / 2);
    applyTransform();
  }

  // The record the panels' live values are worked out with ("Preview with Ana Lopez"): picked in one
  // panel, every panel opened after it previews with it too, until the page is left.
  const PREVIEW = 'pantryflow:preview:' + (root.dataset.workflowId || 'new');
  let previewPick = '';
  try { previewPick = sessionStorage.getItem(PREVIEW) || ''; } catch (err) { previewPick = ''; }
  function notePreviewPick() {
    const el = panel.querySelector('[name="preview"]');
    if (!el || el.value === previewPick) return;
    previewPick = el.value;
    try { sessionStorage.setItem(PREVIEW, previewPick); } catch (err) { /* kept for this page only */ }
  }

  function panelRequest(url, values) {
    if (!window.htmx) { setStatus('The page did not load htmx; reload it', 'error'); return; }
    if (previewPick) values = Object.assign({ preview: previewPick }, values);
    window.htmx.ajax('POST', url, {
      target: '#panel', swap: 'innerHTML', values,
      headers: { 'X-CSRF-Token': csrfToken() },
    });
  }

  function openStepPanel(key) {
    const n = nodes()[key];
    if (!n) return;
    flushSnapshot();
    panelKey = key;
    panelStepId = n.data.id;
    panelWant = { kind: 'step', stepId: n.data.id };
    stopRunPanel();
    panelRequest('/designer/panel', { definition: JSON.stringify(buildDefinition()), step: n.data.id });
  }

  function deselect() {
    if (editor.node_selected) editor.node_selected.classList.remove('selected');
    editor.node_selected = null;
    selectedKey = null;
  }

  function openPanel(which) {
    flushSnapshot();
    deselect();
    panelKey = null;
    panelStepId = null;
    panelWant = { kind: which, stepId: null };
    stopRunPanel();
    panelRequest('/designer/' + which, { definition: JSON.stringify(buildDefinition()), workflowId: root.dataset.workflowId || '' });
  }

  // Copy buttons of the panels (a webhook's address and secret): <button data-copy="TEXT">.
  panel.addEventListener('click', async (e) => {
    const b = e.target.closest('[data-copy]');
    if (!b) return;
    e.preventDefault();
    const text = b.dataset.copy;
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (err) {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'sr-only';
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand('copy'); } catch (x) { ok = false; }
      ta.remove();
    }
    setStatus(ok ? 'Copied to the clipboard' : 'Could not copy; select the text and copy it', ok ? 'ok' : 'error');
  });

  // ---- panel requests and answers ----
  //
  // panelWant is the panel the person asked for last: {kind: step|trigger|variables|local, stepId}. An answer
  // for another panel (a field of the old panel posts on change when the person clicks another step) is not
  // shown, but the edit it carries is still applied to its step (or trigger, or variables).
  //
  // Every panel request carries seq, a number one higher than the last request's; the server echoes it on the
  // answer (the header Pantryflow-Panel-Seq). Requests of different fields are in flight together (hx-sync
  // "this:replace": only a field's own newer request replaces its older one), so their answers can arrive in
  // any order. Each request sends the whole form, so the newest one carries every edit made before it: only
  // its answer is shown, and an older answer for the wanted panel is dropped, whichever arrives first (a
  // late answer must not undo a box ticked after its request left). #panel[data-late] counts dropped answers.
  let panelWant = { kind: 'local', stepId: null };
  let panelSeqSent = 0; // the seq of the last panel request sent
  let panelSeqWanted = 0; // the seq of the last request sent for the wanted panel
  const panelSeqHeader = 'Pantryflow-Panel-Seq';
  let panelResult = null;
  // What the person typed after the panel's request left: the answer re-renders the field with the value the
  // request carried (unless the server marked it hx-preserve and htmx kept the element), so those keystrokes
  // are put back (and sent again) instead of being lost.
  let keepTyping = null;
  const inPanel = (target) => target && (target === panel || panel.contains(target));

  function panelKind(path) {
    if (/\/designer\/panel$/.test(path)) return 'step';
    if (/\/designer\/trigger$/.test(path) || /\/designer\/webhook\/rotate$/.test(path)) return 'trigger';
    if (/\/designer\/variables$/.test(path)) return 'variables';
    return null;
  }

  function wanted(kind, step) {
    return kind === panelWant.kind && (kind !== 'step' || step === panelWant.stepId);
  }

  // The results an answer carries (#panel-step, #panel-trigger, #panel-variables): htmx drops every script
  // of swapped content (allowScriptTags is off: the CSP), so they are read from the answer itself.
  function resultsOf(html) {
    const out = {};
    if (typeof html !== 'string' || !/id="panel-(step|trigger|variables)"/.test(html)) return out;
    const doc = new DOMParser().parseFromString(html, 'text/html');
    for (const id of ['panel-step', 'panel-trigger', 'panel-variables']) {
      const el = doc.getElementById(id);
      if (el) out[id] = { textContent: el.textContent, dataset: Object.assign({}, el.dataset) };
    }
    return out;
  }

  function applyResults(r, opts) {
    if (r['panel-step']) applyPanelStep(r['panel-step'], opts);
    if (r['panel-trigger']) {
      try { meta.trigger = JSON.parse(r['panel-trigger'].textContent); changed(); } catch (err) { /* keep the last trigger */ }
    }
    if (r['panel-variables']) {
      try {
        const v = JSON.parse(r['panel-variables'].textContent);
        meta.variables = Array.isArray(v) ? v : (v && Array.isArray(v.variables) ? v.variables : meta.variables);
        changed();
      } catch (err) { /* keep the last variables */ }
    }
  }

  // A test run's task answered in the panel (#test-run) is the task page's own form: none of the panels'
  // bookkeeping applies to it.
  const inTestRun = (el) => !!(el && el.closest && el.closest('#test-run'));

  document.body.addEventListener('htmx:configRequest', (e) => {
    const d = e.detail;
    if (!d || !inPanel(d.target) || inTestRun(d.target)) return;
    let step = null;
    try { step = d.parameters ? d.parameters.step : null; } catch (err) { step = null; }
    const kind = panelKind(d.path || '');
    d.panelWanted = !kind || wanted(kind, step);
    if (kind && d.parameters) {
      d.panelSeq = ++panelSeqSent;
      d.parameters.seq = String(d.panelSeq);
      if (d.panelWanted) panelSeqWanted = d.panelSeq;
    }
    // The panel's own requests carry the canvas's current definition, so the server checks the step
    // against the graph as it is now, not as it was when the panel opened.
    if (!d.elt || !panel.contains(d.elt) || !d.parameters) return;
    let has = false;
    try { has = d.parameters.definition !== undefined && d.parameters.definition !== null; } catch (err) { has = false; }
    if (has) d.parameters.definition = JSON.stringify(buildDefinition());
  });

  // The panel's requests on their way. Save and Publish wait for them: a field left by clicking Publish
  // sends its edit as the click lands, and what is published is what the open panel shows, not the step
  // as it was before that edit. An answer is applied in the request's load handler, before its loadend.
  const panelInFlight = new Set();
  document.body.addEventListener('htmx:beforeSend', (e) => {
    const d = e.detail;
    if (!d || !d.xhr || !inPanel(d.target) || !panelKind((d.requestConfig || {}).path || '')) return;
    const xhr = d.xhr;
    panelInFlight.add(xhr);
    xhr.addEventListener('loadend', () => {
      panelInFlight.delete(xhr);
      if (panelInFlight.size === 0) for (const done of panelIdleWaiters.splice(0)) done();
    });
  });
  const panelIdleWaiters = [];

  // panelIdle resolves when the open panel has no edit on its way (at most 10 s: a server that does not
  // answer fails the save on its own).
  function panelIdle() {
    const a = document.activeElement;
    if (a && panel.contains(a) && a.name && (a.tagName === 'TEXTAREA' || a.tagName === 'INPUT') && a.value !== a.defaultValue) {
      // A field still being typed in: its edit goes now, as leaving it would send it.
      a.dispatchEvent(new Event('change', { bubbles: true }));
    }
    if (panelInFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      panelIdleWaiters.push(resolve);
      setTimeout(resolve, 10000);
    });
  }

  document.body.addEventListener('htmx:beforeSwap', (e) => {
    const d = e.detail;
    if (!d || !inPanel(d.target) || inTestRun(d.target)) return;
    panelResult = null;
    keepTyping = null;
    const rc = d.requestConfig || {};
    let step = null;
    try { step = rc.formData ? rc.formData.get('step') : null; } catch (err) { step = null; }
    const kind = panelKind(rc.path || '');
    if (kind && (rc.panelWanted === false || !wanted(kind, step))) {
      d.shouldSwap = false;
      if (d.xhr && d.xhr.status === 200) applyResults(resultsOf(d.serverResponse), { background: true });
      return;
    }
    // The answer says which request it answers; one that failed before the panel read its form (the CSRF
    // check) does not, and counts as the answer to the request it came back on.
    let seq = 0;
    try { seq = Number(d.xhr && d.xhr.getResponseHeader(panelSeqHeader)) || 0; } catch (err) { seq = 0; }
    if (!seq) seq = rc.panelSeq || 0;
    if (kind && seq !== panelSeqWanted) {
      d.shouldSwap = false; // a newer request for this panel is on its way, with this one's edits in it
      panel.dataset.late = String((Number(panel.dataset.late) || 0) + 1);
      return;
    }
    const a = document.activeElement;
    if (a && panel.contains(a) && a.name && (a.tagName === 'TEXTAREA' || (a.tagName === 'INPUT' && /^(text|search|email|url|tel|number)$/.test(a.type)))) {
      let sent = null;
      try {
        const fd = rc.formData;
        if (fd && fd.has(a.name)) sent = fd.get(a.name);
      } catch (err) { sent = null; }
      // Keys typed since the request left are kept: those the request did not carry, and, when the
      // request did not send this field at all (a panel asked for before the typing began), every key
      // typed since the panel was drawn. A late answer never throws away what a person typed.
      if (sent !== null ? sent !== a.value : a.value !== a.defaultValue) {
        let start = null; let end = null;
        try { start = a.selectionStart; end = a.selectionEnd; } catch (err) { /* number inputs */ }
        keepTyping = { name: a.name, value: a.value, start, end };
      }
    }
    panelResult = resultsOf(d.serverResponse);
  });

  document.body.addEventListener('htmx:afterSwap', (e) => {
    const target = e.detail && e.detail.target;
    if (!inPanel(target) || inTestRun(target) || (target && !target.isConnected && panel.querySelector('#test-run'))) return;
    const result = panelResult || {};
    panelResult = null;
    const typing = keepTyping;
    keepTyping = null;
    if (typing) {
      const el = Array.from(panel.querySelectorAll('[name]')).find((x) => x.name === typing.name);
      if (el && el.value !== typing.value) {
        el.value = typing.value;
        el.focus();
        try { if (typing.start !== null) el.setSelectionRange(typing.start, typing.end); } catch (err) { /* number inputs */ }
        // Send it again now: the field was given its text by the script, so leaving it fires no change.
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }
    }
    const found = {};
    for (const id of ['panel-step', 'panel-trigger', 'panel-variables']) {
      const el = document.getElementById(id);
      found[id] = el ? { textContent: el.textContent, dataset: Object.assign({}, el.dataset) } : result[id];
    }
    notePreviewPick();
    panel.dataset.shows = found['panel-step'] ? 'step' : found['panel-trigger'] ? 'trigger' : found['panel-variables'] ? 'variables' : 'other';
    panel.dataset.swaps = String((Number(panel.dataset.swaps) || 0) + 1);
    if (!found['panel-step']) delete panel.dataset.stepId;
    applyResults(found, {});
  });

  // applyPanelStep puts a panel's edited step into its node; in the background (an answer for a panel no
  // longer shown) it leaves the panel's own state alone.
  // Until a version is published, a step's id follows its name: "Send an email" renamed "Welcome Ana"
  // becomes welcome_ana, not send_an_email kept for ever, so what runs, logs and links say reads as the
  // step is called. Only an id made from the old name follows (one written by hand stays), and every
  // {{ steps.<id> }} of the workflow follows with it. Once published, ids stay: runs and links name them.
  function followName(key, old, s) {
    if (root.dataset.published === 'true' || !old || s.id !== old.id || !s.name || s.name === old.name) return;
    const base = slug(old.name);
    if (old.id !== base && !new RegExp('^' + base + '_[0-9]+$').test(old.id)) return;
    const id = uniqueID(s.name, key);
    if (id === old.id) return;
    const ref = new RegExp('\\bsteps(\\.' + old.id + '\\b|\\[(["\'])' + old.id + '\\2\\])', 'g');
    const follow = (v) => {
      if (typeof v === 'string') return v.replace(ref, (m, _, q) => (q ? 'steps[' + q + id + q + ']' : 'steps.' + id));
      if (Array.isArray(v)) return v.map(follow);
      if (v && typeof v === 'object') { const o = {}; for (const k in v) o[k] = follow(v[k]); return o; }
      return v;
    };
    const data = nodes();
    for (const k in data) {
      if (k === key || !data[k].data || !data[k].data.configuration) continue;
      data[k].data.configuration = follow(data[k].data.configuration);
    }
    if (s.configuration) s.configuration = follow(s.configuration);
    for (const d of lastProblems) if (d.stepId === old.id) d.stepId = id;
    s.id = id;
    const hidden = panel.querySelector('input[name="step"]');
    if (hidden && hidden.value === old.id) hidden.value = id;
    const shown = panel.querySelector('.panel-id code');
    if (shown) shown.textContent = id;
  }

  function applyPanelStep(el, opts = {}) {
    let s;
    try { s = JSON.parse(el.textContent); } catch (err) { return; }
    if (!s || typeof s !== 'object') return;
    let key = (s.id && keyOfStep(s.id)) || null;
    if (!key && opts.background) return;
    if (!key && panelStepId) key = keyOfStep(panelStepId);
    if (!key && panelKey && nodes()[panelKey]) key = panelKey;
    if (!key) return;
    const n = nodes()[key];
    const wantStart = el.dataset.start === 'true' || el.dataset.start === '1' || s.start === true;
    delete s.start;
    delete s.position;
    if (!s.id) s.id = n.data.id;
    if (!s.type) s.type = n.data.type;
    if (s.type !== n.data.type) s.type = n.data.type; // the ports belong to the type; the panel cannot change it
    const before = JSON.stringify(n.data);
    if (!opts.background) followName(key, n.data, s);
    n.data = s;
    learnSummary(s, { kind: el.dataset.kind, detail: el.dataset.detail });
    if (!opts.background) {
      panelKey = key;
      panelStepId = s.id;
      if (panelWant.kind === 'step') panelWant.stepId = s.id;
      panel.dataset.stepId = s.id;
    }
    relabel(key);
    if (wantStart) setStart(key);
    let problems = null;
    if (el.dataset.problems) {
      try { problems = JSON.parse(el.dataset.problems); } catch (err) { problems = null; }
    }
    if (!Array.isArray(problems) && opts.background) problems = [];
    if (!Array.isArray(problems)) {
      problems = Array.from(panel.querySelectorAll('.field-error, .problem')).map((p) => p.textContent.trim()).filter(Boolean);
    }
    const msgs = problems.map((p) => (typeof p === 'string' ? p : p && p.message)).filter(Boolean);
    lastProblems = lastProblems.filter((d) => d.stepId !== s.id).concat(msgs.map((m) => ({ stepId: s.id, message: m })));
    setNodeProblems(key, msgs);
    if (JSON.stringify(s) !== before || wantStart) changed();
  }

  // ---------- problems ----------

  function setNodeProblems(key, msgs) {
    const el = nodeEl(key);
    if (!el) return;
    el.classList.toggle('has-error', msgs.length > 0);
    if (msgs.length) el.title = msgs.join('\n'); else el.removeAttribute('title');
    const badge = $('.node-error', el);
    if (badge) badge.textContent = msgs.length > 1 ? String(msgs.length) : '!';
  }

  function markProblems(details, opts = {}) {
    lastProblems = Array.isArray(details) ? details : [];
    const byKey = new Map();
    for (const d of lastProblems) {
      if (!d || !d.stepId) continue;
      const key = keyOfStep(d.stepId);
      if (!key) continue;
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(d.message);
    }
    for (const el of canvasEl.querySelectorAll('.drawflow-node.has-error')) {
      if (!byKey.has(keyOfEl(el))) setNodeProblems(keyOfEl(el), []);
    }
    for (const [key, msgs] of byKey) setNodeProblems(key, msgs);
    if (opts.list !== false) listProblems(lastProblems);
  }

  // listProblems shows the problems under the canvas. The list keeps its place when empty ("No problems
  // found"), so the canvas never changes size under a drag, and it is not redrawn when nothing changed.
  let listedJSON = null;
  function listProblems(details) {
    if (!problemsEl) return;
    const json = JSON.stringify(details.map((d) => [d.stepId || '', d.message, d.stepId ? (nodes()[keyOfStep(d.stepId)] || { data: {} }).data.name : '']));
    if (json === listedJSON) return;
    listedJSON = json;
    const frag = document.createDocumentFragment();
    for (const d of details) {
      const li = document.createElement('li');
      const key = d.stepId ? keyOfStep(d.stepId) : null;
      if (key) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'problem-link';
        b.dataset.stepId = d.stepId;
        const name = nodes()[key].data.name || d.stepId;
        const strong = document.createElement('strong');
        strong.textContent = name + ': ';
        b.append(strong, document.createTextNode(d.message));
        li.append(b);
      } else {
        li.textContent = (d.stepId ? d.stepId + ': ' : '') + d.message;
      }
      frag.append(li);
    }
    if (details.length === 0) {
      const li = document.createElement('li');
      li.className = 'no-problems';
      li.textContent = 'No problems found.';
      frag.append(li);
    }
    problemsEl.replaceChildren(frag);
    problemsEl.classList.toggle('is-empty', details.length === 0);
  }

  if (problemsEl) {
    problemsEl.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-step-id]');
      if (!b) return;
      const key = keyOfStep(b.dataset.stepId);
      if (key) selectNode(key, { reveal: true });
    });
  }

  // ---------- adding and removing steps ----------

  function newStep(type, action) {
    const made = (catalog.newSteps || {})[type === 'action' && action ? 'action:' + action : type];
    if (!made) return { id: uniqueID(type || 'Step'), name: type || 'Step', type, configuration: {}, nextSteps: [] };
    const step = { id: uniqueID(made.name), name: made.name, type: made.type, configuration: JSON.parse(JSON.stringify(made.configuration || {})), nextSteps: [] };
    learnSummary(step, made.summary);
    return step;
  }

  function addStep(type, action, x, y) {
    const step = newStep(type, action);
    const outputs = portsOf(type).length;
    loading = true; // nodeCreated is handled here
    let id;
    try {
      id = editor.addNode(step.type, 1, outputs, Math.round(x), Math.round(y), nodeClass(step), {}, nodeHTML(step));
    } finally { loading = false; }
    const key = String(id);
    nodes()[key].data = step;
    const el = nodeEl(key);
    el.dataset.stepId = step.id;
    el.dataset.stepType = step.type;
    if (!startKey || !nodes()[startKey]) setStart(key);
    changed();
    return key;
  }

  function removeNode(key) {
    if (!nodes()[key]) return;
    if (editor.node_selected && keyOfEl(editor.node_selected) === key) editor.node_selected = null;
    editor.removeNodeId('node-' + key); // fires nodeRemoved
  }

  // A free spot near the middle of what the canvas shows, clear of the other nodes.
  function freeSpot() {
    const c = canvasEl.getBoundingClientRect();
    const p = toCanvas(c.left + c.width / 2, c.top + c.height / 3);
    let x = p.x - NODE_W / 2; let y = p.y - NODE_H / 2;
    const data = nodes();
    const clash = (x0, y0) => Object.keys(data).some((k) => Math.abs(data[k].pos_x - x0) < NODE_W + 20 && Math.abs(data[k].pos_y - y0) < NODE_H + 20);
    for (let i = 0; i < 400 && clash(x, y); i++) {
      y += NODE_H + 30;
      if (i % 6 === 5) { y -= 6 * (NODE_H + 30); x += NODE_W + 40; }
    }
    return { x, y };
  }

  function toCanvas(clientX, clientY) {
    const r = editor.precanvas.getBoundingClientRect();
    return { x: (clientX - r.x) / editor.zoom, y: (clientY - r.y) / editor.zoom };
  }

  // ---------- palette: pointer-event drag and drop (no HTML5 drag-and-drop) ----------

  const palette = document.getElementById('palette');
  let paletteDrag = null;

  if (palette) {
    palette.addEventListener('pointerdown', (e) => {
      const item = e.target.closest('.palette-item');
      if (!item || e.button !== 0) return;
      e.preventDefault();
      paletteDrag = { item, pointerId: e.pointerId, x0: e.clientX, y0: e.clientY, ghost: null };
    });
    palette.addEventListener('keydown', (e) => {
      const item = e.target.closest('.palette-item');
      if (item && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); addFromPalette(item); }
    });
  }

  window.addEventListener('pointermove', (e) => {
    if (!paletteDrag || e.pointerId !== paletteDrag.pointerId) return;
    const d = paletteDrag;
    if (!d.ghost && Math.hypot(e.clientX - d.x0, e.clientY - d.y0) < 4) return;
    if (!d.ghost) {
      d.ghost = document.createElement('div');
      d.ghost.className = 'designer-ghost';
      d.ghost.textContent = d.item.textContent.trim();
      document.body.append(d.ghost);
      root.classList.add('is-dragging');
    }
    d.ghost.style.left = e.clientX + 'px';
    d.ghost.style.top = e.clientY + 'px';
    const c = canvasEl.getBoundingClientRect();
    canvasEl.classList.toggle('drop-target', e.clientX >= c.left && e.clientX <= c.right && e.clientY >= c.top && e.clientY <= c.bottom);
  });

  function endPaletteDrag(e, cancelled) {
    if (!paletteDrag || e.pointerId !== paletteDrag.pointerId) return;
    const d = paletteDrag;
    paletteDrag = null;
    canvasEl.classList.remove('drop-target');
    root.classList.remove('is-dragging');
    if (d.ghost) d.ghost.remove();
    if (cancelled) return;
    if (!d.ghost) { addFromPalette(d.item); return; } // a click
    const c = canvasEl.getBoundingClientRect();
    if (e.clientX < c.left || e.clientX > c.right || e.clientY < c.top || e.clientY > c.bottom) return;
    const p = toCanvas(e.clientX, e.clientY);
    const key = addStep(d.item.dataset.stepType, d.item.dataset.action, p.x - NODE_W / 2, p.y - 24);
    selectNode(key);
  }
  window.addEventListener('pointerup', (e) => endPaletteDrag(e, false));
  window.addEventListener('pointercancel', (e) => endPaletteDrag(e, true));

  function addFromPalette(item) {
    const p = freeSpot();
    const key = addStep(item.dataset.stepType, item.dataset.action, p.x, p.y);
    reveal(nodeEl(key));
    selectNode(key);
  }

  // ---------- drawflow events ----------

  editor.on('nodeSelected', (id) => {
    if (loading) return;
    selectedKey = String(id);
    openStepPanel(selectedKey);
  });
  editor.on('nodeUnselected', () => { selectedKey = null; });
  editor.on('nodeRemoved', (id) => {
    if (loading) return;
    const key = String(id);
    dangling.delete(key);
    if (selectedKey === key) selectedKey = null;
    if (editor.node_selected && !editor.node_selected.isConnected) editor.node_selected = null;
    if (startKey === key) {
      startKey = null;
      const first = Object.keys(nodes())[0];
      if (first) setStart(first);
    }
    if (panelKey === key) {
      panelKey = null;
      panelStepId = null;
      setPanel('hint', hint('The step was deleted. Select a step to edit it.'));
    }
    changed();
  });
  editor.on('connectionCreated', (c) => {
    if (loading) return;
    const from = String(c.output_id);
    // connecting a port replaces the references it had to steps that are not on the canvas
    const d = dangling.get(from);
    if (d) {
      const n = nodes()[from];
      const field = portsOf(n.data.type)[Number(String(c.output_class).slice(7)) - 1];
      if (field) delete d[field];
    }
    changed();
  });
  editor.on('connectionRemoved', () => { if (!loading) changed(); });
  editor.on('nodeMoved', () => { if (!loading) changed(); });

  // The canvas never scrolls: drawflow pans with a transform, and a scrolled container would put the
  // pointer and the drawing out of step (focusing an element inside it scrolls it otherwise).
  canvasEl.addEventListener('scroll', () => { canvasEl.scrollTop = 0; canvasEl.scrollLeft = 0; });

  // The delete button of the selected node.
  canvasEl.addEventListener('click', (e) => {
    const b = e.target.closest('.node-delete');
    if (!b) return;
    const el = b.closest('.drawflow-node');
    if (el) removeNode(keyOfEl(el));
  });

  // setPanel shows the canvas's own content in the panel (hints, the test run).
  function setPanel(kind, ...content) {
    panel.replaceChildren(...content);
    panelWant = { kind: 'local', stepId: null };
    panel.dataset.shows = kind;
    delete panel.dataset.stepId;
  }

  function hint(text) {
    const p = document.createElement('p');
    p.className = 'panel-hint';
    p.textContent = text;
    return p;
  }

  // ---------- keyboard ----------

  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    const mod = e.ctrlKey || e.metaKey;
    if (mod && !e.altKey && (e.key === 's' || e.key === 'S')) { e.preventDefault(); save(); return; }
    if (typing) return;
    if (mod && !e.shiftKey && (e.key === 'z' || e.key === 'Z')) { e.preventDefault(); restore(-1); return; }
    if (mod && (e.key === 'y' || e.key === 'Y' || (e.shiftKey && (e.key === 'z' || e.key === 'Z')))) { e.preventDefault(); restore(1); return; }
    if (e.key === 'Delete' && selectedKey && nodes()[selectedKey]) {
      // drawflow deletes on its own when the canvas has the focus; this covers the rest
      e.preventDefault();
      removeNode(selectedKey);
    }
  });

  // ---------- toolbar ----------

  const on = (id, fn) => { const el = document.getElementById(id); if (el) el.addEventListener('click', (e) => { e.preventDefault(); fn(e); }); };
  on('undo', () => restore(-1));
  on('redo', () => restore(1));
  on('zoom-in', () => editor.zoom_in());
  on('zoom-out', () => editor.zoom_out());
  on('layout', autoLayout);
  on('save', () => save());
  on('publish', () => publish());
  on('export', exportJSON);
  on('test-run', () => testRunForm());
  on('open-trigger', () => openPanel('trigger'));
  on('open-variables', () => openPanel('variables'));
  for (const el of [nameInput, descInput]) if (el) el.addEventListener('input', changed);

  const importInput = document.getElementById('import');
  if (importInput) importInput.addEventListener('change', () => {
    const f = importInput.files && importInput.files[0];
    if (f) importFile(f).finally(() => { importInput.value = ''; });
  });

  // ---------- save, publish, import, export ----------

  const timings = window.designerTimings = { ready: null, saves: [] };
  let saving = null;

  function afterSaved(id, version) {
    forgetDraft(draftKey()); // the draft of the version the edits started from
    root.dataset.workflowId = id;
    root.dataset.version = String(version);
    meta.id = id;
    meta.version = version;
    const url = '/workflows/' + encodeURIComponent(id) + '/designer';
    if (location.pathname !== url) replaceURL(url);
    lastSavedJSON = JSON.stringify(buildDefinition());
    forgetDraft(draftKey());
  }

  function replaceURL(url) {
    try { window.history.replaceState(null, '', url); } catch (err) { /* a sandboxed page */ }
  }

  // save posts the definition; it resolves true when the server took it.
  function save() {
    if (saving) return saving;
    saving = (async () => {
      const t0 = performance.now();
      await panelIdle();
      flushSnapshot();
      const def = buildDefinition();
      setStatus('Saving…', 'busy');
      let res;
      try {
        res = await request('POST', '/workflows/designer/save', { id: root.dataset.workflowId || '', definition: def });
      } catch (err) {
        setStatus('Not saved: the server did not answer (' + err.message + ')', 'error');
        return false;
      }
      if (res.status === 200 || res.status === 201) {
        afterSaved(res.data.id, res.data.version);
        markProblems([]);
        setStatus('Saved as version ' + res.data.version + ' (draft)', 'ok');
        timings.saves.push({ start: t0, end: performance.now(), ms: performance.now() - t0, steps: def.steps.length });
        return true;
      }
      if (res.status === 422) {
        const details = res.data.details || [];
        markProblems(details);
        const n = details.length;
        setStatus('Not saved: ' + (res.data.error || 'the workflow has problems') + (n ? ' (' + n + (n === 1 ? ' problem' : ' problems') + ' below)' : ''), 'error');
        return false;
      }
      setStatus('Not saved: ' + (res.data.error || res.data.message || 'the server answered ' + res.status), 'error');
      return false;
    })().finally(() => { saving = null; });
    return saving;
  }

  async function publish() {
    setStatus('Publishing…', 'busy');
    await panelIdle();
    flushSnapshot();
    if (isDirty() && !(await save())) return false;
    const id = root.dataset.workflowId;
    setStatus('Publishing…', 'busy');
    let res;
    try {
      res = await request('POST', '/workflows/' + encodeURIComponent(id) + '/designer/publish', { version: Number(root.dataset.version) });
    } catch (err) {
      setStatus('Not published: the server did not answer', 'error');
      return false;
    }
    if (res.ok) {
      root.dataset.version = String(res.data.version || root.dataset.version);
      root.dataset.published = 'true'; // from now on a renamed step keeps its id
      setStatus('Published version ' + root.dataset.version, 'ok');
      return true;
    }
    if (res.status === 422 && res.data.details) markProblems(res.data.details);
    setStatus('Not published: ' + (res.data.error || 'the server answered ' + res.status), 'error');
    return false;
  }

  async function check() {
    let res; let sent;
    try {
      sent = buildDefinition();
      res = await request('POST', '/designer/check', { definition: sent });
    } catch (err) {
      setStatus('Could not check the workflow: the server did not answer', 'error');
      return;
    }
    if (!res.ok) { setStatus('Could not check the workflow: ' + (res.data.error || res.status), 'error'); return; }
    const said = res.data.summaries || {};
    for (const step of sent.steps || []) learnSummary(step, said[step.id]);
    for (const key of Object.keys(nodes())) relabel(key);
    const problems = res.data.problems || res.data.details || [];
    markProblems(problems);
    root.dataset.checked = String(Date.now());
    if (problems.length) setStatus('Imported with ' + problems.length + (problems.length === 1 ? ' problem' : ' problems') + ' to fix (marked on the steps)', 'error');
    else setStatus('Imported; no problems found', 'ok');
  }

  async function importFile(file) {
    let def;
    try {
      def = JSON.parse(await file.text());
    } catch (err) {
      setStatus('Not imported: ' + file.name + ' is not JSON (' + err.message + ')', 'error');
      return;
    }
    if (!def || typeof def !== 'object' || Array.isArray(def)) {
      setStatus('Not imported: ' + file.name + ' is not a workflow definition', 'error');
      return;
    }
    flushSnapshot();
    lastProblems = [];
    panelKey = null;
    panelStepId = null;
    load(def);
    fit();
    setPanel('hint', hint('Imported ' + file.name + '. Select a step to edit it.'));
    snapshot();
    setStatus('Checking ' + file.name + '…', 'busy');
    await check();
    fit(); // the list of problems took some of the canvas's height
  }

  function exportJSON() {
    const def = buildDefinition();
    const blob = new Blob([JSON.stringify(def, null, 2) + '\n'], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = slug(def.name || 'workflow') + '.json';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  // ---------- test runs ----------

  let run = null; // {executionId, timer}

  function stopRunPanel() {
    if (run) run.panel = false;
  }

  // The Test run form is the server's (the variables of the saved version, drawn as the Run page draws
  // them); a submission with problems comes back as the form with them marked, a good one as the run's id.
  async function testRunForm() {
    flushSnapshot();
    deselect();
    panelKey = null;
    panelStepId = null;
    if (isDirty() && !(await save())) {
      setPanel('test-run', hint('Save the workflow first: ' + (statusEl ? statusEl.textContent : '')));
      return;
    }
    const url = '/workflows/' + encodeURIComponent(root.dataset.workflowId) + '/designer/run-form?version=' + encodeURIComponent(root.dataset.version || '0');
    let res;
    try {
      res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    } catch (err) {
      setPanel('test-run', hint('The server did not answer; try again.'));
      return;
    }
    if (!res.ok) {
      setPanel('test-run', hint('The test run form did not load (' + res.status + ').'));
      return;
    }
    showTestRunForm(await res.text());
  }

  function showTestRunForm(html) {
    const t = document.createElement('template');
    t.innerHTML = html;
    const form = t.content.querySelector('#test-run-form');
    if (!form) { setPanel('test-run', hint('The test run form did not load.')); return; }
    setPanel('test-run', form);
    const err = form.querySelector('.test-run-error');
    const go = form.querySelector('#test-run-start');
    form.querySelector('#test-run-cancel').addEventListener('click', () => setPanel('hint', hint('Select a step to edit it.')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      go.disabled = true;
      const ok = await submitTestRun(form, err);
      go.disabled = false;
      if (!ok && err.textContent) err.hidden = false;
    });
    const first = form.querySelector('[aria-invalid="true"]') || form.querySelector('input:not([type="hidden"]), textarea, select');
    if (first) first.focus();
  }

  async function submitTestRun(form, errEl) {
    if (isDirty()) {
      // edited since the form opened: run what is on the canvas, saved as a new version
      if (!(await save())) { errEl.textContent = 'Save the workflow first: ' + (statusEl ? statusEl.textContent : ''); return false; }
    }
    const action = new URL(form.action, location.href);
    action.searchParams.set('version', root.dataset.version || '0');
    setStatus('Starting a test run…', 'busy');
    let res;
    try {
      res = await fetch(action.toString(), { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' } });
    } catch (err) {
      errEl.textContent = 'The server did not answer';
      return false;
    }
    const text = await res.text();
    if ((res.headers.get('Content-Type') || '').startsWith('text/html')) {
      setStatus('The test run did not start', 'error');
      showTestRunForm(text); // the form again, its problems marked
      return true;
    }
    let data = {};
    try { data = JSON.parse(text) || {}; } catch (err) { data = {}; }
    if (!res.ok || !data.executionId) {
      const details = (data.details || []).map((d) => d.message).join('; ');
      errEl.textContent = (data.error || 'The test run did not start (' + res.status + ')') + (details ? ': ' + details : '');
      setStatus('The test run did not start', 'error');
      return false;
    }
    watchRun(data.executionId);
    return true;
  }

  const STATES = ['running', 'waiting', 'completed', 'failed', 'skipped', 'halted'];

  function clearRunStates() {
    for (const el of canvasEl.querySelectorAll('.drawflow-node')) {
      for (const s of STATES) el.classList.remove('state-' + s);
    }
  }

  function watchRun(executionId) {
    if (run && run.timer) clearTimeout(run.timer);
    clearRunStates();
    run = { executionId, timer: null, panel: true };
    root.dataset.testRun = executionId;
    const box = document.createElement('section');
    box.className = 'test-run';
    box.id = 'test-run';
    const h = document.createElement('h2');
    h.textContent = 'Test run';
    const status = document.createElement('p');
    status.className = 'test-run-status';
    status.id = 'test-run-status';
    status.textContent = 'Starting…';
    const actions = document.createElement('div');
    actions.className = 'actions';
    const skip = document.createElement('button');
    skip.type = 'button';
    skip.id = 'test-run-skip';
    skip.textContent = 'Skip wait';
    skip.hidden = true;
    const open = document.createElement('a');
    open.href = '/executions/' + encodeURIComponent(executionId);
    open.textContent = 'Open the execution';
    open.className = 'button secondary';
    actions.append(skip, open);
    const log = document.createElement('ol');
    log.className = 'test-run-log';
    // The run's task for the person testing is answered here, with the task page's own form.
    const taskBox = document.createElement('div');
    taskBox.className = 'test-run-task';
    taskBox.id = 'test-run-task';
    box.append(h, status, actions, taskBox, log);
    let shownTask = null;
    async function showTask(tasks) {
      const t = tasks[0];
      if (!t) { shownTask = null; return; }
      if (t.id === shownTask) return;
      shownTask = t.id;
      let html = '';
      try {
        const res = await fetch('/tasks/' + encodeURIComponent(t.id), { credentials: 'same-origin', headers: { Accept: 'text/html' } });
        if (res.ok) html = await res.text();
      } catch (err) { html = ''; }
      if (run !== thisRun || shownTask !== t.id) return;
      const tpl = document.createElement('template');
      tpl.innerHTML = html;
      const form = tpl.content.querySelector('#task-form');
      const say = document.createElement('p');
      say.className = 'test-run-task-title';
      const link = document.createElement('a');
      link.href = '/tasks/' + encodeURIComponent(t.id);
      link.textContent = t.title || 'the task';
      say.append('The run waits for ', link, ': answer it here (a test run\'s tasks go to you).');
      if (!form) { taskBox.replaceChildren(say); return; }
      taskBox.replaceChildren(say, form);
      if (window.htmx) window.htmx.process(taskBox);
    }
    taskBox.addEventListener('htmx:afterRequest', () => poll()); // answered: the run moves on now
    setPanel('test-run', box);
    skip.addEventListener('click', async () => {
      skip.disabled = true;
      try { await request('POST', '/executions/' + encodeURIComponent(executionId) + '/wake'); } catch (err) { /* the next poll shows it */ }
      skip.disabled = false;
      poll();
    });
    const thisRun = run;
    async function poll() {
      if (run !== thisRun) return;
      clearTimeout(thisRun.timer);
      let res;
      try { res = await request('GET', '/designer/runs/' + encodeURIComponent(executionId)); } catch (err) { res = null; }
      if (run !== thisRun) return;
      if (res && res.ok) {
        const r = res.data;
        paintStates(r.states || {});
        const waitingUntil = r.waitingUntil ? new Date(r.waitingUntil) : null;
        status.textContent = 'Status: ' + r.status + (waitingUntil && r.status === 'waiting' ? ' until ' + waitingUntil.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');
        status.dataset.status = r.status;
        root.dataset.testRunStatus = r.status;
        skip.hidden = !(r.status === 'waiting' && waitingUntil);
        const items = (r.log || []).map((l) => {
          const li = document.createElement('li');
          li.textContent = [l.stepName || l.stepId, l.action, l.message].filter(Boolean).join(' · ');
          return li;
        });
        log.replaceChildren(...items);
        showTask(r.tasks || []);
        setStatus('Test run: ' + r.status, r.status === 'failed' ? 'error' : r.status === 'completed' ? 'ok' : 'busy');
        if (['completed', 'failed', 'cancelled'].includes(r.status)) { skip.hidden = true; return; }
      }
      thisRun.timer = setTimeout(poll, 700);
    }
    poll();
  }

  function paintStates(states) {
    for (const el of canvasEl.querySelectorAll('.drawflow-node')) {
      const state = states[el.dataset.stepId];
      for (const s of STATES) el.classList.toggle('state-' + s, s === state);
    }
  }

  // ---------- start ----------

  const initial = readJSON('definition', null) || { name: 'Untitled workflow', trigger: { type: 'manual', configuration: {} }, steps: [], variables: [] };
  const initialSummaries = readJSON('summaries', null) || {};
  for (const step of initial.steps || []) learnSummary(step, initialSummaries[step.id]);
  const t0 = performance.now();
  load(initial, { bar: !(nameInput && nameInput.value) });
  fit();
  if (!root.dataset.workflowId && initial.id && /\/workflows\/[^/]+\/designer/.test(location.pathname)) root.dataset.workflowId = initial.id;
  lastSavedJSON = root.dataset.workflowId ? JSON.stringify(buildDefinition()) : null;
  if (!takeDraft()) snapshot();
  if (panel && !panel.children.length) panel.append(hint('Select a step to edit it, or open the trigger or the variables.'));
  listProblems([]);

  // An API for tests and the console: the definition as the canvas has it, and the node of a step.
  window.designer = {
    definition: buildDefinition,
    nodeOf: (stepId) => { const k = keyOfStep(stepId); return k ? nodeEl(k) : null; },
    reveal: (stepId) => { const k = keyOfStep(stepId); if (k) reveal(nodeEl(k)); return !!k; },
    editor,
    save,
    load: (def) => { load(def); snapshot(); },
  };

  timings.script = t0;                      // when this script began (after the page and the libraries)
  timings.canvas = performance.now() - t0;  // building the canvas: layout, nodes, links, first snapshot
  requestAnimationFrame(() => {
    timings.ready = performance.now();
    root.dataset.ready = 'true';
    resolveReady(timings.ready);
  });
})();

package views

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Graph is a workflow drawn as boxes and arrows, laid out top to bottom in layers.
type Graph struct {
	Nodes         []GraphNode
	Edges         []GraphEdge
	Width, Height int
}

// GraphNode is a step's box.
type GraphNode struct {
	ID, Name, Type string
	// State colours the box: completed, failed, running, waiting, skipped, halted or pending.
	State string
	// Detail is a short line under the name (counts and durations on dashboards).
	Detail string
	X, Y   int
}

// GraphEdge is an arrow between two steps.
type GraphEdge struct {
	From, To string
	Label    string // "yes"/"no" for conditions, "" otherwise
	Path     string // SVG path data
	LabelX   int
	LabelY   int
}

// Box sizes and gaps of the layout.
const (
	nodeW, nodeH = 200, 52
	gapX, gapY   = 36, 64
	margin       = 16
)

// LayoutGraph lays a definition out: each step in the layer of its longest path from the first step
// (back edges of loops ignored), steps in a layer ordered by where their parents are. The arrows are the
// plan's (workflow.Outline, so an old version that no longer compiles is still drawn).
func LayoutGraph(def *workflow.Definition, states map[string]string) Graph {
	index := map[string]int{}
	for i, s := range def.Steps {
		index[s.ID] = i
	}
	type edge struct {
		from, to, label string
	}
	var edges []edge
	for _, e := range workflow.Outline(def).Edges() {
		label := ""
		switch e.Kind {
		case workflow.EdgeTrue:
			label = "yes"
		case workflow.EdgeFalse:
			label = "no"
		}
		edges = append(edges, edge{e.From, e.To, label})
	}
	back := backEdges(def, edges2map(edges, func(e edge) (string, string) { return e.from, e.to }))

	// Longest-path layering over the forward edges, in definition order (a valid order after a DFS).
	layer := map[string]int{}
	order := topoOrder(def, edges2map(edges, func(e edge) (string, string) { return e.from, e.to }), back)
	for _, id := range order {
		for _, e := range edges {
			if e.from == id && !back[e.from+">"+e.to] && layer[e.to] < layer[id]+1 {
				layer[e.to] = layer[id] + 1
			}
		}
	}
	layers := map[int][]string{}
	maxLayer := 0
	for _, s := range def.Steps {
		l := layer[s.ID]
		layers[l] = append(layers[l], s.ID)
		maxLayer = max(maxLayer, l)
	}
	// Order each layer by the average position of its parents (one barycentre pass keeps arrows short).
	pos := map[string]float64{}
	widest := 0
	for l := 0; l <= maxLayer; l++ {
		ids := layers[l]
		bary := map[string]float64{}
		for _, id := range ids {
			sum, n := 0.0, 0
			for _, e := range edges {
				if e.to == id && !back[e.from+">"+e.to] {
					sum += pos[e.from]
					n++
				}
			}
			if n > 0 {
				bary[id] = sum / float64(n)
			} else {
				bary[id] = float64(index[id])
			}
		}
		slices.SortStableFunc(ids, func(a, b string) int {
			switch {
			case bary[a] < bary[b]:
				return -1
			case bary[a] > bary[b]:
				return 1
			}
			return index[a] - index[b]
		})
		for i, id := range ids {
			pos[id] = float64(i)
		}
		layers[l] = ids
		widest = max(widest, len(ids))
	}
	g := Graph{Width: margin*2 + widest*nodeW + max(0, widest-1)*gapX, Height: margin*2 + (maxLayer+1)*nodeH + maxLayer*gapY}
	at := map[string][2]int{}
	for l := 0; l <= maxLayer; l++ {
		ids := layers[l]
		rowW := len(ids)*nodeW + max(0, len(ids)-1)*gapX
		x0 := (g.Width - rowW) / 2
		for i, id := range ids {
			x, y := x0+i*(nodeW+gapX), margin+l*(nodeH+gapY)
			at[id] = [2]int{x, y}
			s := def.Steps[index[id]]
			state := states[id]
			if state == "" {
				state = "pending"
			}
			g.Nodes = append(g.Nodes, GraphNode{ID: id, Name: s.Name, Type: s.Type, State: state, X: x, Y: y})
		}
	}
	for _, e := range edges {
		a, b := at[e.from], at[e.to]
		ge := GraphEdge{From: e.from, To: e.to, Label: e.label}
		if back[e.from+">"+e.to] {
			// A loop back up: around the right side of the boxes.
			x := max(a[0], b[0]) + nodeW + gapX/2
			ge.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", a[0]+nodeW, a[1]+nodeH/2, x, a[1]+nodeH/2, x, b[1]+nodeH/2, b[0]+nodeW, b[1]+nodeH/2)
			g.Width = max(g.Width, x+margin)
		} else {
			x1, y1, x2, y2 := a[0]+nodeW/2, a[1]+nodeH, b[0]+nodeW/2, b[1]
			ge.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1, (y1+y2)/2, x2, (y1+y2)/2, x2, y2)
			ge.LabelX, ge.LabelY = (x1+x2)/2+6, (y1+y2)/2
		}
		g.Edges = append(g.Edges, ge)
	}
	return g
}

func edges2map[E any](edges []E, ends func(E) (string, string)) map[string][]string {
	out := map[string][]string{}
	for _, e := range edges {
		from, to := ends(e)
		out[from] = append(out[from], to)
	}
	return out
}

// backEdges finds the edges that close a loop, by a depth-first walk from the first step.
func backEdges(def *workflow.Definition, next map[string][]string) map[string]bool {
	back := map[string]bool{}
	state := map[string]int{} // 1 on the path, 2 done
	var visit func(id string)
	visit = func(id string) {
		state[id] = 1
		for _, n := range next[id] {
			switch state[n] {
			case 0:
				visit(n)
			case 1:
				back[id+">"+n] = true
			}
		}
		state[id] = 2
	}
	for _, s := range def.Steps {
		if state[s.ID] == 0 {
			visit(s.ID)
		}
	}
	return back
}

// topoOrder orders the steps so every forward edge goes from earlier to later.
func topoOrder(def *workflow.Definition, next map[string][]string, back map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		seen[id] = true
		for _, n := range next[id] {
			if !seen[n] && !back[id+">"+n] {
				visit(n)
			}
		}
		out = append(out, id)
	}
	for _, s := range def.Steps {
		if !seen[s.ID] {
			visit(s.ID)
		}
	}
	slices.Reverse(out)
	return out
}

// typeLabel names a step type for people.
func typeLabel(t string) string {
	switch t {
	case workflow.StepHumanTask:
		return "Human task"
	case workflow.StepDelay:
		return "Delay"
	case workflow.StepCondition:
		return "Condition"
	case workflow.StepParallel:
		return "Parallel"
	}
	return "Action"
}

// clip shortens a name to fit a box.
func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

package expression

import (
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// stepsName is the always-available variable holding earlier steps' outputs.
const stepsName = "steps"

// secretsName holds the named secrets a step may use, always by name: secrets.CRM_API_KEY. Which steps may
// use them is the workflow's rule, not the expression's; the engine gives a step only the secrets it names.
const secretsName = "secrets"

// refs collects the declared variables and step ids an expression reads.
type refs struct {
	declared map[string]bool
	shadow   map[string]int // let-variables in scope
	names    map[string]struct{}
	steps    map[string]struct{}
	secrets  map[string]struct{}
	// fields are the dotted paths read below declared variables ("lead.company.name"), for the workflow to
	// check against what it knows of a variable's shape.
	fields map[string]struct{}
	// unnamed are uses of secrets other than secrets.NAME, which would hide which secret is used.
	unnamed []*ast.IdentifierNode
	// unknown are identifiers that are neither declared, "steps", nor in scope. expr's type checker misses
	// some (inside the arguments of our helper functions), so this walk is the final word.
	unknown []*ast.IdentifierNode
}

func collectRefs(root ast.Node, declared []string) *refs {
	r := &refs{
		declared: make(map[string]bool, len(declared)),
		shadow:   map[string]int{},
		names:    map[string]struct{}{},
		steps:    map[string]struct{}{},
		secrets:  map[string]struct{}{},
		fields:   map[string]struct{}{},
	}
	for _, n := range declared {
		r.declared[n] = true
	}
	r.walk(root)
	return r
}

func (r *refs) isEnv(name string) bool { return r.shadow[name] == 0 }

func (r *refs) walk(node ast.Node) {
	switch n := node.(type) {
	case nil:
	case *ast.IdentifierNode:
		switch {
		case n.Value == secretsName && r.isEnv(secretsName):
			r.unnamed = append(r.unnamed, n)
		case n.Value == stepsName || n.Value == "$env" || n.Value == meterName || !r.isEnv(n.Value):
		case r.declared[n.Value]:
			r.names[n.Value] = struct{}{}
		default:
			r.unknown = append(r.unknown, n)
		}
	case *ast.MemberNode:
		if root, props, ok := memberPath(n); ok && r.declared[root] && r.isEnv(root) {
			r.fields[root+"."+strings.Join(props, ".")] = struct{}{}
		}
		if id, ok := n.Node.(*ast.IdentifierNode); ok {
			prop, isString := n.Property.(*ast.StringNode)
			switch {
			case id.Value == stepsName && isString && r.isEnv(stepsName):
				r.steps[prop.Value] = struct{}{}
			case id.Value == secretsName && isString && r.isEnv(secretsName):
				r.secrets[prop.Value] = struct{}{}
				return
			case id.Value == "$env" && isString && prop.Value != stepsName && r.declared[prop.Value]:
				r.names[prop.Value] = struct{}{}
			}
		}
		r.walk(n.Node)
		r.walk(n.Property)
	case *ast.VariableDeclaratorNode:
		r.walk(n.Value)
		r.shadow[n.Name]++
		r.walk(n.Expr)
		r.shadow[n.Name]--
	case *ast.UnaryNode:
		r.walk(n.Node)
	case *ast.BinaryNode:
		r.walk(n.Left)
		r.walk(n.Right)
	case *ast.ChainNode:
		r.walk(n.Node)
	case *ast.SliceNode:
		r.walk(n.Node)
		r.walk(n.From)
		r.walk(n.To)
	case *ast.CallNode:
		if _, named := n.Callee.(*ast.IdentifierNode); !named {
			r.walk(n.Callee) // a named callee is a function, which expr has checked
		}
		r.walkAll(n.Arguments)
	case *ast.BuiltinNode:
		r.walkAll(n.Arguments)
	case *ast.PredicateNode:
		r.walk(n.Node)
	case *ast.SequenceNode:
		r.walkAll(n.Nodes)
	case *ast.ConditionalNode:
		r.walk(n.Cond)
		r.walk(n.Exp1)
		r.walk(n.Exp2)
	case *ast.ArrayNode:
		r.walkAll(n.Nodes)
	case *ast.MapNode:
		r.walkAll(n.Pairs)
	case *ast.PairNode:
		r.walk(n.Key)
		r.walk(n.Value)
	}
}

// memberPath reads a chain of named members from a variable: lead.company.name is lead, [company name].
// A computed member (lead[key]) ends nothing: the chain is not a path then.
func memberPath(n *ast.MemberNode) (root string, props []string, ok bool) {
	prop, isString := n.Property.(*ast.StringNode)
	if !isString {
		return "", nil, false
	}
	switch inner := n.Node.(type) {
	case *ast.IdentifierNode:
		return inner.Value, []string{prop.Value}, true
	case *ast.MemberNode:
		root, props, ok = memberPath(inner)
		return root, append(props, prop.Value), ok
	case *ast.ChainNode:
		if m, isMember := inner.Node.(*ast.MemberNode); isMember {
			root, props, ok = memberPath(m)
			return root, append(props, prop.Value), ok
		}
	}
	return "", nil, false
}

func (r *refs) walkAll(nodes []ast.Node) {
	for _, n := range nodes {
		r.walk(n)
	}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mergeSorted returns the sorted distinct union of sorted lists.
func mergeSorted(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

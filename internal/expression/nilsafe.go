package expression

import "github.com/expr-lang/expr/ast"

// nilSafe makes every member and index access optional, as if the user had
// written lead?.company?.name: reading through a nil value yields nil instead
// of a run-time error.
//
// Setting MemberNode.Optional alone is not enough: expr only compiles the
// "jump if nil" for optional members that sit inside an ast.ChainNode, which
// marks where the jump lands. Like expr's parser does for ?., the visitor
// keeps one ChainNode around the outermost member of a chain (or around the
// method call, for lead.name.Method()). The visitor is stateless.
type nilSafe struct{}

func (nilSafe) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if c, ok := n.Node.(*ast.ChainNode); ok {
			n.Node = c.Node // extend the inner chain instead of nesting it
		}
		n.Optional = true
		if n.Method {
			return // the enclosing CallNode gets the ChainNode
		}
		*node = chainOf(n)
	case *ast.CallNode:
		if m, ok := n.Callee.(*ast.MemberNode); ok && m.Method && m.Optional {
			*node = chainOf(n)
		}
	case *ast.ChainNode:
		if c, ok := n.Node.(*ast.ChainNode); ok {
			n.Node = c.Node // user wrote ?. and we already wrapped it
		}
	}
}

func chainOf(n ast.Node) *ast.ChainNode {
	c := &ast.ChainNode{Node: n}
	c.SetLocation(n.Location())
	return c
}

package expression

import (
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// allowedBuiltins is the allow-list of expr builtins available in Pantryflow
// expressions. Everything else (repeat, fromJSON, reduce, now, date, ...) is
// disabled; the time functions are replaced by helpers that read the
// injected clock.
var allowedBuiltins = [...]string{
	// text
	"len", "lower", "upper", "trim", "trimPrefix", "trimSuffix", "split",
	"join", "replace", "indexOf", "hasPrefix", "hasSuffix",
	// numbers and conversions
	"abs", "ceil", "floor", "round", "int", "float", "string",
	"max", "min", "sum", "mean",
	// lists and maps
	"all", "any", "none", "one", "filter", "map", "count", "find",
	"first", "last", "keys", "values", "toJSON", "sort", "uniq", "concat", "get",
}

func isAllowedBuiltin(name string) bool {
	return slices.Contains(allowedBuiltins[:], name)
}

// isExprBuiltin reports whether name is one of expr's own builtins (allowed
// or not).
func isExprBuiltin(name string) bool {
	_, ok := builtin.Index[name]
	return ok
}

func builtinOptions() []expr.Option {
	opts := make([]expr.Option, 0, 1+len(allowedBuiltins))
	opts = append(opts, expr.DisableAllBuiltins())
	for _, name := range allowedBuiltins {
		if !slices.Contains(sizedBuiltins[:], name) { // replaced by functions that check their result's size
			opts = append(opts, expr.EnableBuiltin(name))
		}
	}
	return opts
}

// builtinGuard closes a gap in expr.DisableAllBuiltins: expr's parser turns
// calls of predicate builtins (reduce, sortBy, groupBy, findIndex, ...) into
// builtin nodes without looking at the disabled list. The guard rewrites any
// builtin node that is not on the allow-list into an ordinary call of an
// identifier of the same name, which the checker then rejects as an unknown
// name. It is stateless, so one value can be shared by concurrent compiles.
type builtinGuard struct{}

func (builtinGuard) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BuiltinNode)
	if !ok || isAllowedBuiltin(b.Name) {
		return
	}
	callee := &ast.IdentifierNode{Value: b.Name}
	callee.SetLocation(b.Location())
	call := &ast.CallNode{Callee: callee, Arguments: b.Arguments}
	call.SetLocation(b.Location())
	*node = call
}

package expression

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Every evaluation runs on a budget. expr's own memory budget counts ranges, literals and sorts, but not
// texts or the items a loop goes through, so one short template could double a text until the server ran
// out of memory, or loop over a large text for minutes. The budget guard below rewrites each compiled
// expression so that it measures what it makes while it makes it:
//
//   - every node that can make a new text or list (a call, a builtin such as upper or filter, and +) is
//     measured as soon as it has its value: no value over Limits.MaxValueBytes, and no more than
//     Limits.MaxTotalBytes made in all;
//   - every item a loop (filter, map, count, all, …) looks at counts as one unit of work against
//     Limits.MaxWork and looks at the deadline and the caller's context, so a loop stops within one item
//     of the time limit or of a cancelled run;
//   - replace, join and split, the builtins whose result can be far larger than their arguments, check
//     the size of their result before they build it.
//
// The guard keeps every node's static type (it wraps a node as `let v = node; measure(v); v`), so
// compile-time checks and messages are the same as without it.

// Limit names, as LimitError.Limit gives them.
const (
	LimitTime      = "time"       // the evaluation ran past Limits.Timeout
	LimitValueSize = "value size" // one text or list over Limits.MaxValueBytes
	LimitTotalSize = "total size" // more than Limits.MaxTotalBytes made in all
	LimitWork      = "work"       // more than Limits.MaxWork items looped over or created
	LimitStopped   = "stopped"    // the caller's context ended: the run was cancelled or its job timed out
)

// LimitError is an evaluation stopped by its budget, or by its caller. Retrying the same evaluation on the
// same data stops the same way, except for LimitStopped.
type LimitError struct {
	Limit   string
	Message string
	Hint    string
	cause   error // the context's error, for LimitStopped
}

func (e *LimitError) Error() string { return e.Message }

// Unwrap gives the context's error when the caller stopped the evaluation.
func (e *LimitError) Unwrap() error { return e.cause }

const (
	defaultTimeout       = time.Second
	defaultMaxValueBytes = 1 << 20
	defaultMaxTotalBytes = 16 << 20
	defaultMaxWork       = 1_000_000
)

func (l *Limits) withDefaults() {
	if l.MaxLength <= 0 {
		l.MaxLength = defaultMaxLength
	}
	if l.MaxNodes == 0 {
		l.MaxNodes = defaultMaxNodes
	}
	if l.Timeout <= 0 {
		l.Timeout = defaultTimeout
	}
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = defaultMaxValueBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = defaultMaxTotalBytes
	}
	if l.MaxWork == 0 {
		l.MaxWork = defaultMaxWork
	}
}

// meter is the budget of one evaluation: a condition, a filter, or every template of one value (a step's
// parameters). It is used by one goroutine.
type meter struct {
	ctx      context.Context
	limits   *Limits
	deadline time.Time
	total    int
	work     uint
}

// meterName is the variable through which guarded programs reach their meter. It holds a space, so no
// expression a person writes can name it.
const meterName = "pantryflow meter"

// Names of the guard's functions and of its temporary variables; like meterName, nobody can type them.
const (
	measureFunc = "pantryflow measure"
	tickFunc    = "pantryflow tick"
	tempPrefix  = "pantryflow value "
)

func newMeter(ctx context.Context, limits *Limits) *meter {
	if ctx == nil {
		ctx = context.Background()
	}
	return &meter{ctx: ctx, limits: limits}
}

// tick is one unit of work: one item of a loop. It also looks at the clock and the caller's context.
func (m *meter) tick() error {
	m.work++
	if m.work > m.limits.MaxWork {
		return m.workError()
	}
	return m.alive()
}

// stopped reports whether the caller has given up on the evaluation.
func (m *meter) stopped() error {
	if err := m.ctx.Err(); err != nil {
		return &LimitError{Limit: LimitStopped, cause: err,
			Message: "the evaluation was stopped before it finished, because " + stopReason(err)}
	}
	return nil
}

// alive reports whether the evaluation may go on: before its deadline, and its caller still waiting. The
// deadline starts at the first look: an evaluation that never measures anything is bounded by its size
// and never reads the clock. It is wall-clock time on purpose: it bounds the CPU an evaluation may take,
// which has nothing to do with the engine's (possibly fake) clock that expressions read through now().
func (m *meter) alive() error {
	if err := m.stopped(); err != nil {
		return err
	}
	now := time.Now()
	if m.deadline.IsZero() {
		m.deadline = now.Add(m.limits.Timeout)
	}
	if now.After(m.deadline) {
		return &LimitError{Limit: LimitTime,
			Message: fmt.Sprintf("the expression was stopped after %s, the time limit for one evaluation", m.limits.Timeout),
			Hint:    "make it do less: loop over fewer items, or split the work into several steps"}
	}
	return nil
}

func stopReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the step ran out of time"
	}
	return "the run was cancelled or the server is stopping"
}

func (m *meter) workError() error {
	return &LimitError{Limit: LimitWork,
		Message: fmt.Sprintf("the expression goes through more than %s items, the limit for one evaluation", groupDigits(uint64(m.limits.MaxWork))),
		Hint:    "loop over fewer items, or use a shorter range"}
}

// measure charges a value the evaluation has just made.
func (m *meter) measure(v any) error {
	if err := m.alive(); err != nil {
		return err
	}
	n := sizeOf(v, m.limits.MaxValueBytes)
	if n > m.limits.MaxValueBytes {
		return &LimitError{Limit: LimitValueSize,
			Message: fmt.Sprintf("the expression made %s larger than %s, the limit for one value", describeKind(v), formatBytes(m.limits.MaxValueBytes)),
			Hint:    "texts and lists in a workflow must stay small; do not repeat or join large texts"}
	}
	return m.charge(n)
}

// charge adds n bytes to what the evaluation has made.
func (m *meter) charge(n int) error {
	m.total += n
	if m.total > m.limits.MaxTotalBytes {
		return &LimitError{Limit: LimitTotalSize,
			Message: fmt.Sprintf("the expression made more than %s of text and lists in all, the limit for one evaluation", formatBytes(m.limits.MaxTotalBytes)),
			Hint:    "make it do less: loop over fewer items, or split the work into several steps"}
	}
	return nil
}

// checkResult applies the value limit to a template's whole result, which is made outside expr.
func (m *meter) checkResult(n int) error {
	if n > m.limits.MaxValueBytes {
		return &LimitError{Limit: LimitValueSize,
			Message: fmt.Sprintf("the text is larger than %s, the limit for one value", formatBytes(m.limits.MaxValueBytes)),
			Hint:    "texts in a workflow must stay small; do not repeat or join large texts"}
	}
	return m.charge(n)
}

func describeKind(v any) string {
	switch v.(type) {
	case string:
		return "a text"
	case map[string]any:
		return "an object"
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		return "a list"
	}
	return "a value"
}

// Sizes the meter charges: what a value holds, roughly as Go stores it.
const (
	wordSize  = 8
	itemSize  = 16 // an interface or string header in a list
	entrySize = 48 // a map entry's key header, value and bucket share
)

// sizeOf estimates the bytes v holds, walking into lists and objects; it stops walking once the total
// passes limit, so measuring a huge value costs no more than measuring one at the limit.
func sizeOf(v any, limit int) int {
	switch x := v.(type) {
	case nil, bool, int, int64, float64, time.Time, time.Duration:
		return wordSize
	case string:
		return len(x)
	case []any:
		n := len(x) * itemSize
		for _, item := range x {
			if n > limit {
				break
			}
			n += sizeOf(item, limit-n)
		}
		return n
	case []string:
		n := len(x) * itemSize
		for _, s := range x {
			if n > limit {
				break
			}
			n += len(s)
		}
		return n
	case map[string]any:
		n := 0
		for k, item := range x {
			if n > limit {
				break
			}
			n += entrySize + len(k) + sizeOf(item, limit-n)
		}
		return n
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		n := rv.Len() * itemSize
		for i := 0; i < rv.Len() && n <= limit; i++ {
			n += sizeOf(rv.Index(i).Interface(), limit-n)
		}
		return n
	case reflect.Map:
		n := 0
		iter := rv.MapRange()
		for iter.Next() && n <= limit {
			n += entrySize + sizeOf(iter.Key().Interface(), limit-n) + sizeOf(iter.Value().Interface(), limit-n)
		}
		return n
	case reflect.String:
		return rv.Len()
	}
	return wordSize
}

func formatBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return groupDigits(uint64(n)) + " bytes"
}

// groupDigits writes 1000000 as 1,000,000.
func groupDigits(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// guardOptions are the budget guard's functions; the meter is their first argument.
func guardOptions() []expr.Option {
	return []expr.Option{
		expr.Function(measureFunc, func(args ...any) (any, error) {
			m, ok := args[0].(*meter)
			if !ok {
				return nil, errNoMeter
			}
			return true, m.measure(args[1])
		}, new(func(any, any) bool)),
		expr.Function(tickFunc, func(args ...any) (any, error) {
			m, ok := args[0].(*meter)
			if !ok {
				return nil, errNoMeter
			}
			return true, m.tick()
		}, new(func(any) bool)),
	}
}

var errNoMeter = errors.New("internal error: the expression was evaluated without its budget")

// producers are the builtins whose result can be a new text or list; the others give numbers, true or
// false, or a part of a value that already exists (first, get, find), which costs nothing new.
var producers = map[string]bool{
	"lower": true, "upper": true, "trim": true, "trimPrefix": true, "trimSuffix": true, "string": true,
	"toJSON": true, "filter": true, "map": true, "keys": true, "values": true, "sort": true, "uniq": true,
	"concat": true,
}

// budgetGuard is the patch that inserts the meter's calls. It numbers its temporary variables, so each
// compilation needs its own.
type budgetGuard struct {
	temps  int
	guards int
}

func (g *budgetGuard) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		n.Node = g.sequence(n.Node, g.call(tickFunc, n.Node))
	case *ast.BuiltinNode:
		if producers[n.Name] {
			*node = g.measured(n)
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && (id.Value == measureFunc || id.Value == tickFunc) {
			return
		}
		if mayProduce(n.Type()) {
			*node = g.measured(n)
		}
	case *ast.BinaryNode:
		if n.Operator == "+" && mayProduce(n.Type()) {
			*node = g.measured(n)
		}
	}
}

// mayProduce reports whether a node of static type t can hold a text, list or object.
func mayProduce(t reflect.Type) bool {
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

// measured wraps n as `let v = n; measure(meter, v); v`.
func (g *budgetGuard) measured(n ast.Node) ast.Node {
	g.temps++
	name := tempPrefix + strconv.Itoa(g.temps)
	ref := g.located(&ast.IdentifierNode{Value: name}, n)
	decl := &ast.VariableDeclaratorNode{Name: name, Value: n,
		Expr: g.sequence(ref, g.call(measureFunc, n, g.located(&ast.IdentifierNode{Value: name}, n)))}
	decl.SetLocation(n.Location())
	return decl
}

// sequence is `check; value`, typed as value.
func (g *budgetGuard) sequence(value, check ast.Node) ast.Node {
	s := &ast.SequenceNode{Nodes: []ast.Node{check, value}}
	s.SetLocation(value.Location())
	return s
}

// call is fn(meter, args...), located at the node it guards so an error points there.
func (g *budgetGuard) call(fn string, at ast.Node, args ...ast.Node) ast.Node {
	g.guards++
	c := &ast.CallNode{Callee: g.located(&ast.IdentifierNode{Value: fn}, at),
		Arguments: append([]ast.Node{g.located(&ast.IdentifierNode{Value: meterName}, at)}, args...)}
	c.SetLocation(at.Location())
	return c
}

func (g *budgetGuard) located(n ast.Node, at ast.Node) ast.Node {
	n.SetLocation(at.Location())
	return n
}

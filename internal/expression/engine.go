package expression

import (
	"time"

	"github.com/expr-lang/expr"
)

// Clock gives the current time; the engine injects a real or fake clock.
type Clock interface{ Now() time.Time }

// Limits bound the size of one expression (or of one {{ }} segment of a
// template) and what one evaluation may do. Zero values take the defaults.
type Limits struct {
	MaxLength int  // max characters of one expression source; default 2000
	MaxNodes  uint // expr.MaxNodes; default 1000

	// Timeout stops one evaluation: a condition, a filter, or every template of one step's parameters
	// together (default 1s).
	Timeout time.Duration
	// MaxValueBytes caps each text or list an evaluation makes, and each template's result (default 1 MiB).
	MaxValueBytes int
	// MaxTotalBytes caps everything one evaluation makes (default 16 MiB).
	MaxTotalBytes int
	// MaxWork caps the items one evaluation loops over or creates: loop items, ranges, list and map
	// literals (default 1,000,000). It is also expr's memory budget.
	MaxWork uint
}

const (
	defaultMaxLength = 2000
	defaultMaxNodes  = 1000
)

// Engine compiles expressions and templates. It is safe for concurrent use.
type Engine struct {
	clock  Clock
	limits Limits
	// options are the expr options shared by every compilation: helpers,
	// the builtin allow-list, the AST patches and the node limit. They are
	// built once in New and never modified afterwards.
	options []expr.Option
}

// New returns an Engine whose time helpers read the given clock.
func New(clock Clock, limits Limits) *Engine {
	limits.withDefaults()
	e := &Engine{clock: clock, limits: limits}
	e.options = e.buildOptions()
	return e
}

// Limits returns the limits in force, with defaults filled in.
func (e *Engine) Limits() Limits { return e.limits }

func (e *Engine) buildOptions() []expr.Option {
	opts := make([]expr.Option, 0, 12+len(allowedBuiltins)+len(helperNames))
	opts = append(opts, expr.MaxNodes(e.limits.MaxNodes))
	opts = append(opts, builtinOptions()...)
	opts = append(opts, e.helperOptions()...)
	opts = append(opts, e.sizedOptions()...)
	opts = append(opts, guardOptions()...)
	opts = append(opts,
		expr.Patch(builtinGuard{}),
		expr.Patch(nilSafe{}),
	)
	return opts
}

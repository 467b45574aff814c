package expression

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Program is a compiled expression. It is safe for concurrent use.
type Program struct {
	source     string
	offsets    offsetMap
	program    *vm.Program
	wantBool   bool
	names      []string
	stepRefs   []string
	secretRefs []string
	fields     []string
	limits     *Limits
	// guarded says the budget guard inserted calls of the meter, which the program then needs in its
	// variables.
	guarded bool
}

// Compile checks and compiles an expression. names are the declared top-level
// variable names; in addition the name "steps" (outputs of earlier steps, a
// map) and the helper functions are always available. Any other top-level
// identifier is an error naming it, with its position. The returned error is
// always an *Error.
func (e *Engine) Compile(src string, names []string) (*Program, error) {
	p, err := e.compile(src, names, false)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CompileBool is Compile plus: the result must be a boolean. A result type
// known at compile time to be something else is a compile error; otherwise
// Run returns an error saying what it got instead.
func (e *Engine) CompileBool(src string, names []string) (*Program, error) {
	p, err := e.compile(src, names, true)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (e *Engine) compile(src string, names []string, wantBool bool) (*Program, *Error) {
	if n := utf8.RuneCountInString(src); n > e.limits.MaxLength {
		return nil, &Error{
			Source:   src,
			Position: e.limits.MaxLength + 1,
			Message:  fmt.Sprintf("expression is %d characters long; the limit is %d", n, e.limits.MaxLength),
			Hint:     "split it into smaller conditions or steps",
		}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Source: src, Message: "the expression is empty"}
	}
	if jsErr := jsDateError(src); jsErr != nil {
		return nil, jsErr
	}
	rewritten, offsets := normalizeOperators(src)

	guard := &budgetGuard{}
	opts := make([]expr.Option, 0, len(e.options)+2)
	opts = append(opts, expr.Env(envType(names)))
	opts = append(opts, e.options...)
	opts = append(opts, expr.Patch(guard))
	program, err := expr.Compile(rewritten, opts...)
	if err != nil {
		return nil, e.compileError(err, src, rewritten, offsets, names)
	}

	root := program.Node()
	if wantBool {
		if t := root.Type(); t != nil && t.Kind() != reflect.Bool && t.Kind() != reflect.Interface {
			return nil, &Error{
				Source:   src,
				Position: 1,
				Message:  fmt.Sprintf("a condition must give true or false, but this expression gives %s", describeType(t)),
				Hint:     `compare the value, e.g. lead.score > 50 or nextAction == "schedule_demo"`,
			}
		}
	}
	p := &Program{
		source:   src,
		offsets:  offsets,
		program:  program,
		wantBool: wantBool,
		limits:   &e.limits,
		guarded:  guard.guards > 0,
	}
	refs := collectRefs(root, names)
	p.names, p.stepRefs, p.secretRefs = sortedKeys(refs.names), sortedKeys(refs.steps), sortedKeys(refs.secrets)
	p.fields = sortedKeys(refs.fields)
	if len(refs.unknown) > 0 {
		fe := &file.Error{Location: refs.unknown[0].Location(), Message: "unknown name " + refs.unknown[0].Value}
		return nil, e.compileError(fe, src, rewritten, offsets, names)
	}
	if len(refs.unnamed) > 0 {
		return nil, &Error{Source: src, Position: offsets.position(refs.unnamed[0].Location().From),
			Message: "a secret must be used by its name", Hint: "write secrets.NAME, for example secrets.CRM_API_KEY"}
	}
	return p, nil
}

// envType declares every name, and steps, as a variable of unknown type, so
// that any member access on it type-checks while unknown names do not.
func envType(names []string) types.Map {
	env := make(types.Map, len(names)+1)
	for _, n := range names {
		env[n] = types.Any
	}
	env[stepsName] = types.Any
	env[secretsName] = types.Any
	env[meterName] = types.Any
	return env
}

const tooComplexMessage = "compilation failed: expression exceeds maximum allowed nodes"

func (e *Engine) compileError(err error, src, rewritten string, offsets offsetMap, names []string) *Error {
	out := fromExprError(err, src, offsets)
	var fe *file.Error
	if !errors.As(err, &fe) {
		return out
	}
	switch {
	case strings.HasPrefix(fe.Message, "unknown name "):
		name := strings.TrimPrefix(fe.Message, "unknown name ")
		runes := []rune(rewritten)
		isCall := fe.To > 0 && nextNonSpace(runes, fe.To) == '('
		out.Message, out.Hint = unknownNameError(name, isCall, names)
	case fe.Message == tooComplexMessage:
		out.Message = fmt.Sprintf("expression is too complex: it has more than %d parts (the limit)", e.limits.MaxNodes)
		out.Hint = "split it into smaller conditions or steps"
	case fe.Message == "unexpected token EOF":
		out.Message = "the expression is incomplete: something is missing at the end"
	case strings.HasPrefix(fe.Message, "unexpected token "):
		out.Message = "unexpected " + tokenText(strings.TrimPrefix(fe.Message, "unexpected token "))
		if fe.Message == `unexpected token Operator("=")` {
			out.Hint = "use == to compare values"
		}
	}
	return out
}

// tokenText turns expr's token description, like Operator("=="), into the
// text the user typed, like "==".
func tokenText(tok string) string {
	if i := strings.IndexByte(tok, '('); i > 0 && strings.HasSuffix(tok, ")") {
		return tok[i+1:len(tok)-1] + " here"
	}
	return tok
}

// describeType names a static result type in plain language.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if t.String() == "time.Duration" {
			return "a duration"
		}
		return "a number"
	case reflect.Map, reflect.Struct:
		if t.String() == "time.Time" {
			return "a date"
		}
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a value of type " + t.String()
}

// Run evaluates the program within its budget (Limits): ctx stops it early, when a run is cancelled or
// its job runs out of time. vars maps variable names to values, plus "steps" for the outputs of earlier
// steps. Errors name the expression and wrap an *Error; an evaluation stopped by its budget or by ctx
// also wraps a *LimitError.
func (p *Program) Run(ctx context.Context, vars map[string]any) (any, error) {
	var out any
	var err *Error
	if p.guarded {
		m := newMeter(ctx, p.limits)
		out, err = p.run(m, meterEnv(vars, m, true))
	} else {
		// Nothing in the program measures: its meter stays on the stack and only watches ctx.
		m := meter{ctx: ctx, limits: p.limits}
		if ctx == nil {
			m.ctx = context.Background()
		}
		out, err = p.run(&m, meterEnv(vars, nil, false))
	}
	if err != nil {
		return nil, fmt.Errorf("evaluating %q: %w", p.source, err)
	}
	return out, nil
}

// meterEnv is what a program reads: the variables and, when guarded, its meter. vars is not changed.
func meterEnv(vars map[string]any, m *meter, guarded bool) map[string]any {
	if !guarded {
		if vars == nil {
			return map[string]any{}
		}
		return vars
	}
	env := make(map[string]any, len(vars)+1)
	maps.Copy(env, vars)
	env[meterName] = m
	return env
}

func (p *Program) run(m *meter, env map[string]any) (any, *Error) {
	if err := m.stopped(); err != nil {
		return nil, limitError(err, p.source, 0)
	}
	machine := vm.VM{MemoryBudget: p.limits.MaxWork}
	out, err := machine.Run(p.program, env)
	if err != nil {
		return nil, runtimeError(err, p.source, p.offsets, m)
	}
	if p.wantBool {
		if _, ok := out.(bool); !ok {
			return nil, &Error{
				Source:  p.source,
				Message: fmt.Sprintf("a condition must give true or false, but it gave %s", describe(out)),
				Hint:    "use ?? to give a default for missing values, e.g. (lead.score ?? 0) > 50",
			}
		}
	}
	return out, nil
}

// exprMemoryBudget is the message of expr's own memory budget, which counts ranges, literals and sorts.
const exprMemoryBudget = "memory budget exceeded"

// limitError turns a *LimitError into an *Error at a position of src.
func limitError(err error, src string, position int) *Error {
	var le *LimitError
	if !errors.As(err, &le) {
		return &Error{Source: src, Position: position, Message: err.Error()}
	}
	return &Error{Source: src, Position: position, Message: le.Message, Hint: le.Hint, limit: le}
}

func runtimeError(err error, src string, offsets offsetMap, m *meter) *Error {
	out := fromExprError(err, src, offsets)
	var le *LimitError
	switch {
	case errors.As(err, &le):
		return limitError(le, src, out.Position)
	case out.Message == exprMemoryBudget:
		return limitError(m.workError(), src, out.Position)
	case strings.Contains(out.Message, "interface {} is nil, not "):
		want := out.Message[strings.LastIndex(out.Message, "not ")+len("not "):]
		out.Message = fmt.Sprintf("a value is empty (nil) where %s was expected", want)
		out.Hint = `use ?? to give a default, e.g. lower(lead.name ?? "")`
	case strings.Contains(out.Message, "<nil>"):
		out.Message = "a value is empty (nil): " + out.Message
		out.Hint = "use ?? to give a default, e.g. (lead.score ?? 0) > 50"
	}
	return out
}

// Source returns the expression as the user wrote it.
func (p *Program) Source() string { return p.source }

// Names returns the sorted distinct declared variables the expression reads
// (not helpers, not "steps").
func (p *Program) Names() []string { return slices.Clone(p.names) }

// StepRefs returns the sorted distinct step ids read through steps.<id>.
func (p *Program) StepRefs() []string { return slices.Clone(p.stepRefs) }

// Fields are the dotted paths the expression reads below declared variables ("lead.company.name"), sorted.
func (p *Program) Fields() []string { return slices.Clone(p.fields) }

// SecretRefs returns the sorted distinct secrets read through secrets.<NAME>.
func (p *Program) SecretRefs() []string { return slices.Clone(p.secretRefs) }

package expression

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
)

// sizedBuiltins are the allowed builtins whose result can be far larger than their arguments (replace
// every letter of a long text by another long text; join a long list with a long separator; split a text
// into one item per letter). Pantryflow replaces them with versions that work out the size of the result
// and refuse it before building it; they behave like expr's otherwise.
var sizedBuiltins = [...]string{"replace", "join", "split"}

func (e *Engine) sizedOptions() []expr.Option {
	return []expr.Option{
		expr.Function("replace", func(args ...any) (any, error) {
			return e.replace(args)
		}, new(func(string, string, string) string), new(func(string, string, string, int) string)),

		expr.Function("join", func(args ...any) (any, error) {
			return e.join(args)
		}, new(func([]any, string) string), new(func([]any) string),
			new(func([]string, string) string), new(func([]string) string)),

		expr.Function("split", func(args ...any) (any, error) {
			return e.split(args)
		}, new(func(string, string) []string), new(func(string, string, int) []string)),
	}
}

func (e *Engine) tooLarge(fn string, size int) error {
	if size <= e.limits.MaxValueBytes {
		return nil
	}
	return &LimitError{Limit: LimitValueSize,
		Message: fmt.Sprintf("%s() would make a value larger than %s, the limit for one value", fn, formatBytes(e.limits.MaxValueBytes)),
		Hint:    "texts and lists in a workflow must stay small; do not repeat or join large texts"}
}

func textArg(fn string, args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("%s(): argument %d must be text, but it is %s", fn, i+1, describe(args[i]))
	}
	return s, nil
}

func intArg(fn string, args []any, i int) (int, error) {
	f, ok := toFloat(args[i])
	if !ok || f != float64(int(f)) {
		return 0, fmt.Errorf("%s(): argument %d must be a whole number, but it is %s", fn, i+1, describe(args[i]))
	}
	return int(f), nil
}

func (e *Engine) replace(args []any) (any, error) {
	if len(args) != 3 && len(args) != 4 {
		return nil, fmt.Errorf("replace() takes a text, what to replace and what to put instead, but got %d arguments", len(args))
	}
	var texts [3]string
	for i := range texts {
		s, err := textArg("replace", args, i)
		if err != nil {
			return nil, err
		}
		texts[i] = s
	}
	s, old, repl := texts[0], texts[1], texts[2]
	n := -1
	if len(args) == 4 {
		var err error
		if n, err = intArg("replace", args, 3); err != nil {
			return nil, err
		}
	}
	matches := strings.Count(s, old) // an empty old matches before every letter and at the end
	if old == "" {
		matches = utf8.RuneCountInString(s) + 1
	}
	if n >= 0 && n < matches {
		matches = n
	}
	if err := e.tooLarge("replace", len(s)+matches*(len(repl)-len(old))); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, repl, n), nil
}

func (e *Engine) join(args []any) (any, error) {
	if len(args) != 1 && len(args) != 2 {
		return nil, fmt.Errorf("join() takes a list and an optional separator, but got %d arguments", len(args))
	}
	sep := ""
	if len(args) == 2 {
		s, err := textArg("join", args, 1)
		if err != nil {
			return nil, err
		}
		sep = s
	}
	var items []string
	switch list := args[0].(type) {
	case []string:
		items = list
	case []any:
		items = make([]string, len(list))
		for i, v := range list {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("join(): item %d of the list is %s, not text", i+1, describe(v))
			}
			items[i] = s
		}
	default:
		return nil, fmt.Errorf("join(): expected a list of texts first, got %s", describe(args[0]))
	}
	size := 0
	if len(items) > 1 {
		size = (len(items) - 1) * len(sep)
	}
	for _, s := range items {
		size += len(s)
	}
	if err := e.tooLarge("join", size); err != nil {
		return nil, err
	}
	return strings.Join(items, sep), nil
}

func (e *Engine) split(args []any) (any, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, fmt.Errorf("split() takes a text, a separator and an optional count, but got %d arguments", len(args))
	}
	s, err := textArg("split", args, 0)
	if err != nil {
		return nil, err
	}
	sep, err := textArg("split", args, 1)
	if err != nil {
		return nil, err
	}
	n := -1
	if len(args) == 3 {
		if n, err = intArg("split", args, 2); err != nil {
			return nil, err
		}
	}
	parts := strings.Count(s, sep) + 1
	if sep == "" {
		parts = utf8.RuneCountInString(s)
	}
	if n > 0 && n < parts {
		parts = n
	}
	if err := e.tooLarge("split", len(s)+parts*itemSize); err != nil {
		return nil, err
	}
	return strings.SplitN(s, sep, n), nil
}

package expression

import (
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

const (
	jsDateGeneralHint = `use now() for the current time, date(value) to read a date and duration("72h") for a span of time, ` +
		`e.g. date(lead.lastInteraction) > now() - duration("72h")`
	// jsNowPattern matches JavaScript's "current time" forms.
	jsNowPattern = `(?:new\s+Date\s*\(\s*\)|Date\s*\.\s*now\s*\(\s*\))`
	// jsMillisPattern matches a product of integer literals, in milliseconds.
	jsMillisPattern = `(\d+(?:\s*\*\s*\d+)*)`
	// jsSubjectPattern matches the left-hand side of the comparison; logical
	// operators are excluded so that only the exact simple shape matches.
	jsSubjectPattern = `([^<>=!&|]+?)`
)

// jsShapes are the right-hand sides of X > <now - milliseconds> that get a
// rewritten expression as hint: (new Date() - ms), new Date() - ms and
// new Date(Date.now() - ms), with Date.now() in place of new Date() too.
var jsShapes = [...]string{
	`\(\s*` + jsNowPattern + `\s*-\s*` + jsMillisPattern + `\s*\)`,
	jsNowPattern + `\s*-\s*` + jsMillisPattern,
	`new\s+Date\s*\(\s*` + jsNowPattern + `\s*-\s*` + jsMillisPattern + `\s*\)`,
}

// jsDateError reports JavaScript date code (new Date(...) or Date.now()) used
// outside string literals. It returns nil when there is none.
func jsDateError(src string) *Error {
	runes := []rune(src)
	if !strings.Contains(src, "Date") {
		return nil
	}
	mask := codeMask(runes)
	for i := range runes {
		if !mask[i] || !hasWordAt(runes, i, "Date") {
			continue
		}
		if start, ok := newBefore(runes, i); ok && nextNonSpace(runes, i+4) == '(' {
			return &Error{
				Source:   src,
				Position: start + 1,
				Message:  "JavaScript's new Date() is not available in Pantryflow expressions",
				Hint:     jsDateHint(src, runes, i+4),
			}
		}
		if isDateNow(runes, i) {
			return &Error{
				Source:   src,
				Position: i + 1,
				Message:  "JavaScript's Date.now() is not available in Pantryflow expressions",
				Hint:     jsDateHint(src, runes, -1),
			}
		}
	}
	return nil
}

// jsDateHint builds the hint: the rewritten expression for the exact shape
// X > (new Date() - ms), date(arg) for new Date(arg), else general advice.
// afterDate is the rune index just after "Date" in "new Date(", or -1.
func jsDateHint(src string, runes []rune, afterDate int) string {
	trimmed := strings.TrimSpace(src)
	for _, shape := range jsShapes {
		re := regexp.MustCompile(`^` + jsSubjectPattern + `\s*(>=|<=|>|<)\s*` + shape + `$`)
		m := re.FindStringSubmatch(trimmed)
		if m == nil {
			continue
		}
		span, ok := millisToDuration(m[3])
		if !ok {
			break
		}
		return fmt.Sprintf("write date(%s) %s now() - duration(%q)", strings.TrimSpace(m[1]), m[2], span)
	}
	if afterDate >= 0 {
		if arg, ok := parenArgument(runes, afterDate); ok && arg != "" && !strings.Contains(arg, "Date") {
			return fmt.Sprintf("write date(%s) instead of new Date(%s); %s", arg, arg, jsDateGeneralHint)
		}
	}
	return jsDateGeneralHint
}

// millisToDuration turns a product of integer literals (milliseconds) into a
// duration string in whole hours, else minutes, else seconds, else
// milliseconds.
func millisToDuration(product string) (string, bool) {
	ms := uint64(1)
	for _, f := range strings.Split(product, "*") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 63)
		if err != nil {
			return "", false
		}
		hi, lo := bits.Mul64(ms, n)
		if hi != 0 || lo > 1<<62 {
			return "", false
		}
		ms = lo
	}
	switch {
	case ms == 0:
		return "", false
	case ms%3_600_000 == 0:
		return strconv.FormatUint(ms/3_600_000, 10) + "h", true
	case ms%60_000 == 0:
		return strconv.FormatUint(ms/60_000, 10) + "m", true
	case ms%1000 == 0:
		return strconv.FormatUint(ms/1000, 10) + "s", true
	}
	return strconv.FormatUint(ms, 10) + "ms", true
}

func isIdentRune(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// hasWordAt reports whether word starts at runes[i] as a whole identifier.
func hasWordAt(runes []rune, i int, word string) bool {
	w := []rune(word)
	if i+len(w) > len(runes) || string(runes[i:i+len(w)]) != word {
		return false
	}
	if i > 0 && isIdentRune(runes[i-1]) {
		return false
	}
	return i+len(w) == len(runes) || !isIdentRune(runes[i+len(w)])
}

// newBefore finds the keyword "new" (followed by white space) right before
// runes[i] and returns its index.
func newBefore(runes []rune, i int) (int, bool) {
	j := i - 1
	for j >= 0 && unicode.IsSpace(runes[j]) {
		j--
	}
	if j == i-1 || j < 2 {
		return 0, false
	}
	start := j - 2
	if !hasWordAt(runes, start, "new") {
		return 0, false
	}
	return start, true
}

// isDateNow reports whether runes[i:] is Date.now( and Date is not itself a
// member of something (lead.Date.now()).
func isDateNow(runes []rune, i int) bool {
	if i > 0 && runes[i-1] == '.' {
		return false
	}
	j := skipSpace(runes, i+4)
	if j >= len(runes) || runes[j] != '.' {
		return false
	}
	j = skipSpace(runes, j+1)
	if !hasWordAt(runes, j, "now") {
		return false
	}
	return nextNonSpace(runes, j+3) == '('
}

func skipSpace(runes []rune, i int) int {
	for i < len(runes) && unicode.IsSpace(runes[i]) {
		i++
	}
	return i
}

func nextNonSpace(runes []rune, i int) rune {
	i = skipSpace(runes, i)
	if i >= len(runes) {
		return 0
	}
	return runes[i]
}

// parenArgument returns the trimmed text between the parenthesis that opens
// at or after runes[i] and its matching close.
func parenArgument(runes []rune, i int) (string, bool) {
	i = skipSpace(runes, i)
	if i >= len(runes) || runes[i] != '(' {
		return "", false
	}
	depth := 0
	for j := i; j < len(runes); j++ {
		switch runes[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return strings.TrimSpace(string(runes[i+1 : j])), true
			}
		}
	}
	return "", false
}

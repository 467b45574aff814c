package expression

import (
	"fmt"
	"sort"
	"strings"
)

// jsNames are JavaScript words users type that have an expr equivalent.
var jsNames = map[string]string{
	"null":      "write nil instead of null",
	"undefined": "write nil instead of undefined",
	"NaN":       "NaN is not available; compare with numbers instead",
	"Math":      "use abs(), ceil(), floor(), round(), max() and min() instead of Math",
	"Date":      jsDateGeneralHint,
	"parseInt":  "use int(value) instead of parseInt(value)",
}

// unknownNameError explains an identifier expr's checker did not know.
// isCall says whether the name is called like a function.
func unknownNameError(name string, isCall bool, declared []string) (message, hint string) {
	if h, ok := jsNames[name]; ok {
		return fmt.Sprintf("unknown name %q: it is not a declared variable", name), h
	}
	if isExprBuiltin(name) && !isAllowedBuiltin(name) {
		return fmt.Sprintf("function %q is not available in Pantryflow expressions", name), ""
	}
	if isCall {
		candidates := make([]string, 0, len(allowedBuiltins)+len(helperNames))
		candidates = append(candidates, allowedBuiltins[:]...)
		candidates = append(candidates, helperNames[:]...)
		hint := ""
		if s, ok := closest(name, candidates); ok {
			hint = fmt.Sprintf("did you mean %s()?", s)
		}
		return fmt.Sprintf("unknown function %q", name), hint
	}
	message = fmt.Sprintf("unknown name %q: it is not a declared variable", name)
	candidates := append([]string{"steps"}, declared...)
	if s, ok := closest(name, candidates); ok {
		return message, fmt.Sprintf("did you mean %s?", s)
	}
	if len(declared) > 0 && len(declared) <= 12 {
		sorted := append([]string(nil), declared...)
		sort.Strings(sorted)
		return message, "the declared variables are " + strings.Join(sorted, ", ") + ", plus steps for earlier steps' outputs"
	}
	return message, ""
}

// closest returns the candidate nearest to name when it is close enough to be
// a likely typo.
func closest(name string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		d := editDistance(lower, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 1
	if len([]rune(name)) > 4 {
		limit = 2
	}
	return best, bestDist >= 0 && bestDist <= limit
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

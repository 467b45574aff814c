package expression

import "strings"

// offsetMap maps a rune index of the rewritten source to the rune index of
// the original source. A nil map is the identity.
type offsetMap []int

// position converts a 0-based rune index of the rewritten source to a 1-based
// position in the original source.
func (m offsetMap) position(i int) int {
	if i < 0 {
		return 0
	}
	if m == nil {
		return i + 1
	}
	if i >= len(m) {
		i = len(m) - 1
	}
	return m[i] + 1
}

// codeMask reports, for every rune of src, whether it is code (true) or part
// of a string literal or comment (false), following expr's lexer: "..." and
// '...' with backslash escapes, `...` raw strings, // and /* */ comments.
func codeMask(runes []rune) []bool {
	mask := make([]bool, len(runes))
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == '"' || r == '\'':
			j := i + 1
			for j < len(runes) && runes[j] != r {
				if runes[j] == '\\' {
					j++
				}
				j++
			}
			i = min(j, len(runes)-1)
		case r == '`':
			j := i + 1
			for j < len(runes) && runes[j] != '`' {
				j++
			}
			i = min(j, len(runes)-1)
		case r == '/' && i+1 < len(runes) && runes[i+1] == '/':
			for i < len(runes) && runes[i] != '\n' {
				i++
			}
		case r == '/' && i+1 < len(runes) && runes[i+1] == '*':
			j := i + 2
			for j+1 < len(runes) && (runes[j] != '*' || runes[j+1] != '/') {
				j++
			}
			i = min(j+1, len(runes)-1)
		default:
			mask[i] = true
		}
	}
	return mask
}

// normalizeOperators rewrites JavaScript's strict comparisons === and !==
// into expr's == and != outside string literals and comments. The returned
// offsetMap maps positions in the result back to src; it is nil when nothing
// changed.
func normalizeOperators(src string) (string, offsetMap) {
	if !strings.Contains(src, "==") {
		return src, nil
	}
	runes := []rune(src)
	mask := codeMask(runes)
	out := make([]rune, 0, len(runes))
	offsets := make(offsetMap, 0, len(runes)+1)
	changed := false
	for i := 0; i < len(runes); i++ {
		if mask[i] && i+2 < len(runes) && (runes[i] == '=' || runes[i] == '!') &&
			runes[i+1] == '=' && runes[i+2] == '=' && mask[i+1] && mask[i+2] {
			out = append(out, runes[i], '=')
			offsets = append(offsets, i, i+1)
			i += 2
			changed = true
			continue
		}
		out = append(out, runes[i])
		offsets = append(offsets, i)
	}
	if !changed {
		return src, nil
	}
	offsets = append(offsets, len(runes))
	return string(out), offsets
}

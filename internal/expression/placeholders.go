package expression

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/parser"
)

// Placeholders are the names a stored template reads from what it is given, in order of first use:
// {{ firstName }} reads firstName and {{ lead.company.name }} reads lead. A mail template is filled from
// its step's data and the run's variables, so a workflow can be checked, when it is saved, for each name
// being one or the other. The words of the template are not checked here (rendering does that).
func Placeholders(src string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	rest := 0
	for {
		i := strings.Index(src[rest:], "{{")
		if i < 0 {
			return out, nil
		}
		start := rest + i + 2
		end, ok := segmentEnd(src, start)
		if !ok {
			return out, fmt.Errorf("{{ at character %d is not closed", rest+i+1)
		}
		code := strings.TrimSpace(src[start:end])
		rest = end + 2
		if code == "" {
			continue
		}
		rewritten, _ := normalizeOperators(code)
		tree, err := parser.Parse(rewritten)
		if err != nil {
			return out, fmt.Errorf("{{ %s }}: %v", code, err)
		}
		for _, id := range collectRefs(tree.Node, nil).unknown {
			if name := id.Value; !seen[name] && name != secretsName {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
}

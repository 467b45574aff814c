package workflow

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// MaxIDLength is the longest workflow or step id. Ids appear in addresses, logs, metrics and database keys;
// the ones Pantryflow makes itself (from a name, plus a suffix) stay well under it.
const MaxIDLength = 64

// IDRule says in words what a workflow or step id may be.
const IDRule = "1 to 64 letters, digits, _ and -, starting with a letter or digit"

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// CheckID reports what is wrong with a workflow or step id, or "" when it is valid. what names it in the
// message ("the id", "the step id"). An over-long id is described by its length, not repeated.
func CheckID(what, id string) string {
	switch n := utf8.RuneCountInString(id); {
	case n == 0:
		return fmt.Sprintf("%s is empty; use %s", what, IDRule)
	case n > MaxIDLength:
		return fmt.Sprintf("%s is %d characters long; use %s", what, n, IDRule)
	case !idRE.MatchString(id):
		return fmt.Sprintf("%s %q may only hold letters, digits, _ and -, and must start with a letter or digit (%s)", what, id, IDRule)
	}
	return ""
}

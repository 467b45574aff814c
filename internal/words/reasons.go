package words

import (
	"regexp"
	"strings"
)

var (
	stepPrefix   = regexp.MustCompile(`^Step ".*?" \([^)]*\) failed: `)
	actionPrefix = regexp.MustCompile(`^[a-z][a-z_]*: `)
	quoted       = regexp.MustCompile(`"[^"]*"`)
)

// Reason is a run's error as the reason it shares with other runs: without the step it names (the
// incident names it), the action's name, or the values in quotes that differ from record to record.
// `Step "Send welcome email" (welcome) failed: send_email: recipient "ana@" is not an email address`
// reads `recipient … is not an email address`.
func Reason(err string) string {
	r := stepPrefix.ReplaceAllString(strings.TrimSpace(err), "")
	r = actionPrefix.ReplaceAllString(r, "")
	r = quoted.ReplaceAllString(r, "…")
	if r == "" {
		return "no reason given"
	}
	return r
}

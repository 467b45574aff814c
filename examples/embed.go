// Package examples holds the original design's two example workflows: runnable (they ship as Pantryflow's
// built-in templates) and, under seed-verbatim/, exactly as the design document writes them, which must
// fail validation with the errors README.md lists. They are copies of ../shared/examples, kept in the
// repository so a clean clone tests without anything beside it.
package examples

import "embed"

// FS holds the runnable examples (*.json) and seed-verbatim/*.json.
//
//go:embed *.json seed-verbatim/*.json
var FS embed.FS

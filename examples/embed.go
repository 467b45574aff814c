// Package examples holds the workflows Pantryflow ships as templates: the original design's two examples,
// runnable (*.json, copies of ../shared/examples kept here so a clean clone tests without anything beside
// it) and, under seed-verbatim/, exactly as the design writes them, which must fail validation with the
// errors README.md lists; and more CRM workflows under gallery/.
package examples

import "embed"

// FS holds *.json, gallery/*.json and seed-verbatim/*.json.
//
//go:embed *.json gallery/*.json seed-verbatim/*.json
var FS embed.FS

// TemplateDirs are the folders of FS whose workflows are offered as templates.
var TemplateDirs = []string{".", "gallery"}

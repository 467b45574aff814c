package app

import (
	"context"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The built-in templates: the original design's two example workflows, runnable.
//
//go:embed templates/*.json
var templateFS embed.FS

// Template is a built-in workflow a manager can start from.
type Template struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	TriggerType string `json:"triggerType"`
	Steps       int    `json:"steps"`
}

// Templates lists the built-in workflow templates.
func Templates() ([]Template, error) {
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	out := make([]Template, 0, len(entries))
	for _, e := range entries {
		def, err := TemplateDefinition(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, Template{ID: def.ID, Name: def.Name, Description: def.Description,
			TriggerType: def.Trigger.Type, Steps: len(def.Steps)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// TemplateDefinition returns a built-in template's definition.
func TemplateDefinition(id string) (*workflow.Definition, error) {
	if strings.ContainsAny(id, "/\\.") {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no template %q", id)}
	}
	b, err := templateFS.ReadFile(path.Join("templates", id+".json"))
	if err != nil {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no template %q", id)}
	}
	def, err := workflow.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", id, err)
	}
	return def, nil
}

// ImportTemplate creates a workflow from a built-in template, published. The new workflow gets the
// template's id, or the id given.
func (a *App) ImportTemplate(ctx context.Context, actor *Actor, templateID, newID string) (Saved, error) {
	def, err := TemplateDefinition(templateID)
	if err != nil {
		return Saved{}, err
	}
	if newID != "" {
		def.ID = newID
	}
	return a.CreateWorkflow(ctx, actor, def, true)
}

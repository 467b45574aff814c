package app

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/examples"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

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
	var out []Template
	for _, dir := range examples.TemplateDirs {
		entries, err := fs.ReadDir(examples.FS, dir)
		if err != nil {
			return nil, fmt.Errorf("list templates: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			def, err := TemplateDefinition(strings.TrimSuffix(e.Name(), ".json"))
			if err != nil {
				return nil, err
			}
			out = append(out, Template{ID: def.ID, Name: def.Name, Description: def.Description,
				TriggerType: def.Trigger.Type, Steps: len(def.Steps)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// TemplateDefinition returns a built-in template's definition.
func TemplateDefinition(id string) (*workflow.Definition, error) {
	if strings.ContainsAny(id, "/\\.") {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no template %q", id)}
	}
	var b []byte
	var err error
	for _, dir := range examples.TemplateDirs {
		if b, err = fs.ReadFile(examples.FS, path.Join(dir, id+".json")); err == nil {
			break
		}
	}
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

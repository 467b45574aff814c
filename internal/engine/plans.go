package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// plans caches compiled versions. Versions are immutable, so an entry never goes stale.
type plans struct {
	env Environment
	mu  sync.RWMutex
	m   map[planKey]*workflow.Plan
}

type planKey struct {
	workflow string
	version  int
}

const maxCachedPlans = 2000

// get returns a cached plan or loads it through versions (the open transaction's when inside one: SQLite has
// a single connection, which the transaction holds).
func (p *plans) get(ctx context.Context, versions store.Workflows, workflowID string, version int) (*workflow.Plan, error) {
	key := planKey{workflowID, version}
	p.mu.RLock()
	plan := p.m[key]
	p.mu.RUnlock()
	if plan != nil {
		return plan, nil
	}
	row, err := versions.StoredVersion(ctx, workflowID, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("workflow %s version %d: %w", workflowID, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	plan, err = CompileStored(*row, p.env)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if len(p.m) >= maxCachedPlans {
		clear(p.m)
	}
	p.m[key] = plan
	p.mu.Unlock()
	return plan, nil
}

// CompileStored compiles a stored version.
func CompileStored(row store.WorkflowVersion, env Environment) (*workflow.Plan, error) {
	def, err := workflow.Decode(row.Definition)
	if err != nil {
		return nil, fmt.Errorf("workflow %s version %d is stored damaged: %w", row.WorkflowID, row.Version, err)
	}
	def.ID, def.Version = row.WorkflowID, row.Version
	plan, problems := workflow.Compile(def, env)
	if problems != nil {
		return nil, fmt.Errorf("workflow %s version %d no longer compiles: %w", row.WorkflowID, row.Version, problems)
	}
	return plan, nil
}

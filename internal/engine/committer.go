package engine

import (
	"context"
	"sync"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// committer batches the transitions of concurrent workers into shared transactions (group commit): while one
// batch commits, the next one gathers, so under load many transitions share one commit and a handful of
// statements, and with little load a transition commits at once, alone.
type committer struct {
	e        *Engine
	reqs     chan *pending
	maxBatch int
	wg       sync.WaitGroup
	mu       sync.RWMutex // held shared while sending, exclusively to close
	closed   bool
}

type pending struct {
	c    *commit
	done chan error
}

func newCommitter(e *Engine, goroutines, maxBatch int) *committer {
	cm := &committer{e: e, reqs: make(chan *pending), maxBatch: maxBatch}
	for range goroutines {
		cm.wg.Add(1)
		go cm.loop()
	}
	return cm
}

// submit commits c with others and returns its own result: nil, errConflict, or an error.
func (cm *committer) submit(ctx context.Context, c *commit) error {
	p := &pending{c: c, done: make(chan error, 1)}
	cm.mu.RLock()
	if cm.closed {
		cm.mu.RUnlock()
		return cm.e.commitOne(ctx, c) // a worker outliving Stop's deadline still commits correctly
	}
	cm.reqs <- p
	cm.mu.RUnlock()
	return <-p.done
}

// stop ends the loops once every submitted commit is done.
func (cm *committer) stop() {
	cm.mu.Lock()
	cm.closed = true
	close(cm.reqs)
	cm.mu.Unlock()
	cm.wg.Wait()
}

func (cm *committer) loop() {
	defer cm.wg.Done()
	var carry []*pending
	for {
		batch, rest := uniqueExecutions(carry, cm.maxBatch)
		carry = rest
		if len(batch) == 0 {
			p, ok := <-cm.reqs
			if !ok {
				return
			}
			batch = append(batch, p)
		}
		seen := make(map[string]bool, len(batch))
		for _, p := range batch {
			seen[p.c.ex.row.ID] = true
		}
	gather:
		for len(batch) < cm.maxBatch {
			select {
			case p, ok := <-cm.reqs:
				if !ok {
					break gather
				}
				if seen[p.c.ex.row.ID] {
					carry = append(carry, p) // one transition per execution per batch
					continue
				}
				seen[p.c.ex.row.ID] = true
				batch = append(batch, p)
			default:
				break gather
			}
		}
		cm.flush(batch)
	}
}

// uniqueExecutions takes up to max pendings with distinct executions from carry.
func uniqueExecutions(carry []*pending, max int) (batch, rest []*pending) {
	seen := map[string]bool{}
	for _, p := range carry {
		if len(batch) < max && !seen[p.c.ex.row.ID] {
			seen[p.c.ex.row.ID] = true
			batch = append(batch, p)
		} else {
			rest = append(rest, p)
		}
	}
	return batch, rest
}

func (cm *committer) flush(batch []*pending) {
	ctx := context.Background()
	if len(batch) == 1 {
		batch[0].done <- cm.e.commitOne(ctx, batch[0].c)
		return
	}
	cs := make([]*commit, len(batch))
	for i, p := range batch {
		cs[i] = p.c
	}
	var results []error
	err := cm.e.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		results, err = cm.e.writeBatch(ctx, tx, cs)
		return err
	})
	if err != nil {
		// Something in the batch failed: commit each alone, so one bad transition cannot hold back the others.
		for _, p := range batch {
			p.done <- cm.e.commitOne(ctx, p.c)
		}
		return
	}
	var ids []string
	for i, p := range batch {
		if results[i] == nil {
			p.c.ex.row.Revision++
			ids = append(ids, p.c.ex.row.ID)
		}
	}
	cm.e.committed(ids)
	for i, p := range batch {
		p.done <- results[i]
	}
}

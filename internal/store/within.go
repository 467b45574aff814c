package store

import (
	"context"
	"fmt"
)

// Within opens a transaction on db and returns a DB that works inside it, with the function that rolls it
// back. Whatever runs on the returned DB sees its own writes; its transactions (DB.Tx, DB.Snapshot) become
// savepoints of the one transaction, and nothing of it outlives the rollback. Use-case tests run this way,
// in parallel, and leave nothing behind. River's own connections (its workers, its notifier) are outside
// the transaction: what is enqueued inside it is never worked.
func (db *DB) Within(ctx context.Context) (*DB, func() error, error) {
	g := db.gdb.WithContext(ctx).Begin()
	if g.Error != nil {
		return nil, nil, fmt.Errorf("begin the enclosing transaction: %w", g.Error)
	}
	in := &DB{gdb: g, sqlDB: db.sqlDB, pool: db.pool, Dialect: db.Dialect, Path: db.Path, within: true}
	return in, func() error { return g.Rollback().Error }, nil
}

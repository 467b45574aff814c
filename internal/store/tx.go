package store

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// Tx is one database transaction. The repositories work inside it (tx.Executions(), tx.Tasks(), ...), and
// River's transactional calls take its database/sql transaction through SQLTx; nothing outside this package
// sees the GORM handle under it.
type Tx struct {
	g       *gorm.DB
	dialect Dialect
}

// Dialect is the kind of database the transaction runs on.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Tx runs fn in a transaction: it commits when fn returns nil and rolls back otherwise. Called inside a
// transaction of DB.Within, it runs in a savepoint of it.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.gdb.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&Tx{g: g, dialect: db.Dialect})
	})
}

// Snapshot runs fn in a read-only transaction that sees one consistent state of the database, so a page
// that reads an execution and then its log never shows half of a commit.
func (db *DB) Snapshot(ctx context.Context, fn func(tx *Tx) error) error {
	return db.gdb.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&Tx{g: g, dialect: db.Dialect})
	}, db.snapshotOptions())
}

func (db *DB) snapshotOptions() *sql.TxOptions {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return opts
}

// SQLTx is the database/sql transaction under tx, for River's InsertTx, InsertManyTx and JobCompleteTx.
func SQLTx(tx *Tx) *sql.Tx {
	sqlTx, ok := tx.g.Statement.ConnPool.(*sql.Tx)
	if !ok {
		panic(fmt.Sprintf("store: not inside a transaction (conn pool is %T)", tx.g.Statement.ConnPool))
	}
	return sqlTx
}

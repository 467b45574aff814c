package store

import "gorm.io/gorm"

// OnQuery calls fn before every read (SELECT) the database runs, under the given name (one name, one hook);
// tests count a use case's queries with it, to show a page does not read row by row.
func (db *DB) OnQuery(name string, fn func()) error {
	return db.gdb.Callback().Query().Before("gorm:query").Register(name, func(*gorm.DB) { fn() })
}

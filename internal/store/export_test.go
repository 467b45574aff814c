package store

import (
	"database/sql"

	"gorm.io/gorm"
)

// The store's own tests look under the repositories: these hand them the handles the package keeps to itself.

func GormOf(db *DB) *gorm.DB { return db.gdb }
func SQLOf(db *DB) *sql.DB   { return db.sqlDB }

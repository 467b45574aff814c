package store

import (
	"context"
	"fmt"
)

// RunningJobIDs returns the ids of the River jobs of a kind that are running now and whose args hold
// value under key: the advance jobs of one execution, so that cancelling the execution can stop them.
func (db *DB) RunningJobIDs(ctx context.Context, kind, key, value string) ([]int64, error) {
	arg := "args->>?"
	if db.Dialect == SQLite {
		arg = "json_extract(args, '$.' || ?)"
	}
	var ids []int64
	err := db.Gorm.WithContext(ctx).Table("river_job").
		Where("state = 'running' AND kind = ? AND "+arg+" = ?", kind, key, value).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find running %s jobs: %w", kind, err)
	}
	return ids, nil
}

package store

import (
	"context"
	"fmt"
	"time"
)

// Instance is a running Pantryflow process, with its last heartbeat (database time).
type Instance struct {
	ID   string `gorm:"primaryKey"`
	Host string
	PID  int `gorm:"column:pid"`
	// PIDSpace names the kernel boot and pid namespace PID belongs to (empty when unknown): two instances
	// with the same PIDSpace can ask the kernel whether the other's process still exists.
	PIDSpace    string `gorm:"column:pid_space"`
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// TableName implements gorm's Tabler.
func (Instance) TableName() string { return "engine_instances" }

// SingleProcess says only one process opens this database (a SQLite file, which it locks): at start-up, a
// running job or another instance's row is a dead predecessor's, and there is nobody to beat a heartbeat for.
func (db *DB) SingleProcess() bool { return db.Dialect == SQLite }

// dbNow is the database's clock, in SQL: instances compare heartbeats written by different machines.
func (db *DB) dbNow() string {
	if db.Dialect == SQLite {
		return "strftime('%Y-%m-%d %H:%M:%f', 'now')"
	}
	return "now()"
}

// RegisterInstance records a starting instance; registering again (a retried start-up) only beats its heartbeat.
func (db *DB) RegisterInstance(ctx context.Context, in Instance) error {
	err := db.gdb.WithContext(ctx).Exec("INSERT INTO engine_instances (id, host, pid, pid_space, started_at, heartbeat_at) VALUES (?, ?, ?, ?, "+
		db.dbNow()+", "+db.dbNow()+") ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at", in.ID, in.Host, in.PID, in.PIDSpace).Error
	if err != nil {
		return fmt.Errorf("register instance %s: %w", in.ID, err)
	}
	return nil
}

// Heartbeat says the instance is alive. It reports false when the instance had been declared dead (its
// row was removed): it then registers again.
func (db *DB) Heartbeat(ctx context.Context, in Instance) (bool, error) {
	res := db.gdb.WithContext(ctx).Exec("UPDATE engine_instances SET heartbeat_at = "+db.dbNow()+" WHERE id = ?", in.ID)
	if res.Error != nil {
		return false, fmt.Errorf("heartbeat of instance %s: %w", in.ID, res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	return false, db.RegisterInstance(ctx, in)
}

// InstancesIn are the registered instances whose processes share pidSpace (none for an empty one).
func (db *DB) InstancesIn(ctx context.Context, pidSpace string) ([]Instance, error) {
	var out []Instance
	if pidSpace == "" {
		return nil, nil
	}
	if err := db.gdb.WithContext(ctx).Where("pid_space = ?", pidSpace).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list the instances beside this one: %w", err)
	}
	return out, nil
}

// RemoveInstance forgets an instance that stops cleanly.
func (db *DB) RemoveInstance(ctx context.Context, id string) error {
	if err := db.gdb.WithContext(ctx).Where("id = ?", id).Delete(&Instance{}).Error; err != nil {
		return fmt.Errorf("remove instance %s: %w", id, err)
	}
	return nil
}

// TakeoverNote ends the error a taken-over job records: it is a note that its process died, not a failure.
const TakeoverNote = "another instance took it over"

// TakenJob is a River job handed from a dead instance to the living.
type TakenJob struct {
	ID   int64
	Kind string
	From string
}

// TakeOverDeadJobs (PostgreSQL) removes the instances whose heartbeat is older than deadAfter and makes
// available again, at once, every River job that is running on an instance that is not alive: its last
// attempt is by an instance with no fresh heartbeat, and it started more than deadAfter ago (so a job just
// fetched by an instance that is starting is never taken). River's own rescuer would wait for its
// RescueStuckJobsAfter (10 minutes) instead. The jobs' committed work stays done: an advance job resumes
// from its execution's recorded state. Instances may call it at once; each job is taken once.
func (db *DB) TakeOverDeadJobs(ctx context.Context, deadAfter time.Duration) ([]TakenJob, error) {
	if db.Dialect != Postgres {
		return nil, nil
	}
	secs := deadAfter.Seconds()
	var taken []TakenJob
	err := db.Tx(ctx, func(stx *Tx) error {
		tx := stx.g
		if err := tx.Exec("DELETE FROM engine_instances WHERE heartbeat_at < now() - make_interval(secs => ?)", secs).Error; err != nil {
			return fmt.Errorf("remove dead instances: %w", err)
		}
		return tx.Raw(`UPDATE river_job SET state = 'available',
			errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
				'error', 'the instance running this job stopped answering; '||?, 'trace', ''))
		WHERE state = 'running' AND attempted_at < now() - make_interval(secs => ?)
		  AND NOT (coalesce(attempted_by[array_length(attempted_by, 1)], '') IN (SELECT id FROM engine_instances))
		RETURNING id, kind, coalesce(attempted_by[array_length(attempted_by, 1)], '') AS "from"`, TakeoverNote, secs).Scan(&taken).Error
	})
	if err != nil {
		return nil, fmt.Errorf("take over the jobs of dead instances: %w", err)
	}
	return taken, nil
}

// TakeOverJobsOf (PostgreSQL) removes instances known to be gone — their process no longer exists — and makes
// every River job running on one of them available again at once, however recently it started.
func (db *DB) TakeOverJobsOf(ctx context.Context, gone []string) ([]TakenJob, error) {
	if db.Dialect != Postgres || len(gone) == 0 {
		return nil, nil
	}
	var taken []TakenJob
	err := db.Tx(ctx, func(stx *Tx) error {
		tx := stx.g
		if err := tx.Where("id IN ?", gone).Delete(&Instance{}).Error; err != nil {
			return fmt.Errorf("remove instances that are gone: %w", err)
		}
		return tx.Raw(`UPDATE river_job SET state = 'available',
			errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
				'error', 'the process running this job is gone; '||?, 'trace', ''))
		WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] IN ?
		RETURNING id, kind, attempted_by[array_length(attempted_by, 1)] AS "from"`, TakeoverNote, gone).Scan(&taken).Error
	})
	if err != nil {
		return nil, fmt.Errorf("take over the jobs of instances that are gone: %w", err)
	}
	return taken, nil
}

// RequeueRunningJobs (SQLite) makes every running River job available again. Only one process may open a
// SQLite file, so at start-up a running job belongs to a process that died: it can run again at once.
func (db *DB) RequeueRunningJobs(ctx context.Context) ([]TakenJob, error) {
	var taken []TakenJob
	err := db.gdb.WithContext(ctx).Raw(`UPDATE river_job SET state = 'available' WHERE state = 'running'
		RETURNING id, kind, '' AS "from"`).Scan(&taken).Error
	if err != nil {
		return nil, fmt.Errorf("requeue the jobs of the previous process: %w", err)
	}
	return taken, nil
}

// ForgetOtherInstances (SQLite) removes the rows of earlier processes: only one process opens the file, so
// any other row is a process that died.
func (db *DB) ForgetOtherInstances(ctx context.Context, id string) error {
	if err := db.gdb.WithContext(ctx).Where("id <> ?", id).Delete(&Instance{}).Error; err != nil {
		return fmt.Errorf("forget earlier processes: %w", err)
	}
	return nil
}

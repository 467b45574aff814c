package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// Only the running jobs of instances that are not alive are taken over, each once, and a job just fetched
// by an instance that is starting is left alone.
func TestTakeOverDeadJobs(t *testing.T) {
	t.Parallel()
	db := storetest.Postgres(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Gorm.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := db.RegisterInstance(ctx, "alive", "host", 1); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO engine_instances (id, host, pid, started_at, heartbeat_at) VALUES ('dead', 'host', 2, now() - interval '1 hour', now() - interval '1 minute')`)
	job := func(by string, age string) int64 {
		t.Helper()
		var id int64
		err := db.Gorm.Raw(`INSERT INTO river_job (args, kind, max_attempts, state, attempt, attempted_at, attempted_by)
			VALUES ('{}', 'deliver_mail', 10, 'running', 1, now() - CAST(? AS interval), ARRAY['earlier', ?]) RETURNING id`, age, by).Scan(&id).Error
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ofDead, ofAlive, ofGone, justFetched := job("dead", "30 seconds"), job("alive", "30 seconds"), job("gone", "30 seconds"), job("gone", "1 second")

	taken, err := db.TakeOverDeadJobs(ctx, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, j := range taken {
		ids = append(ids, j.ID)
	}
	slices.Sort(ids)
	if want := []int64{ofDead, ofGone}; !slices.Equal(ids, want) {
		t.Fatalf("took jobs %v, want %v (the dead instance's and the one of an instance with no heartbeat)", ids, want)
	}
	var states []struct {
		ID    int64
		State string
	}
	db.Gorm.Raw("SELECT id, state FROM river_job ORDER BY id").Scan(&states)
	want := map[int64]string{ofDead: "available", ofAlive: "running", ofGone: "available", justFetched: "running"}
	for _, s := range states {
		if want[s.ID] != s.State {
			t.Errorf("job %d is %s, want %s", s.ID, s.State, want[s.ID])
		}
	}
	var left []string
	db.Gorm.Model(&store.Instance{}).Order("id").Pluck("id", &left)
	if !slices.Equal(left, []string{"alive"}) {
		t.Errorf("instances left: %v, want only the live one", left)
	}
	again, err := db.TakeOverDeadJobs(ctx, 20*time.Second)
	if err != nil || len(again) != 0 {
		t.Fatalf("a second pass took %v (%v); each job is taken once", again, err)
	}
}

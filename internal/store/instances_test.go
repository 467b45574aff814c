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
		if err := store.GormOf(db).Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := db.RegisterInstance(ctx, store.Instance{ID: "alive", Host: "host", PID: 1}); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO engine_instances (id, host, pid, started_at, heartbeat_at) VALUES ('dead', 'host', 2, now() - interval '1 hour', now() - interval '1 minute')`)
	job := func(by string, age string) int64 {
		t.Helper()
		var id int64
		err := store.GormOf(db).Raw(`INSERT INTO river_job (args, kind, max_attempts, state, attempt, attempted_at, attempted_by)
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
	store.GormOf(db).Raw("SELECT id, state FROM river_job ORDER BY id").Scan(&states)
	want := map[int64]string{ofDead: "available", ofAlive: "running", ofGone: "available", justFetched: "running"}
	for _, s := range states {
		if want[s.ID] != s.State {
			t.Errorf("job %d is %s, want %s", s.ID, s.State, want[s.ID])
		}
	}
	var left []string
	store.GormOf(db).Model(&store.Instance{}).Order("id").Pluck("id", &left)
	if !slices.Equal(left, []string{"alive"}) {
		t.Errorf("instances left: %v, want only the live one", left)
	}
	again, err := db.TakeOverDeadJobs(ctx, 20*time.Second)
	if err != nil || len(again) != 0 {
		t.Fatalf("a second pass took %v (%v); each job is taken once", again, err)
	}
}

// A start-up that the database cut short registers again: the second registration keeps the one row.
func TestRegisteringAnInstanceTwiceKeepsOneRow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for range 2 {
			if err := db.RegisterInstance(ctx, store.Instance{ID: "vm/1/ab", Host: "vm", PID: 1}); err != nil {
				t.Fatalf("register: %v", err)
			}
		}
		var n int64
		if err := store.GormOf(db).Model(&store.Instance{}).Where("id = ?", "vm/1/ab").Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d rows for the instance, want 1", n)
		}
	})
}

// The jobs of an instance whose process is gone are taken over at once, even one it fetched a moment ago;
// the jobs of the others stay theirs.
func TestTakeOverJobsOfGoneInstances(t *testing.T) {
	t.Parallel()
	db := storetest.Postgres(t)
	ctx := context.Background()
	for _, id := range []string{"gone", "alive"} {
		if err := db.RegisterInstance(ctx, store.Instance{ID: id, Host: "vm", PID: 7, PIDSpace: "boot pid:[1]"}); err != nil {
			t.Fatal(err)
		}
	}
	job := func(by string) int64 {
		t.Helper()
		var id int64
		err := store.GormOf(db).Raw(`INSERT INTO river_job (args, kind, max_attempts, state, attempt, attempted_at, attempted_by)
			VALUES ('{}', 'advance', 10, 'running', 1, now(), ARRAY[?]) RETURNING id`, by).Scan(&id).Error
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ofGone, ofAlive := job("gone"), job("alive")
	taken, err := db.TakeOverJobsOf(ctx, []string{"gone"})
	if err != nil {
		t.Fatal(err)
	}
	if len(taken) != 1 || taken[0].ID != ofGone || taken[0].From != "gone" {
		t.Fatalf("took %+v, want only job %d of gone", taken, ofGone)
	}
	var state string
	if err := store.GormOf(db).Raw("SELECT state FROM river_job WHERE id = ?", ofAlive).Scan(&state).Error; err != nil || state != "running" {
		t.Fatalf("the live instance's job is %q (%v), want running", state, err)
	}
	beside, err := db.InstancesIn(ctx, "boot pid:[1]")
	if err != nil || len(beside) != 1 || beside[0].ID != "alive" {
		t.Fatalf("instances left: %+v (%v), want only alive", beside, err)
	}
}

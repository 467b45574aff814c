package crm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// sink is a recording EventSink: it writes each event's row in the change's transaction, as the dispatcher
// does, so a rolled-back change leaves no event behind. fail makes PublishTx fail.
type sink struct {
	mu   sync.Mutex
	fail error
}

func (k *sink) PublishTx(ctx context.Context, tx *store.Tx, ev *store.Event) error {
	k.mu.Lock()
	fail := k.fail
	k.mu.Unlock()
	if fail != nil {
		return fail
	}
	return tx.Triggers().RecordEvent(ctx, ev)
}

func (k *sink) setFail(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fail = err
}

type bundle struct {
	db    *store.DB
	svc   *crm.Service
	sink  *sink
	clock *clock.Fake
	users map[string]int64 // email → id
}

// setup gives a service on db with a fake clock, ids that sort in creation order, and three users: a rep, a
// manager and a disabled rep.
func setup(t *testing.T, db *store.DB) *bundle {
	t.Helper()
	b := &bundle{db: db, sink: &sink{}, clock: clock.NewFake(t0), users: map[string]int64{}}
	var n atomic.Int64
	b.svc = &crm.Service{DB: db, Clock: b.clock, Events: b.sink,
		NewID: func() string { return fmt.Sprintf("id-%05d", n.Add(1)) }}
	disabled := t0
	for _, u := range []*store.User{
		{Email: "rep@example.com", Name: "Rep", Role: "rep", CreatedAt: t0, UpdatedAt: t0},
		{Email: "manager@example.com", Name: "Manager", Role: "manager", CreatedAt: t0, UpdatedAt: t0},
		{Email: "gone@example.com", Name: "Gone", Role: "rep", DisabledAt: &disabled, CreatedAt: t0, UpdatedAt: t0},
	} {
		if err := db.Users().CreateUser(context.Background(), u); err != nil {
			t.Fatalf("create user %s: %v", u.Email, err)
		}
		b.users[u.Email] = u.ID
	}
	return b
}

// each runs fn on a fresh bundle on every database.
func each(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, setup(t, db)) })
}

// event is a recorded event with its payload decoded.
type event struct {
	Type, Entity, EntityID, Source, CreatedBy string
	CreatedAt                                 time.Time
	Payload                                   map[string]any
}

// events reads every recorded event, oldest first.
func (b *bundle) events(t *testing.T) []event {
	t.Helper()
	rows, err := b.db.CRM().AllEvents(context.Background())
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	out := make([]event, 0, len(rows))
	for _, r := range rows {
		e := event{Type: r.Type, Entity: r.Entity, EntityID: r.EntityID, Source: r.Source, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
		if err := json.Unmarshal(r.Payload, &e.Payload); err != nil {
			t.Fatalf("event %s payload %s: %v", r.ID, r.Payload, err)
		}
		out = append(out, e)
	}
	return out
}

// types lists the types of the events recorded after the first skip ones.
func (b *bundle) types(t *testing.T, skip int) []string {
	t.Helper()
	var out []string
	for _, e := range b.events(t)[skip:] {
		out = append(out, e.Type)
	}
	return out
}

func (b *bundle) count(t *testing.T, table string) int64 {
	t.Helper()
	n, err := b.db.CRM().CountTable(context.Background(), table)
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// create makes a record as the rep and fails the test if it cannot.
func (b *bundle) create(t *testing.T, e crm.Entity, data map[string]any) crm.Record {
	t.Helper()
	rec, err := b.svc.Create(context.Background(), "rep@example.com", e, data)
	if err != nil {
		t.Fatalf("create %s %v: %v", e, data, err)
	}
	return rec
}

// jsonOf is v through JSON, so records compare the way clients and workflows see them.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

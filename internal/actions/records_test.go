package actions_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// fakeRecords is an actions.RecordStore that keeps records in memory and follows the CRM's contract: bad
// data is a permanent error naming the field; a missing record is store.ErrNotFound.
type fakeRecords struct {
	mu       sync.Mutex
	records  map[string]map[string]any // "entity/id" → fields
	writes   []recordCall
	checkErr error // Check fails with it when set (a database that does not answer)
	writeErr error // CreateTx and UpdateTx fail with it when set
}

type recordCall struct {
	op, entity, id, by string
	data               map[string]any
	tx                 *store.Tx
}

func newFakeRecords() *fakeRecords {
	return &fakeRecords{records: map[string]map[string]any{"lead/lead-1": {"firstName": "Jane"}}}
}

func (f *fakeRecords) Entities() []string {
	return []string{"lead", "contact", "company", "opportunity", "task"}
}

func (f *fakeRecords) Check(_ context.Context, entity, id string, data map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checkErr != nil {
		return f.checkErr
	}
	return f.check(entity, id, data)
}

func (f *fakeRecords) Lookup(_ context.Context, entity, id string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checkErr != nil {
		return nil, f.checkErr
	}
	rec := f.records[entity+"/"+id]
	if rec == nil {
		return nil, fmt.Errorf("there is no %s with id %q: %w", entity, id, store.ErrNotFound)
	}
	out := map[string]any{"id": id}
	for k, v := range rec {
		out[k] = v
	}
	return out, nil
}

// Find lists the records of entity whose fields equal where's values, in id order.
func (f *fakeRecords) Find(_ context.Context, entity string, where map[string]string, _ string, limit int) ([]map[string]any, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checkErr != nil {
		return nil, 0, f.checkErr
	}
	var keys []string
	for key, rec := range f.records {
		id, ok := strings.CutPrefix(key, entity+"/")
		if !ok {
			continue
		}
		match := true
		for field, v := range where {
			match = match && fmt.Sprint(rec[field]) == v
		}
		if match {
			keys = append(keys, id)
		}
	}
	sort.Strings(keys)
	var out []map[string]any
	for _, id := range keys[:min(limit, len(keys))] {
		rec := map[string]any{"id": id}
		maps.Copy(rec, f.records[entity+"/"+id])
		out = append(out, rec)
	}
	return out, int64(len(keys)), nil
}

func (f *fakeRecords) check(entity, id string, data map[string]any) error {
	if id != "" && f.records[entity+"/"+id] == nil {
		return fmt.Errorf("there is no %s with id %q: %w", entity, id, store.ErrNotFound)
	}
	if e, ok := data["email"].(string); ok && !strings.Contains(e, "@") {
		return workflow.Permanent(workflow.ClassValidation, fmt.Errorf("the %s data is not valid: email: %q is not an email address", entity, e))
	}
	return nil
}

func (f *fakeRecords) write(op string, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		return nil, f.writeErr
	}
	checkID := id
	if op == "create" {
		checkID = ""
	}
	if err := f.check(entity, checkID, data); err != nil {
		return nil, err
	}
	f.writes = append(f.writes, recordCall{op: op, entity: entity, id: id, by: by, data: data, tx: tx})
	rec := map[string]any{"id": id}
	for k, v := range f.records[entity+"/"+id] {
		rec[k] = v
	}
	for k, v := range data {
		rec[k] = v
	}
	f.records[entity+"/"+id] = rec
	return rec, nil
}

func (f *fakeRecords) CreateTx(_ context.Context, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error) {
	return f.write("create", tx, entity, id, data, by)
}

func (f *fakeRecords) UpdateTx(_ context.Context, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error) {
	return f.write("update", tx, entity, id, data, by)
}

// recordActions is a registry whose actions write to records.
func recordActions(records actions.RecordStore) *actions.Registry {
	n := 0
	return actions.NewRegistry(actions.Builtin(actions.Deps{Records: records, NewID: func() string {
		n++
		return fmt.Sprintf("new-%d", n)
	}})...)
}

func runRecordAction(t *testing.T, reg *actions.Registry, name string, params map[string]any) (actions.Result, error) {
	t.Helper()
	a, ok := reg.Get(name)
	if !ok {
		t.Fatalf("no action %q", name)
	}
	return a.Run(context.Background(), actions.Input{ExecutionID: "exec-1", WorkflowID: "lead_nurture_sequence",
		StepID: "step-1", Attempt: 1, IdempotencyKey: "exec-1:step-1:1", Params: params, Now: t0})
}

func TestRecordActionsWriteInTheStepsTransaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		action     string
		params     map[string]any
		wantOutput map[string]any
		wantMsg    string
		wantWrite  recordCall
	}{
		{"create", "create_record",
			map[string]any{"entity": "lead", "data": map[string]any{"firstName": "Sam", "email": "sam@acme.example"}},
			map[string]any{"entity": "lead", "id": "new-1", "record": map[string]any{"id": "new-1", "firstName": "Sam", "email": "sam@acme.example"}},
			"Created lead new-1",
			recordCall{op: "create", entity: "lead", id: "new-1", by: "workflow lead_nurture_sequence",
				data: map[string]any{"firstName": "Sam", "email": "sam@acme.example"}}},
		{"update", "update_record",
			map[string]any{"entity": "lead", "id": "lead-1", "data": map[string]any{"status": "contacted", "score": 40.0}},
			map[string]any{"entity": "lead", "id": "lead-1", "record": map[string]any{"id": "lead-1", "status": "contacted", "score": 40.0}},
			"Updated lead lead-1: score, status",
			recordCall{op: "update", entity: "lead", id: "lead-1", by: "workflow lead_nurture_sequence",
				data: map[string]any{"status": "contacted", "score": 40.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			records := newFakeRecords()
			res, err := runRecordAction(t, recordActions(records), tt.action, tt.params)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !reflect.DeepEqual(res.Output, tt.wantOutput) || res.Message != tt.wantMsg {
				t.Fatalf("Run = %#v, %q; want %#v, %q", res.Output, res.Message, tt.wantOutput, tt.wantMsg)
			}
			if len(records.writes) != 0 {
				t.Fatalf("Run wrote before the commit: %+v", records.writes)
			}
			if len(res.Effects) != 1 {
				t.Fatalf("Run gave %d effects, want 1", len(res.Effects))
			}
			tx := &store.Tx{} // stands for the step's transaction
			if err := res.Effects[0].Apply(context.Background(), tx); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tt.wantWrite.tx = tx
			if len(records.writes) != 1 || !reflect.DeepEqual(records.writes[0], tt.wantWrite) {
				t.Fatalf("writes = %+v, want %+v in the step's transaction", records.writes, tt.wantWrite)
			}
		})
	}
}

func TestRecordActionErrors(t *testing.T) {
	t.Parallel()
	dbDown := errors.New("connection refused")
	tests := []struct {
		name      string
		action    string
		params    map[string]any
		checkErr  error
		noRecords bool
		class     string
		permanent bool
		msg       string
	}{
		{name: "bad field", action: "create_record", params: map[string]any{"entity": "lead", "data": map[string]any{"email": "nope"}},
			class: workflow.ClassValidation, permanent: true, msg: `create_record: the lead data is not valid: email: "nope" is not an email address`},
		{name: "bad field in an update", action: "update_record", params: map[string]any{"entity": "lead", "id": "lead-1", "data": map[string]any{"email": "nope"}},
			class: workflow.ClassValidation, permanent: true, msg: `update_record: the lead data is not valid: email: "nope" is not an email address`},
		{name: "missing record", action: "update_record", params: map[string]any{"entity": "lead", "id": "gone", "data": map[string]any{"status": "new"}},
			class: workflow.ClassValidation, permanent: true, msg: `update_record: there is no lead with id "gone": not found`},
		{name: "unknown entity", action: "create_record", params: map[string]any{"entity": "deal", "data": map[string]any{}},
			class: workflow.ClassValidation, permanent: true, msg: `create_record: entity "deal" is not a kind of CRM record; use lead, contact, company, opportunity, task`},
		{name: "no entity", action: "create_record", params: map[string]any{"data": map[string]any{}},
			class: workflow.ClassValidation, permanent: true, msg: "create_record: entity is empty"},
		{name: "data not an object", action: "create_record", params: map[string]any{"entity": "lead", "data": "firstName=Sam"},
			class: workflow.ClassValidation, permanent: true, msg: "create_record: data must be an object of the record's fields"},
		{name: "empty id", action: "update_record", params: map[string]any{"entity": "lead", "id": "", "data": map[string]any{}},
			class: workflow.ClassValidation, permanent: true, msg: "update_record: id is empty (the variable it comes from has no value)"},
		{name: "database down", action: "update_record", params: map[string]any{"entity": "lead", "id": "lead-1", "data": map[string]any{}},
			checkErr: dbDown, class: workflow.ClassOther, permanent: false, msg: "update_record: connection refused"},
		{name: "no CRM", action: "create_record", params: map[string]any{"entity": "lead", "data": map[string]any{}}, noRecords: true,
			class: workflow.ClassOther, permanent: true, msg: "create_record: this server has no CRM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			records := newFakeRecords()
			records.checkErr = tt.checkErr
			reg := recordActions(records)
			if tt.noRecords {
				reg = recordActions(nil)
			}
			res, err := runRecordAction(t, reg, tt.action, tt.params)
			wantStepError(t, err, tt.class, tt.permanent, tt.msg)
			if len(res.Effects) != 0 || len(records.writes) != 0 {
				t.Fatalf("a failed %s asked for %d effects and wrote %d records", tt.action, len(res.Effects), len(records.writes))
			}
		})
	}
}

// TestRecordEffectErrors: what was fine when the step ran may not be when it commits (the record was deleted
// in between). The effect's error then fails the step for good, unless retrying can help.
func TestRecordEffectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		action    string
		params    map[string]any
		change    func(*fakeRecords)
		permanent bool
		msg       string
	}{
		{"record deleted before the commit", "update_record", map[string]any{"entity": "lead", "id": "lead-1", "data": map[string]any{"status": "contacted"}},
			func(f *fakeRecords) { delete(f.records, "lead/lead-1") }, true, `update_record: there is no lead with id "lead-1": not found`},
		{"data refused at the commit", "create_record", map[string]any{"entity": "lead", "data": map[string]any{"firstName": "Sam"}},
			func(f *fakeRecords) {
				f.writeErr = workflow.Permanent(workflow.ClassValidation, errors.New(`companyId: there is no company with id "c-1"`))
			}, true, `create_record: companyId: there is no company with id "c-1"`},
		{"database down at the commit", "create_record", map[string]any{"entity": "lead", "data": map[string]any{"firstName": "Sam"}},
			func(f *fakeRecords) { f.writeErr = errors.New("connection reset") }, false, "create_record: lead new-1: connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			records := newFakeRecords()
			res, err := runRecordAction(t, recordActions(records), tt.action, tt.params)
			if err != nil || len(res.Effects) != 1 {
				t.Fatalf("Run = %d effects, %v", len(res.Effects), err)
			}
			tt.change(records)
			err = res.Effects[0].Apply(context.Background(), &store.Tx{})
			if err == nil || err.Error() != tt.msg || workflow.IsPermanent(err) != tt.permanent {
				t.Fatalf("Apply = %v (permanent %t), want %q (permanent %t)", err, workflow.IsPermanent(err), tt.msg, tt.permanent)
			}
		})
	}
}

func TestRecordActionSpecs(t *testing.T) {
	t.Parallel()
	reg := recordActions(newFakeRecords())
	for _, name := range []string{"create_record", "update_record"} {
		a, _ := reg.Get(name)
		spec := a.Spec()
		i := slices.IndexFunc(spec.Params, func(p workflow.ParamSpec) bool { return p.Name == "entity" })
		if i < 0 || spec.Params[i].Kind != workflow.ParamEnum || !spec.Params[i].Required ||
			!slices.Equal(spec.Params[i].Options, []string{"lead", "contact", "company", "opportunity", "task"}) {
			t.Errorf("%s entity parameter = %+v, want a required enum of the CRM's entities", name, spec.Params)
		}
	}
	// Without a CRM the actions still describe themselves (validation-only registries build them).
	a, _ := recordActions(nil).Get("create_record")
	if p := a.Spec().Params[0]; p.Name != "entity" || len(p.Options) != 0 {
		t.Fatalf("entity parameter without a CRM = %+v", p)
	}
}

func TestGetRecord(t *testing.T) {
	t.Parallel()
	records := newFakeRecords()
	a := actions.NewRegistry(actions.Builtin(actions.Deps{Records: records})...)
	get, ok := a.Get("get_record")
	if !ok {
		t.Fatal("get_record is not registered")
	}
	res, err := get.Run(context.Background(), actions.Input{Params: map[string]any{"entity": "lead", "id": "lead-1"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Output.(map[string]any)["record"].(map[string]any)
	if rec["firstName"] != "Jane" || rec["id"] != "lead-1" || len(res.Effects) != 0 {
		t.Fatalf("get_record gave %v with %d effects", res.Output, len(res.Effects))
	}
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"entity": "lead", "id": "nope"}, `no lead with id "nope"`},
		{map[string]any{"entity": "pizza", "id": "x"}, "not a kind of CRM record"},
		{map[string]any{"entity": "lead", "id": ""}, "id is empty"},
	} {
		_, err := get.Run(context.Background(), actions.Input{Params: tc.params})
		if err == nil || !workflow.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("get_record %v: %v, want a permanent error saying %q", tc.params, err, tc.want)
		}
	}
	records.checkErr = fmt.Errorf("the database is gone")
	if _, err := get.Run(context.Background(), actions.Input{Params: map[string]any{"entity": "lead", "id": "lead-1"}}); err == nil || workflow.IsPermanent(err) {
		t.Fatalf("a database error should be transient, got %v", err)
	}
}

func TestFindRecords(t *testing.T) {
	t.Parallel()
	records := newFakeRecords()
	for i, company := range []string{"c1", "c2", "c1", "c1"} {
		records.records[fmt.Sprintf("contact/k%d", i)] = map[string]any{"companyId": company, "firstName": fmt.Sprint("P", i)}
	}
	a := actions.NewRegistry(actions.Builtin(actions.Deps{Records: records})...)
	find, ok := a.Get("find_records")
	if !ok {
		t.Fatal("find_records is not registered")
	}
	res, err := find.Run(context.Background(), actions.Input{Params: map[string]any{"entity": "contact", "where": map[string]any{"companyId": "c1"}, "limit": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output.(map[string]any)
	items := out["items"].([]any)
	if len(items) != 2 || out["total"] != int64(3) || out["count"] != 2 || items[0].(map[string]any)["id"] != "k0" || items[1].(map[string]any)["id"] != "k2" {
		t.Fatalf("find_records gave %v", out)
	}
	if len(res.Effects) != 0 {
		t.Fatalf("find_records wrote: %v", res.Effects)
	}
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"entity": "pizza"}, "not a kind of CRM record"},
		{map[string]any{"entity": "contact", "limit": 5000}, "limit \"5000\" is not a whole number from 1 to 1000"},
		{map[string]any{"entity": "contact", "limit": "lots"}, "is not a whole number"},
		{map[string]any{"entity": "contact", "where": "companyId"}, "where must be a set of field names and values"},
		{map[string]any{"entity": "contact", "where": map[string]any{"companyId": nil}}, "where.companyId is empty"},
	} {
		_, err := find.Run(context.Background(), actions.Input{Params: tc.params})
		if err == nil || !workflow.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("find_records %v: %v, want a permanent error saying %q", tc.params, err, tc.want)
		}
	}
	records.checkErr = fmt.Errorf("the database is gone")
	if _, err := find.Run(context.Background(), actions.Input{Params: map[string]any{"entity": "contact"}}); err == nil || workflow.IsPermanent(err) {
		t.Fatalf("a database error should be transient, got %v", err)
	}
}

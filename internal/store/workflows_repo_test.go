package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// must fails the test on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// create inserts fixture rows with GORM (the store's tests may).
func create(t *testing.T, db *store.DB, rows ...any) {
	t.Helper()
	for _, r := range rows {
		must(t, store.GormOf(db).Create(r).Error)
	}
}

// versionIn is the version a fixture's definition ({"version": n}) names.
func versionIn(t *testing.T, def store.JSON) int {
	t.Helper()
	var d struct{ Version int }
	must(t, def.Decode(&d))
	return d.Version
}

var _ = exercise("workflows/versions-and-publishing", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	wfs := db.Workflows()
	if _, err := wfs.Workflow(ctx, "wf"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Workflow of an unknown id: %v, want ErrNotFound", err)
	}
	if ok, err := wfs.Exists(ctx, "wf"); err != nil || ok {
		t.Fatalf("Exists before = %v, %v", ok, err)
	}
	must(t, wfs.CreateWorkflow(ctx, &store.Workflow{ID: "wf", Name: "Nurture", Enabled: true, CreatedAt: t0, UpdatedAt: t0}))
	must(t, wfs.CreateWorkflow(ctx, &store.Workflow{ID: "other", Name: "Approval", Enabled: true, CreatedAt: t0, UpdatedAt: t0}))
	if ok, err := wfs.Exists(ctx, "wf"); err != nil || !ok {
		t.Fatalf("Exists after = %v, %v", ok, err)
	}
	version := func(v int) *store.WorkflowVersion {
		return &store.WorkflowVersion{WorkflowID: "wf", Version: v, Definition: store.MustJSON(map[string]any{"version": v}),
			Status: store.VersionDraft, CreatedBy: "max@example.com", CreatedAt: t0}
	}
	// Saving in one transaction: the version and the workflow's latest version move together.
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		added, err := tx.Workflows().AddVersion(ctx, version(1), 0, t0.Add(time.Minute))
		if err == nil && !added {
			t.Error("AddVersion on the latest version did not add it")
		}
		return err
	}))
	// A save that read an older latest version loses.
	errLost := errors.New("lost")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		added, err := tx.Workflows().AddVersion(ctx, version(2), 0, t0)
		if err != nil {
			return err
		}
		if added {
			t.Error("AddVersion on a stale latest version added it")
		}
		return errLost
	})
	if !errors.Is(err, errLost) {
		t.Fatal(err)
	}
	wf, err := wfs.Workflow(ctx, "wf")
	if err != nil || wf.LatestVersion != 1 || !wf.UpdatedAt.Equal(t0.Add(time.Minute)) || wf.ActiveVersion != nil {
		t.Fatalf("after the saves: %+v, %v", wf, err)
	}

	// Publishing v1, then v2: v1 is archived, v2 active.
	for v := 1; v <= 2; v++ {
		must(t, db.Tx(ctx, func(tx *store.Tx) error {
			if v == 2 {
				if _, err := tx.Workflows().AddVersion(ctx, version(2), 1, t0); err != nil {
					return err
				}
			}
			at := t0.Add(time.Duration(v) * time.Hour)
			if err := tx.Workflows().PublishVersion(ctx, "wf", v, at); err != nil {
				return err
			}
			return tx.Workflows().Activate(ctx, "wf", store.Activation{Version: v, Name: "Nurture v" + string(rune('0'+v)),
				Description: "d", TriggerType: "event", TriggerEvent: "lead_created", At: at})
		}))
	}
	wf, err = wfs.Workflow(ctx, "wf")
	if err != nil || wf.ActiveVersion == nil || *wf.ActiveVersion != 2 || wf.Name != "Nurture v2" || wf.TriggerEvent != "lead_created" || wf.LatestVersion != 2 {
		t.Fatalf("after publishing v2: %+v, %v", wf, err)
	}
	versions, err := wfs.Versions(ctx, "wf")
	if err != nil || len(versions) != 2 || versions[0].Version != 2 || versions[0].Status != store.VersionPublished ||
		versions[1].Status != store.VersionArchived || versions[0].PublishedAt == nil || len(versions[0].Definition) != 0 {
		t.Fatalf("Versions = %+v, %v; want v2 published, v1 archived, newest first, no definitions", versions, err)
	}
	v1, err := wfs.Version(ctx, "wf", 1)
	if err != nil || versionIn(t, v1.Definition) != 1 {
		t.Fatalf("Version 1 = %+v, %v", v1, err)
	}
	if _, err := wfs.Version(ctx, "wf", 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Version 9: %v, want ErrNotFound", err)
	}
	defs, err := wfs.VersionDefinitions(ctx, "wf", []int{1, 9})
	if err != nil || len(defs) != 1 || defs[0].Version != 1 || versionIn(t, defs[0].Definition) != 1 {
		t.Fatalf("VersionDefinitions = %+v, %v", defs, err)
	}
	pub, err := wfs.PublishedDefinitions(ctx, []string{"wf", "other"})
	if err != nil || len(pub) != 1 || pub[0].WorkflowID != "wf" || pub[0].Version != 2 {
		t.Fatalf("PublishedDefinitions = %+v, %v", pub, err)
	}

	// Lists and names.
	if n, err := wfs.CountWorkflows(ctx); err != nil || n != 2 {
		t.Fatalf("CountWorkflows = %d, %v", n, err)
	}
	all, err := wfs.ListWorkflows(ctx, -1, 0)
	if err != nil || len(all) != 2 || all[0].ID != "other" || all[1].ID != "wf" {
		t.Fatalf("ListWorkflows = %+v, %v; want by name", all, err)
	}
	page, err := wfs.ListWorkflows(ctx, 1, 1)
	if err != nil || len(page) != 1 || page[0].ID != "wf" {
		t.Fatalf("ListWorkflows(1, 1) = %+v, %v", page, err)
	}
	published, err := wfs.PublishedWorkflows(ctx)
	if err != nil || len(published) != 1 || published[0].ID != "wf" {
		t.Fatalf("PublishedWorkflows = %+v, %v", published, err)
	}
	names, err := wfs.Names(ctx)
	if err != nil || len(names) != 2 || names["other"] != "Approval" || names["wf"] != "Nurture v2" {
		t.Fatalf("Names = %v, %v", names, err)
	}

	// Enabling.
	if found, err := wfs.SetEnabled(ctx, "wf", false, t0.Add(3*time.Hour)); err != nil || !found {
		t.Fatalf("SetEnabled = %v, %v", found, err)
	}
	if found, err := wfs.SetEnabled(ctx, "nope", false, t0); err != nil || found {
		t.Fatalf("SetEnabled of an unknown workflow = %v, %v", found, err)
	}
	if wf, err = wfs.Workflow(ctx, "wf"); err != nil || wf.Enabled || !wf.UpdatedAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("after SetEnabled: %+v, %v", wf, err)
	}
})

var _ = exercise("triggers/webhooks", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	create(t, db, &store.Workflow{ID: "wf", Name: "Hook", Enabled: true, CreatedAt: t0, UpdatedAt: t0})
	hooks := db.Triggers()
	if _, err := hooks.WebhookOf(ctx, "wf"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("WebhookOf before = %v, want ErrNotFound", err)
	}
	first, err := hooks.CreateWebhook(ctx, &store.Webhook{WorkflowID: "wf", Token: "tok-1", SigningSecret: "s-1", CreatedAt: t0})
	if err != nil || first.Token != "tok-1" {
		t.Fatalf("CreateWebhook = %+v, %v", first, err)
	}
	// Another transaction creating it at the same moment gets the one that is there.
	second, err := hooks.CreateWebhook(ctx, &store.Webhook{WorkflowID: "wf", Token: "tok-2", SigningSecret: "s-2", CreatedAt: t0})
	if err != nil || second.Token != "tok-1" || second.SigningSecret != "s-1" {
		t.Fatalf("CreateWebhook again = %+v, %v; want the first", second, err)
	}
	rotated := t0.Add(time.Hour)
	first.Token, first.SigningSecret, first.RotatedAt = "tok-3", "s-3", &rotated
	must(t, hooks.SaveWebhook(ctx, first))
	if _, err := hooks.WebhookByToken(ctx, "tok-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the rotated token still finds the webhook: %v", err)
	}
	got, err := hooks.WebhookByToken(ctx, "tok-3")
	if err != nil || got.WorkflowID != "wf" || got.SigningSecret != "s-3" || got.RotatedAt == nil || !got.RotatedAt.Equal(rotated) {
		t.Fatalf("WebhookByToken = %+v, %v", got, err)
	}

	d := &store.WebhookDelivery{WorkflowID: "wf", DeliveryID: "d-1", ReceivedAt: t0}
	if claimed, err := hooks.ClaimWebhookDelivery(ctx, d); err != nil || !claimed {
		t.Fatalf("ClaimWebhookDelivery = %v, %v", claimed, err)
	}
	if claimed, err := hooks.ClaimWebhookDelivery(ctx, &store.WebhookDelivery{WorkflowID: "wf", DeliveryID: "d-1", ReceivedAt: t0}); err != nil || claimed {
		t.Fatalf("ClaimWebhookDelivery of a delivery seen before = %v, %v", claimed, err)
	}
	if _, err := hooks.ClaimWebhookDelivery(ctx, &store.WebhookDelivery{WorkflowID: "wf", DeliveryID: "d-2", ReceivedAt: t0}); err != nil {
		t.Fatal(err)
	}
	must(t, hooks.SetWebhookDeliveryExecution(ctx, d, "run-1"))
	var rows []store.WebhookDelivery
	must(t, store.GormOf(db).Order("delivery_id").Find(&rows).Error)
	if len(rows) != 2 || rows[0].ExecutionID == nil || *rows[0].ExecutionID != "run-1" || rows[1].ExecutionID != nil {
		t.Fatalf("deliveries = %+v; want d-1 with its run, d-2 without", rows)
	}
})

package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestMain removes the store templates the tests filled once.
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.RemoveTemplates()
	os.Exit(code)
}

// dataDir is a new SQLite data directory holding what the first run of
// a command writes into an empty one (the schemas, the 55,164 org units,
// the modules' bootstrap data): written once per test process into a
// template and copied, so that each test's commands do not load the org
// units again. The commands still open and bootstrap it as they do any
// data directory.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.FillFromTemplate(t, db, "cli", installed)
	return dir
}

// postgresDSN is dataDir on PostgreSQL: the DSN of a new database copied
// from a template database (storetest.PostgresFromTemplate), dropped when
// the test ends. It skips the test when ZHIHUI_TEST_POSTGRES=off.
func postgresDSN(t *testing.T) string {
	t.Helper()
	return storetest.PostgresFromTemplate(t, "cli", installed)
}

// installed writes into an empty store what a command's first run does.
func installed(ctx context.Context, db *store.DB) error {
	a := &app.App{DB: db, Log: slog.New(slog.DiscardHandler), Modules: app.Modules()}
	if err := module.RegisterCatalogs(a.Modules); err != nil {
		return err
	}
	if err := db.Migrate(ctx, app.SchemasOf(a.Modules)...); err != nil {
		return err
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		return err
	}
	return a.Bootstrap(ctx)
}

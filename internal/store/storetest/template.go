package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"zhihui/internal/store"
)

// A template is a SQLite file filled once per test process by a slow
// set-up (the 55,164 org units, the monitoring catalogue) that tests then
// copy into their own fresh store instead of repeating it.
type template struct {
	mu   sync.Mutex
	path string
}

var (
	templates sync.Map // key → *template

	dirsMu sync.Mutex
	dirs   []string // the directories of the templates, for RemoveTemplates

	// tempRoot is where templates are written: the temporary directory
	// of the process as it started, not that of a test which points
	// TMPDIR into its own directory (t.Setenv) to watch for files left
	// behind — the template would be built again there and removed with
	// it.
	tempRoot = os.TempDir()
)

// FillFromTemplate makes the fresh store db hold what build writes into
// an empty store: build runs once per test process and key on a store of
// its own, and each call copies it into db. build must migrate the
// schemas it fills.
//
// On SQLite db must be migrated to the same schemas or not at all: an
// empty db is closed, the template file's bytes are copied over its file
// and it is opened again, so that db's W and R change; a migrated db gets
// the rows copied. On PostgreSQL db must still be empty: it is moved to a
// new database copied from the template database (CREATE DATABASE …
// TEMPLATE), so that db's W and R change too — call this before anything
// keeps them. It reports false, doing nothing, for a PostgreSQL db that
// already holds tables: the caller then runs build itself. Many stores
// may be filled from one template at once.
//
// Call RemoveTemplates from TestMain after the tests to delete the
// templates.
func FillFromTemplate(t testing.TB, db *store.DB, key string, build func(ctx context.Context, db *store.DB) error) bool {
	t.Helper()
	if db.Dialect == store.Postgres {
		return fillPostgres(t, db, key, build)
	}
	v, _ := templates.LoadOrStore(key, &template{})
	tpl := v.(*template)
	tpl.mu.Lock()
	// Built on first use, and again if its file went away.
	if _, err := os.Stat(tpl.path); tpl.path == "" || err != nil {
		path, err := buildTemplate(key, build)
		if err != nil {
			tpl.mu.Unlock()
			t.Fatalf("storetest: template %s: %v", key, err)
		}
		tpl.path = path
	}
	path := tpl.path
	tpl.mu.Unlock()
	if err := fill(context.Background(), db, path); err != nil {
		t.Fatalf("storetest: fill from template %s: %v", key, err)
	}
	return true
}

func buildTemplate(key string, build func(ctx context.Context, db *store.DB) error) (string, error) {
	dir, err := os.MkdirTemp(tempRoot, "zhihui-template-"+sanitize(key)+"-")
	if err != nil {
		return "", err
	}
	dirsMu.Lock()
	dirs = append(dirs, dir)
	dirsMu.Unlock()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		return "", err
	}
	if err := build(ctx, db); err != nil {
		db.Close()
		return "", err
	}
	// Fold the write-ahead log into the file so that readers see it all.
	if _, err := db.W.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		db.Close()
		return "", err
	}
	if err := db.Close(); err != nil {
		return "", err
	}
	// The template is read by many copies at once. In WAL mode the first
	// connection to open the file recovers the write-ahead log's index
	// under an exclusive lock, and the last to close checkpoints under
	// one: a copy opening the file then meets SQLITE_BUSY (seen as
	// "database is locked (261)"). In rollback mode a reader takes only a
	// shared lock, and nothing writes the template again.
	path := filepath.Join(dir, "zhihui.db")
	if err := rollbackMode(ctx, path); err != nil {
		return "", err
	}
	return path, nil
}

// rollbackMode switches the SQLite file at path, which no one else has
// open, from WAL to rollback-journal mode.
func rollbackMode(ctx context.Context, path string) error {
	c, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer c.Close()
	var mode string
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		return err
	}
	if mode != "delete" {
		return fmt.Errorf("journal mode of %s is %s, want delete", path, mode)
	}
	return c.Close()
}

// fill makes db a copy of the SQLite template file at path. An empty
// db is closed, the file's bytes are copied over db's file and db is
// opened again on the copy: no SQLite connection to the template is
// involved, so nothing another copy does can stand in the way. A db that
// already holds tables gets the rows (copyRows).
func fill(ctx context.Context, db *store.DB, path string) error {
	var n int
	if err := db.W.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return copyRows(ctx, db, path)
	}
	// Closing the last connection checkpoints the new store's (empty)
	// write-ahead log and removes it with its index.
	if err := db.Close(); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(db.Path + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if err := copyFile(path, db.Path); err != nil {
		return err
	}
	fresh, err := store.Open(ctx, store.Options{DSN: db.Path})
	if err != nil {
		return err
	}
	*db = *fresh
	return nil
}

// copyFile writes the bytes of the file at from into the file at to.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// copyRows copies every table of the SQLite file at path into db, first
// creating the tables db lacks and emptying those it has.
func copyRows(ctx context.Context, db *store.DB, path string) error {
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS tpl", path); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, "DETACH DATABASE tpl")
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, "PRAGMA foreign_keys = ON")

	type object struct{ kind, name, sql string }
	rows, err := conn.QueryContext(ctx, `SELECT type, name, sql FROM tpl.sqlite_master
		WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid`)
	if err != nil {
		return err
	}
	var objs []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.kind, &o.name, &o.sql); err != nil {
			rows.Close()
			return err
		}
		objs = append(objs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	have := map[string]bool{}
	rows, err = conn.QueryContext(ctx, `SELECT name FROM main.sqlite_master WHERE name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	fail := func(err error) error {
		conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	for _, o := range objs {
		if !have[o.name] {
			// The schema itself: tables, then their indexes, views, triggers.
			if _, err := conn.ExecContext(ctx, o.sql); err != nil {
				return fail(fmt.Errorf("create %s: %w", o.name, err))
			}
		}
		if o.kind != "table" {
			continue
		}
		q := quote(o.name)
		if _, err := conn.ExecContext(ctx, "DELETE FROM main."+q); err != nil {
			return fail(fmt.Errorf("empty %s: %w", o.name, err))
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO main."+q+" SELECT * FROM tpl."+q); err != nil {
			return fail(fmt.Errorf("copy %s: %w", o.name, err))
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fail(err)
	}
	return nil
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// RemoveTemplates deletes the templates of this test process: the
// SQLite files and the PostgreSQL template databases.
func RemoveTemplates() {
	removePGTemplates()
	dirsMu.Lock()
	defer dirsMu.Unlock()
	for _, d := range dirs {
		os.RemoveAll(d)
	}
	dirs = nil
}

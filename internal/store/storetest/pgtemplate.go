package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/testwait"
)

// On PostgreSQL a template is a database of the test server, filled once
// per test process and key by the slow set-up, that each test copies
// with CREATE DATABASE … TEMPLATE: the server copies the files instead of
// re-running the inserts, index builds and bootstrap of the set-up.
//
// Databases are named zhihui_tpl_<unix seconds>_<random> (templates) and
// zhihui_t_<unix seconds>_<random> (the tests' copies), so that those a
// killed test process left behind can be recognised and dropped later.
type pgTemplate struct {
	mu   sync.Mutex
	name string // the template database, "" until built
}

var (
	pgTemplates sync.Map // server DSN + "\x00" + key → *pgTemplate

	pgMu      sync.Mutex
	pgCreated []pgDatabase // the templates of this process, for RemoveTemplates
	pgSwept   bool
)

type pgDatabase struct{ dsn, name string }

// stale is how old a leftover database must be before a test process
// drops it: far longer than any test run (make test's timeout is 45
// minutes), so that no running test loses its database.
const stale = 12 * time.Hour

// PostgresFromTemplate returns the DSN of a new database on the test
// PostgreSQL server holding what build writes into an empty store: build
// runs once per test process and key on a template database of its own,
// and each call copies that database (CREATE DATABASE … TEMPLATE). The
// database is dropped when the test ends. It skips the test when
// ZHIHUI_TEST_POSTGRES=off.
func PostgresFromTemplate(t testing.TB, key string, build func(ctx context.Context, db *store.DB) error) string {
	t.Helper()
	base := PostgresDSN()
	if base == "off" {
		t.Skip("PostgreSQL tests disabled by ZHIHUI_TEST_POSTGRES=off")
	}
	v, _ := pgTemplates.LoadOrStore(base+"\x00"+key, &pgTemplate{})
	tpl := v.(*pgTemplate)
	tpl.mu.Lock()
	if tpl.name == "" {
		name, err := buildPGTemplate(base, key, build)
		if err != nil {
			tpl.mu.Unlock()
			t.Fatalf("storetest: PostgreSQL template %s: %v", key, err)
		}
		tpl.name = name
	}
	from := tpl.name
	tpl.mu.Unlock()

	name := pgName("zhihui_t_")
	if err := pgAdmin(base, `CREATE DATABASE `+quote(name)+` TEMPLATE `+quote(from)); err != nil {
		t.Fatalf("storetest: copy PostgreSQL template %s: %v", key, err)
	}
	t.Cleanup(func() { dropDatabase(base, name) })
	return withDatabase(base, name)
}

// fillPostgres is FillFromTemplate on PostgreSQL: db, still empty, is
// moved to a new database copied from the template. It reports false,
// doing nothing, when db already holds tables.
func fillPostgres(t testing.TB, db *store.DB, key string, build func(ctx context.Context, db *store.DB) error) bool {
	t.Helper()
	var n int
	err := db.W.QueryRow(`SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`).Scan(&n)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	if n > 0 {
		return false
	}
	dsn := PostgresFromTemplate(t, key, build)
	fresh, err := store.Open(testwait.Context(t), store.Options{DSN: dsn})
	if err != nil {
		t.Fatalf("storetest: open copy of template %s: %v", key, err)
	}
	// The database is dropped (WITH FORCE) when the test ends; close the
	// connections first, and the empty store's ones now.
	t.Cleanup(func() { fresh.Close() })
	db.Close()
	*db = *fresh
	return true
}

// buildPGTemplate creates a database, runs build on it and closes it,
// returning its name.
func buildPGTemplate(base, key string, build func(ctx context.Context, db *store.DB) error) (string, error) {
	sweep(base)
	name := pgName("zhihui_tpl_")
	if err := pgAdmin(base, `CREATE DATABASE `+quote(name)); err != nil {
		return "", err
	}
	pgMu.Lock()
	pgCreated = append(pgCreated, pgDatabase{base, name})
	pgMu.Unlock()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: withDatabase(base, name)})
	if err != nil {
		return "", err
	}
	if err := build(ctx, db); err != nil {
		db.Close()
		return "", fmt.Errorf("build: %w", err)
	}
	if err := db.Close(); err != nil {
		return "", err
	}
	// No one connects to a template: CREATE DATABASE … TEMPLATE refuses a
	// source with other sessions. (The server waits a few seconds for the
	// sessions just closed to end.)
	if err := pgAdmin(base, `ALTER DATABASE `+quote(name)+` ALLOW_CONNECTIONS false`); err != nil {
		return "", err
	}
	return name, nil
}

// sweep drops, once per process, the databases of this package's naming
// that are older than stale: those of test processes killed before they
// could drop them.
func sweep(base string) {
	pgMu.Lock()
	if pgSwept {
		pgMu.Unlock()
		return
	}
	pgSwept = true
	pgMu.Unlock()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return
	}
	defer admin.Close()
	rows, err := admin.Query(`SELECT datname FROM pg_database WHERE datname LIKE 'zhihui\_t\_%' OR datname LIKE 'zhihui\_tpl\_%'`)
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) != nil {
			continue
		}
		parts := strings.Split(n, "_")
		if len(parts) < 2 {
			continue
		}
		sec, err := strconv.ParseInt(parts[len(parts)-2], 10, 64)
		if err == nil && time.Since(time.Unix(sec, 0)) > stale {
			old = append(old, n)
		}
	}
	rows.Close()
	for _, n := range old {
		dropDatabase(base, n)
	}
}

// pgName is prefix followed by the time and a random part.
func pgName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b)
}

// pgAdmin runs one statement on the test server's database.
func pgAdmin(base, stmt string) error {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.Exec(stmt)
	return err
}

func dropDatabase(base, name string) {
	pgAdmin(base, `DROP DATABASE IF EXISTS `+quote(name)+` WITH (FORCE)`)
}

// withDatabase returns dsn naming the database name instead of its own,
// without a search_path (the copy's tables are in its public schema).
func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String()
}

// removePGTemplates drops this process's template databases.
func removePGTemplates() {
	pgMu.Lock()
	defer pgMu.Unlock()
	for _, d := range pgCreated {
		dropDatabase(d.dsn, d.name)
	}
	pgCreated = nil
	pgTemplates.Range(func(k, _ any) bool { pgTemplates.Delete(k); return true })
}

// DSN returns a DSN for a second connection to the PostgreSQL database
// and schema that db works in — for a child process or another store on
// the same data. Use it rather than the DSN db was opened with, which
// FillFromTemplate may have moved db away from.
func DSN(t testing.TB, db *store.DB) string {
	t.Helper()
	var database, schema string
	if err := db.W.QueryRow(`SELECT current_database(), current_schema()`).Scan(&database, &schema); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return WithSearchPath(withDatabase(PostgresDSN(), database), schema)
}

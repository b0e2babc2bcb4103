// Package store opens Zhihui's database — embedded SQLite by default,
// PostgreSQL for scale-out — and keeps the differences between the two in
// one place: connection setup, migrations, bulk loading.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

// ErrNotFound is what every package's "no such thing" error wraps, so
// that one errors.Is check answers for all of them (a package may keep
// its own sentinel for its callers; it wraps this one).
var ErrNotFound = errors.New("not found")

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options says where the data lives. A DSN starting with postgres:// or
// postgresql:// selects PostgreSQL; otherwise SQLite in DataDir/zhihui.db.
type Options struct {
	DataDir string
	DSN     string
}

// DB is an open store. On SQLite W is a single writer connection and R a
// pool of readers (WAL mode lets them run beside the writer); on PostgreSQL
// both are the same pool.
type DB struct {
	W       *sql.DB
	R       *sql.DB
	Dialect Dialect
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
}

// IsPostgresDSN reports whether dsn selects PostgreSQL.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens and checks the store described by o.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.DSN != "" && IsPostgresDSN(o.DSN) {
		return openPostgres(ctx, o.DSN)
	}
	path := o.DSN
	if path == "" {
		dir := o.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
		path = filepath.Join(dir, "zhihui.db")
	}
	return openSQLite(ctx, path)
}

func sqliteDSN(path string) string {
	// _txlock=immediate makes write transactions take the lock up front, so
	// concurrent writers queue on busy_timeout instead of failing to upgrade.
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	// The writer keeps its temporary files in memory: a statement inside a
	// longer transaction journals the pages it changes (so that it can be
	// undone alone), and SQLite spills that journal to a file past 64 KiB,
	// a write system call per page. Readers keep the default, so a large
	// sort of a read still spills to disk. Page caches (SQLite's default is
	// 2 MB per connection) are large enough that bulk writes into tables of
	// a million rows and scans over them stay in memory instead of
	// re-reading pages from the file; they grow only as pages are used.
	w, err := sql.Open("sqlite", sqliteDSN(path)+"&_pragma=temp_store(2)&_pragma=cache_size(-65536)")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path)+"&_pragma=query_only(1)&_pragma=cache_size(-32768)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open readers %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{W: w, R: r, Dialect: SQLite, Path: path}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(max(8, runtime.NumCPU()*4))
	db.SetMaxIdleConns(max(8, runtime.NumCPU()*4))
	db.SetConnMaxIdleTime(5 * time.Minute)
	// The first connection must come within 10 s, or by the caller's own
	// deadline when it has one (a test's budget on a loaded machine).
	pctx, cancel := ctx, context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		pctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	}
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return &DB{W: db, R: db, Dialect: Postgres}, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Ping checks that the store answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx is a write transaction opened by InTx: the *sql.Tx, plus what the
// dialect helpers need — its engine and the connection it runs on (COPY
// on PostgreSQL reaches the driver connection underneath).
type Tx struct {
	*sql.Tx
	Dialect Dialect
	conn    *sql.Conn
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise. Nothing fn wrote is visible to anyone else unless
// the commit succeeds.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	return db.inTx(ctx, false, fn)
}

// InDurableTx is [DB.InTx] for writes whose success is told to someone
// outside at once (a rater answered "stored"): when it returns nil the
// commit is on disk. On SQLite the store's transactions otherwise commit
// with synchronous=NORMAL — in WAL mode a commit then survives the
// process being killed but not a power cut, until the next checkpoint —
// so this one runs with synchronous=FULL, the WAL synced before the commit
// returns (group commit makes that one sync for many writes).
// PostgreSQL's commits are durable already (synchronous_commit on).
func (db *DB) InDurableTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	return db.inTx(ctx, true, fn)
}

func (db *DB) inTx(ctx context.Context, durable bool, fn func(tx *Tx) error) (err error) {
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close()
	if durable && db.Dialect == SQLite {
		if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
			return fmt.Errorf("store: synchronous: %w", err)
		}
		// back to the store's setting for the writer's next transaction;
		// should this fail, the connection stays the safer FULL
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`)
	}
	stx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{Tx: stx, Dialect: db.Dialect, conn: conn}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
			// database/sql rolled the transaction back when ctx ended:
			// say so, rather than "already committed or rolled back"
			return fmt.Errorf("store: commit: %w", context.Cause(ctx))
		}
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Now is the store's notion of the current time: UTC, truncated to
// microseconds so that both engines round-trip it exactly.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Backup writes a consistent copy of a SQLite store to path with VACUUM
// INTO, which runs inside one read transaction while writers go on. It
// refuses to overwrite an existing file.
func (db *DB) Backup(ctx context.Context, path string) (int64, error) {
	if db.Dialect != SQLite {
		return 0, errors.New("store: backup of PostgreSQL is done with pg_dump")
	}
	if _, err := os.Stat(path); err == nil {
		return 0, fmt.Errorf("store: backup: %s exists", path)
	}
	if _, err := db.W.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

package store

import (
	"context"
	"fmt"
	"hash/fnv"
)

// LockKey is the 64-bit PostgreSQL advisory lock key of a lock name.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Lock takes the named lock until tx ends (pg_advisory_xact_lock),
// waiting for whoever holds it. On SQLite it does nothing: the single
// writer connection already serialises write transactions.
func (tx *Tx) Lock(ctx context.Context, name string) error {
	if tx.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", LockKey(name)); err != nil {
		return fmt.Errorf("store: lock %s: %w", name, err)
	}
	return nil
}

// TryLock takes the named lock for this process if no other session
// holds it, on a connection of its own that keeps it until release is
// called or the process dies (the server then drops it): the way one of
// several processes sharing PostgreSQL is elected to do something. On
// SQLite, which one process uses, it always succeeds.
func (db *DB) TryLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	if db.Dialect != Postgres {
		return func() {}, true, nil
	}
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: lock %s: %w", name, err)
	}
	key := LockKey(name)
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("store: lock %s: %w", name, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return func() {
		conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)
		conn.Close()
	}, true, nil
}

// WithLock runs fn holding the named lock, waiting for whoever holds it,
// on a connection of its own (pg_advisory_lock): the way several
// processes starting together on PostgreSQL take turns at something that
// is not one transaction, such as a migration run by a library. On
// SQLite, which one process uses, it runs fn.
func (db *DB) WithLock(ctx context.Context, name string, fn func() error) error {
	if db.Dialect != Postgres {
		return fn()
	}
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: lock %s: %w", name, err)
	}
	defer conn.Close()
	key := LockKey(name)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("store: lock %s: %w", name, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	return fn()
}

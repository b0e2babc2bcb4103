package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copySource feeds pgx's CopyFrom from a producer goroutine.
type copySource struct {
	next chan []any
	errc chan error
	row  []any
	err  error
}

func (c *copySource) Next() bool {
	select {
	case r, ok := <-c.next:
		if !ok {
			return false
		}
		c.row = r
		return true
	case err := <-c.errc:
		c.err = err
		return false
	}
}
func (c *copySource) Values() ([]any, error) { return c.row, nil }
func (c *copySource) Err() error             { return c.err }

// sqliteMaxParams bounds the parameters of one multi-row INSERT on SQLite
// (its limit is 32766).
const sqliteMaxParams = 32000

// Copy bulk-loads rows into table within tx: COPY FROM STDIN on PostgreSQL,
// batched multi-row INSERT statements on SQLite. rows calls yield once per
// row; the slice may be reused after yield returns.
func (db *DB) Copy(ctx context.Context, tx *Tx, table string, cols []string, rows func(yield func(row []any) error) error) (int64, error) {
	return tx.Copy(ctx, table, cols, rows)
}

// Copy is [DB.Copy] within tx.
func (tx *Tx) Copy(ctx context.Context, table string, cols []string, rows func(yield func(row []any) error) error) (int64, error) {
	if tx.Dialect == Postgres {
		return copyPostgres(ctx, tx.conn, table, cols, rows)
	}
	return copySQLite(ctx, tx.Tx, table, cols, rows)
}

func copyPostgres(ctx context.Context, conn *sql.Conn, table string, cols []string, rows func(yield func(row []any) error) error) (int64, error) {
	var n int64
	err := conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		src := &copySource{next: make(chan []any, 256), errc: make(chan error, 1)}
		go func() {
			err := rows(func(row []any) error {
				cp := append([]any(nil), row...)
				select {
				case src.next <- cp:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil {
				src.errc <- err
				return
			}
			close(src.next)
		}()
		var err error
		n, err = pc.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		if err != nil {
			// drain so the producer goroutine ends
			go func() {
				for range src.next {
				}
			}()
		}
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: copy into %s: %w", table, err)
	}
	return n, nil
}

func copySQLite(ctx context.Context, tx *sql.Tx, table string, cols []string, rows func(yield func(row []any) error) error) (int64, error) {
	per := max(1, min(500, sqliteMaxParams/len(cols)))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	full, err := tx.PrepareContext(ctx, head+strings.TrimSuffix(strings.Repeat(one+",", per), ","))
	if err != nil {
		return 0, fmt.Errorf("store: copy into %s: %w", table, err)
	}
	defer full.Close()
	args := make([]any, 0, per*len(cols))
	var n int64
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		k := len(args) / len(cols)
		var err error
		if k == per {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, head+strings.TrimSuffix(strings.Repeat(one+",", k), ","), args...)
		}
		if err != nil {
			return err
		}
		n += int64(k)
		args = args[:0]
		return nil
	}
	err = rows(func(row []any) error {
		if len(row) != len(cols) {
			return fmt.Errorf("row has %d values, want %d", len(row), len(cols))
		}
		args = append(args, row...)
		if len(args) == per*len(cols) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, fmt.Errorf("store: copy into %s: %w", table, err)
	}
	return n, nil
}

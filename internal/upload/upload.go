// Package upload keeps an uploaded file between an import's preview and
// its confirmation. Files live in the database, not on the local disk, so
// that a preview made by one server process can be confirmed on another
// sharing the same PostgreSQL store; they are stored in chunks so that
// neither writing nor reading holds a whole file in memory.
//
// An upload belongs to the user who made it and to one kind of import
// ("monitor.import", …); [Open] finds it only for that user and kind, and
// only within [TTL]. Expired uploads are removed whenever a new one is
// saved ([Sweep]), so they never pile up without needing a timer.
package upload

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"zhihui/internal/store"
)

// Schema owns the upload tables: upload (one row per file) and
// upload_chunk (its bytes, in order).
var Schema = store.Schema{Component: "upload", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE upload (
	token TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES auth_user(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	size BIGINT NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX upload_created ON upload (created_at);
CREATE TABLE upload_chunk (
	token TEXT NOT NULL REFERENCES upload(token) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	data {{BLOB}} NOT NULL,
	PRIMARY KEY (token, seq)
);
`}}}

// TTL is how long an upload waits for its confirmation.
const TTL = 24 * time.Hour

// chunkSize is the size of one stored piece of a file.
const chunkSize = 1 << 20

// ErrNotFound is returned by [Open] for an unknown, expired or foreign
// upload.
var ErrNotFound = fmt.Errorf("upload: %w", store.ErrNotFound)

// ErrTooLarge is returned by [Save] when the file exceeds its limit.
var ErrTooLarge = errors.New("upload: file too large")

// Upload describes a stored file.
type Upload struct {
	Token     string // 32 hex digits; what the confirmation form sends back
	UserID    int64
	Kind      string
	Name      string // the file name the user uploaded
	Size      int64
	CreatedAt time.Time
}

var tokenRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Save stores the contents of r (at most max bytes) as an upload of kind
// by userID, after removing expired uploads, in one transaction.
func Save(ctx context.Context, db *store.DB, userID int64, kind, name string, r io.Reader, max int64) (*Upload, error) {
	if _, err := Sweep(ctx, db, store.Now()); err != nil {
		return nil, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	u := &Upload{Token: hex.EncodeToString(b), UserID: userID, Kind: kind, Name: name, CreatedAt: store.Now()}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO upload (token, user_id, kind, name, size, created_at) VALUES ($1, $2, $3, $4, 0, $5)`,
			u.Token, u.UserID, u.Kind, u.Name, u.CreatedAt); err != nil {
			return fmt.Errorf("upload: save: %w", err)
		}
		buf := make([]byte, chunkSize)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				u.Size += int64(n)
				if u.Size > max {
					return ErrTooLarge
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO upload_chunk (token, seq, data) VALUES ($1, $2, $3)`, u.Token, seq, buf[:n]); err != nil {
					return fmt.Errorf("upload: save: %w", err)
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				return fmt.Errorf("upload: read: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE upload SET size = $1 WHERE token = $2`, u.Size, u.Token)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Open finds the upload token of kind made by userID within TTL and
// returns it with a reader of its contents, read one chunk at a time.
func Open(ctx context.Context, db *store.DB, userID int64, kind, token string) (*Upload, io.Reader, error) {
	if !tokenRE.MatchString(token) {
		return nil, nil, ErrNotFound
	}
	u := &Upload{Token: token}
	err := db.R.QueryRowContext(ctx, `SELECT user_id, kind, name, size, created_at FROM upload WHERE token = $1`, token).
		Scan(&u.UserID, &u.Kind, &u.Name, &u.Size, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("upload: open: %w", err)
	}
	if u.UserID != userID || u.Kind != kind || time.Since(u.CreatedAt) > TTL {
		return nil, nil, ErrNotFound
	}
	return u, &reader{ctx: ctx, db: db, token: token}, nil
}

// reader reads an upload's chunks in order.
type reader struct {
	ctx   context.Context
	db    *store.DB
	token string
	seq   int
	buf   []byte
	done  bool
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		err := r.db.R.QueryRowContext(r.ctx, `SELECT data FROM upload_chunk WHERE token = $1 AND seq = $2`, r.token, r.seq).Scan(&r.buf)
		if errors.Is(err, sql.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("upload: read: %w", err)
		}
		r.seq++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Delete removes an upload (after its import was confirmed, or refused).
func Delete(ctx context.Context, db *store.DB, token string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM upload_chunk WHERE token = $1`, token); err != nil {
			return fmt.Errorf("upload: delete: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM upload WHERE token = $1`, token); err != nil {
			return fmt.Errorf("upload: delete: %w", err)
		}
		return nil
	})
}

// Sweep removes the uploads older than TTL at now and returns how many.
func Sweep(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		cut := now.Add(-TTL)
		if _, err := tx.ExecContext(ctx, `DELETE FROM upload_chunk WHERE token IN (SELECT token FROM upload WHERE created_at < $1)`, cut); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM upload WHERE created_at < $1`, cut)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("upload: sweep: %w", err)
	}
	return n, nil
}

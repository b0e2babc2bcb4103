// Package audit keeps the log of every write in Zhihui: who did what to
// which record, when, from where, with the record before and after.
// Entries are written in the same transaction as the change they describe,
// so a change and its audit entry commit or vanish together.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"zhihui/internal/store"
)

// Actor is who makes a change. System jobs use the zero UserID with a
// descriptive Name ("system", "demo", "cli").
type Actor struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	IP     string `json:"ip,omitempty"`
}

// System is the actor for changes the platform makes by itself.
var System = Actor{Name: "system"}

// Entry is one audited change.
type Entry struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    Actor           `json:"actor"`
	Action   string          `json:"action"` // create, update, delete, login, approve …
	Entity   string          `json:"entity"` // user, role, datavalue …
	EntityID string          `json:"entity_id"`
	OrgPath  string          `json:"org_path,omitempty"` // the unit the record belongs to, for scoped search
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
}

// Schema owns the audit table.
var Schema = store.Schema{Component: "audit", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE audit_log (
	id {{ID}},
	at {{TS}} NOT NULL,
	actor_id BIGINT NOT NULL DEFAULT 0,
	actor_name TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	entity TEXT NOT NULL,
	entity_id TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL DEFAULT '',
	before_json TEXT,
	after_json TEXT);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log (actor_name, at);
CREATE INDEX audit_log_org ON audit_log (org_path, at)`}}}

// Execer is a transaction or a database.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Record writes one entry. before and after are marshalled to JSON; nil
// means "none" (create has no before, delete no after).
func Record(ctx context.Context, tx Execer, a Actor, action, entity, entityID, orgPath string, before, after any) error {
	b, err := marshal(before)
	if err != nil {
		return err
	}
	f, err := marshal(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, ip, action, entity, entity_id, org_path, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		store.Now(), a.UserID, a.Name, a.IP, action, entity, entityID, orgPath, b, f)
	if err != nil {
		return fmt.Errorf("audit: record %s %s %s: %w", action, entity, entityID, err)
	}
	return nil
}

func marshal(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return string(raw), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return string(b), nil
}

// Filter narrows a search. Zero fields match everything.
type Filter struct {
	Actor    string
	Action   string
	Entity   string
	EntityID string
	Text     string    // substring of the before/after record
	From, To time.Time // [From, To)
	// Scopes limits results to entries whose org path lies under one of
	// these paths; entries with no org path are only visible when a scope
	// is the root "/41/". Nil means unrestricted.
	Scopes []string
	Limit  int
	Offset int
}

// Search returns matching entries, newest first, and whether more follow.
func Search(ctx context.Context, db *store.DB, f Filter) ([]Entry, bool, error) {
	var where []string
	var args store.Args
	arg := args.Add
	if f.Actor != "" {
		where = append(where, "actor_name = "+arg(f.Actor))
	}
	if f.Action != "" {
		where = append(where, "action = "+arg(f.Action))
	}
	if f.Entity != "" {
		where = append(where, "entity = "+arg(f.Entity))
	}
	if f.EntityID != "" {
		where = append(where, "entity_id = "+arg(f.EntityID))
	}
	if f.Text != "" {
		p := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Text) + "%"
		a := arg(p)
		where = append(where, "(COALESCE(before_json, '') LIKE "+a+` ESCAPE '\' OR COALESCE(after_json, '') LIKE `+a+` ESCAPE '\' OR entity_id = `+arg(f.Text)+")")
	}
	if !f.From.IsZero() {
		where = append(where, "at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		where = append(where, "at < "+arg(f.To.UTC()))
	}
	if f.Scopes != nil {
		var or []string
		for _, s := range f.Scopes {
			if s == "/41/" {
				or = append(or, "1 = 1")
				continue
			}
			lo, hi := s, s[:len(s)-1]+"0"
			or = append(or, "(org_path >= "+arg(lo)+" AND org_path < "+arg(hi)+")")
		}
		if len(or) == 0 {
			return nil, false, nil
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	q := "SELECT id, at, actor_id, actor_name, ip, action, entity, entity_id, org_path, COALESCE(before_json, ''), COALESCE(after_json, '') FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d OFFSET %d", limit+1, max(0, f.Offset))
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("audit: search: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var b, a string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor.UserID, &e.Actor.Name, &e.Actor.IP, &e.Action, &e.Entity, &e.EntityID, &e.OrgPath, &b, &a); err != nil {
			return nil, false, err
		}
		if b != "" {
			e.Before = json.RawMessage(b)
		}
		if a != "" {
			e.After = json.RawMessage(a)
		}
		out = append(out, e)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, rows.Err()
}

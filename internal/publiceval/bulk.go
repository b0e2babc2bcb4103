package publiceval

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"zhihui/internal/store"
)

// bulkTable is a table the rating path inserts many rows into at once:
// on SQLite with multi-row VALUES statements of a few fixed sizes
// (prepared once each), on PostgreSQL with one INSERT … SELECT FROM
// unnest over an array per column, whatever the number of rows.
type bulkTable struct {
	name string
	cols []string
	// types are the PostgreSQL types of the columns: bigint, integer,
	// text, boolean, timestamptz; "text null" is text whose empty or nil
	// values are stored as NULL.
	types []string

	once sync.Once
	pg   string
	vals map[int]string
}

var (
	bulkRatings = bulkTable{name: "publiceval_rating",
		cols: []string{"id", "target_id", "org_path", "month", "level", "tags", "comment", "case_no", "rater_name", "rater_phone", "channel",
			"ip", "net", "device", "origin", "flags", "excluded", "demo", "created_at"},
		types: []string{"bigint", "bigint", "text", "text", "integer", "text", "text", "text null", "text", "text", "text",
			"text", "text", "text", "text", "text", "boolean", "boolean", "timestamptz"}}
	bulkCases = bulkTable{name: "publiceval_case",
		cols: []string{"id", "rating_id", "org_code", "org_path", "state", "contact_due", "triage", "rectify_due",
			"answer", "satisfaction", "appeal_reason", "appeal_decision", "alerted", "created_at", "updated_at"},
		types: []string{"bigint", "bigint", "text", "text", "text", "timestamptz", "text", "text",
			"text", "text", "text", "text", "text", "timestamptz", "timestamptz"}}
	bulkEvents = bulkTable{name: "publiceval_event",
		cols:  []string{"case_id", "at", "kind", "actor_name", "body", "code"},
		types: []string{"bigint", "timestamptz", "text", "text", "text", "text"}}
)

// bulkChunks are the row counts of SQLite's multi-row statements, largest
// first: a batch is cut into as many of each as fit.
var bulkChunks = []int{64, 8, 1}

func (bt *bulkTable) init() {
	bt.once.Do(func() {
		arrays, sel := make([]string, len(bt.cols)), make([]string, len(bt.cols))
		for i, c := range bt.cols {
			typ := strings.TrimSuffix(bt.types[i], " null")
			arrays[i] = fmt.Sprintf("$%d::%s[]", i+1, typ)
			sel[i] = c
			if typ != bt.types[i] {
				sel[i] = "NULLIF(" + c + ", '')"
			}
		}
		bt.pg = `INSERT INTO ` + bt.name + ` (` + strings.Join(bt.cols, ", ") + `) SELECT ` + strings.Join(sel, ", ") +
			` FROM unnest(` + strings.Join(arrays, ", ") + `) AS x(` + strings.Join(bt.cols, ", ") + `)`
		bt.vals = map[int]string{}
		for _, n := range bulkChunks {
			// anonymous placeholders: SQLite binds numbered ones by walking
			// a list of names, quadratic in a statement of a thousand
			bt.vals[n] = store.Rebind(store.SQLite, `INSERT INTO `+bt.name+` (`+strings.Join(bt.cols, ", ")+`) VALUES `+store.Tuples(1, n, len(bt.cols)))
		}
	})
}

// values is the SQLite statement inserting n rows (n one of bulkChunks).
func (bt *bulkTable) values(n int) string {
	bt.init()
	return bt.vals[n]
}

// insertRows inserts rows (values in the order of bt.cols) into bt in tx.
func (s *Service) insertRows(ctx context.Context, tx *store.Tx, bt *bulkTable, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	bt.init()
	if s.DB.Dialect == store.Postgres {
		args := make([]any, len(bt.cols))
		for i, typ := range bt.types {
			col, err := column(rows, i, strings.TrimSuffix(typ, " null"))
			if err != nil {
				return fmt.Errorf("publiceval: insert into %s: %s: %w", bt.name, bt.cols[i], err)
			}
			args[i] = col
		}
		if _, err := tx.ExecContext(ctx, bt.pg, args...); err != nil {
			return fmt.Errorf("publiceval: insert into %s: %w", bt.name, err)
		}
		return nil
	}
	for len(rows) > 0 {
		n := bulkChunks[len(bulkChunks)-1]
		for _, c := range bulkChunks {
			if c <= len(rows) {
				n = c
				break
			}
		}
		args := make([]any, 0, n*len(bt.cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := s.exec(ctx, tx, bt.vals[n], args...); err != nil {
			return fmt.Errorf("publiceval: insert into %s: %w", bt.name, err)
		}
		rows = rows[n:]
	}
	return nil
}

// column gathers the i-th value of every row into a slice PostgreSQL's
// driver sends as an array of typ.
func column(rows [][]any, i int, typ string) (any, error) {
	switch typ {
	case "bigint", "integer":
		out := make([]int64, len(rows))
		for j, r := range rows {
			switch v := r[i].(type) {
			case int64:
				out[j] = v
			case int:
				out[j] = int64(v)
			default:
				return nil, fmt.Errorf("%T is not an integer", v)
			}
		}
		return out, nil
	case "text":
		out := make([]string, len(rows))
		for j, r := range rows {
			switch v := r[i].(type) {
			case string:
				out[j] = v
			case nil:
			default:
				return nil, fmt.Errorf("%T is not text", v)
			}
		}
		return out, nil
	case "boolean":
		out := make([]bool, len(rows))
		for j, r := range rows {
			v, ok := r[i].(bool)
			if !ok {
				return nil, fmt.Errorf("%T is not a boolean", r[i])
			}
			out[j] = v
		}
		return out, nil
	case "timestamptz":
		out := make([]time.Time, len(rows))
		for j, r := range rows {
			v, ok := r[i].(time.Time)
			if !ok {
				return nil, fmt.Errorf("%T is not a time", r[i])
			}
			out[j] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown column type %s", typ)
}

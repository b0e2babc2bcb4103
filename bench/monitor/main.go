// Command monitor generates data for bench/monitor.sh and measures what
// the script cannot measure from outside: the bulk-insert baseline of an
// import, and analytics latency over a large store against a plain GROUP
// BY on the raw values.
//
//	monitor gen -out FILE                    write 52,378 villages × 20 elements for 201507 (CSV)
//	monitor elements [store flags]           create the 20 monthly elements the file uses
//	monitor baseline -file FILE [store]      parse FILE and store.Copy its rows into a bare table
//	monitor big -villages N -months M [store]  load N×M×4 values with store.Copy, rebuild aggregates, time queries
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: monitor gen|elements|baseline|big …")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "elements":
		err = elements(os.Args[2:])
	case "baseline":
		err = baseline(os.Args[2:])
	case "big":
		err = big(os.Args[2:])
	case "import":
		err = importFile(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "monitor:", err)
		os.Exit(1)
	}
}

const nElements = 20

func elementCode(i int) string { return fmt.Sprintf("BENCH_V%02d", i+1) }

func open(args []string, extra func(fs *flag.FlagSet)) (*app.App, error) {
	var c app.Config
	fs := flag.NewFlagSet("monitor", flag.ExitOnError)
	c.StoreFlags(fs)
	if extra != nil {
		extra(fs)
	}
	fs.Parse(args)
	c.LogLevel = "warn"
	ctx := context.Background()
	a, err := app.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	return a, a.Bootstrap(ctx)
}

func elements(args []string) error {
	a, err := open(args, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	aggs := []string{monitor.Sum, monitor.Average, monitor.Max, monitor.Min, monitor.Last}
	for i := range nElements {
		e := monitor.Element{Code: elementCode(i), Name: fmt.Sprintf("基准数据元%02d", i+1), NameEn: fmt.Sprintf("Benchmark element %d", i+1),
			ValueType: monitor.Number, Aggregation: aggs[i%len(aggs)], PeriodType: "monthly"}
		if _, err := monitor.SaveElement(context.Background(), a.DB, audit.Actor{Name: "bench"}, e); err != nil {
			return err
		}
	}
	return nil
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "", "file")
	fs.Parse(args)
	divs, err := orgunit.Divisions()
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("dataElement,orgUnit,period,value\n")
	n := 0
	for _, u := range divs {
		if u.Level != 5 {
			continue
		}
		for i := range nElements {
			fmt.Fprintf(w, "%s,%s,201507,%d\n", elementCode(i), u.Code, (n*7+i*13)%1000)
		}
		n++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("wrote %d values (%d villages × %d elements)\n", n*nElements, n, nElements)
	return f.Close()
}

// baseline parses the same file and bulk-inserts its rows into a bare
// table shaped like monitor_value, with no validation beyond code lookup,
// no aggregates and no audit: the floor an import cannot beat.
func baseline(args []string) error {
	var file string
	a, err := open(args, func(fs *flag.FlagSet) { fs.StringVar(&file, "file", "", "CSV file") })
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	db := a.DB
	if err := monitor.InternUnits(ctx, db); err != nil {
		return err
	}
	ids, err := idMap(ctx, db, "SELECT code, id FROM monitor_ou")
	if err != nil {
		return err
	}
	els, err := idMap(ctx, db, "SELECT code, id FROM monitor_element")
	if err != nil {
		return err
	}
	db.W.ExecContext(ctx, "DROP TABLE IF EXISTS bench_value")
	if _, err := db.W.ExecContext(ctx, db.Expand(`CREATE TABLE bench_value (element_id BIGINT NOT NULL, pe TEXT {{C}} NOT NULL, ou_id BIGINT NOT NULL,
		value {{REAL}}, updated_at {{TS}} NOT NULL, PRIMARY KEY (element_id, pe, ou_id))`)); err != nil {
		return err
	}
	start := time.Now()
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var n int64
	now := store.Now()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = db.Copy(ctx, tx, "bench_value", []string{"element_id", "pe", "ou_id", "value", "updated_at"}, func(yield func([]any) error) error {
			cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
			cr.ReuseRecord = true
			cr.Read()
			row := make([]any, 5)
			for {
				rec, err := cr.Read()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				v, err := strconv.ParseFloat(rec[3], 64)
				if err != nil {
					return err
				}
				row[0], row[1], row[2], row[3], row[4] = els[rec[0]], rec[2], ids[rec[1]], v, now
				if err := yield(row); err != nil {
					return err
				}
			}
		})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("baseline_seconds=%.3f rows=%d\n", time.Since(start).Seconds(), n)
	_, err = db.W.ExecContext(ctx, "DROP TABLE bench_value")
	return err
}

// importFile is zhihui import with a CPU profile, for finding where an
// import spends its time.
func importFile(args []string) error {
	var file, prof string
	a, err := open(args, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "file", "", "CSV file")
		fs.StringVar(&prof, "cpuprofile", "", "write a CPU profile")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	if prof != "" {
		pf, err := os.Create(prof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	im, err := monitor.ReadImport(ctx, a.DB, file, f, monitor.ImportOptions{})
	if err != nil {
		return err
	}
	read := time.Since(start)
	res, err := im.Commit(ctx, a.DB, audit.Actor{Name: "bench"})
	if err != nil {
		return err
	}
	fmt.Printf("read_seconds=%.3f commit_seconds=%.3f created=%d\n", read.Seconds(), (time.Since(start) - read).Seconds(), res.Created)
	return nil
}

func idMap(ctx context.Context, db *store.DB, q string) (map[string]int64, error) {
	rows, err := db.R.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var c string
		var id int64
		if err := rows.Scan(&c, &id); err != nil {
			return nil, err
		}
		m[c] = id
	}
	return m, rows.Err()
}

// big loads villages × months × 4 elements of raw values with store.Copy,
// builds the aggregates in bulk with monitor.Rebuild, then times the
// dashboard query (one element × 12 months × every county) through
// monitor.Analytics against a plain GROUP BY over the raw values.
func big(args []string) error {
	var villages, months, runs int
	var skipLoad bool
	a, err := open(args, func(fs *flag.FlagSet) {
		fs.IntVar(&villages, "villages", 52378, "villages")
		fs.IntVar(&months, "months", 48, "months, ending 2024-12")
		fs.IntVar(&runs, "runs", 200, "timed queries of each kind")
		fs.BoolVar(&skipLoad, "skip-load", false, "reuse values loaded by an earlier run")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	db := a.DB
	codes := []string{"BIG_A", "BIG_B", "BIG_C", "BIG_D"}
	if !skipLoad {
		for _, c := range codes {
			if _, err := monitor.SaveElement(ctx, db, audit.Actor{Name: "bench"}, monitor.Element{Code: c, Name: c, ValueType: monitor.Number, Aggregation: monitor.Sum, PeriodType: "monthly"}); err != nil {
				return err
			}
		}
		if err := monitor.InternUnits(ctx, db); err != nil {
			return err
		}
		els, err := idMap(ctx, db, "SELECT code, id FROM monitor_element")
		if err != nil {
			return err
		}
		var vids []int64
		rows, err := db.R.QueryContext(ctx, "SELECT id FROM monitor_ou WHERE level = 5 ORDER BY id")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			vids = append(vids, id)
		}
		rows.Close()
		if villages < len(vids) {
			vids = vids[:villages]
		}
		last := period.MustParse("202412")
		start := time.Now()
		var total int64
		for _, c := range codes {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				n, err := db.Copy(ctx, tx, "monitor_value", []string{"element_id", "pe", "ou_id", "value", "comment", "updated_by", "updated_at"}, func(yield func([]any) error) error {
					row := make([]any, 7)
					now := store.Now()
					for m := months - 1; m >= 0; m-- {
						pe := last.Add(-m).ID()
						for i, id := range vids {
							row[0], row[1], row[2], row[3], row[4], row[5], row[6] = els[c], pe, id, float64((i*31+m*7)%1000), "", int64(0), now
							if err := yield(row); err != nil {
								return err
							}
						}
					}
					return nil
				})
				total += n
				return err
			})
			if err != nil {
				return err
			}
			fmt.Printf("loaded %s: %d values so far (%.0fs)\n", c, total, time.Since(start).Seconds())
		}
		fmt.Printf("load_values=%d load_seconds=%.1f\n", total, time.Since(start).Seconds())
		start = time.Now()
		if err := monitor.Rebuild(ctx, db, codes...); err != nil {
			return err
		}
		fmt.Printf("rebuild_seconds=%.1f\n", time.Since(start).Seconds())
		if db.Dialect == store.Postgres {
			db.W.ExecContext(ctx, "ANALYZE monitor_value")
			db.W.ExecContext(ctx, "ANALYZE monitor_agg")
		} else {
			db.W.ExecContext(ctx, "ANALYZE")
		}
	}
	var n int64
	db.R.QueryRowContext(ctx, "SELECT count(*) FROM monitor_value").Scan(&n)
	var cells int64
	db.R.QueryRowContext(ctx, "SELECT count(*) FROM monitor_agg").Scan(&cells)
	fmt.Printf("stored_values=%d aggregate_cells=%d\n", n, cells)

	pes := []string{}
	for m := 1; m <= 12; m++ {
		pes = append(pes, fmt.Sprintf("2024%02d", m))
	}
	q := monitor.Query{DX: []string{"BIG_A"}, PE: pes, OU: []string{"41", "LEVEL-3"}}
	var res *monitor.Result
	ana := timeRuns(runs, func() error {
		var err error
		res, err = monitor.Analytics(ctx, db, q)
		return err
	})
	if ana.err != nil {
		return ana.err
	}
	var elID int64
	db.R.QueryRowContext(ctx, "SELECT id FROM monitor_element WHERE code = 'BIG_A'").Scan(&elID)
	args2 := store.Args{elID}
	ph := store.In(&args2, pes)
	plain := `SELECT substr(o.path, 1, 16), v.pe, sum(v.value) FROM monitor_value v JOIN monitor_ou o ON o.id = v.ou_id
		WHERE v.element_id = $1 AND v.pe IN (` + ph + `) GROUP BY substr(o.path, 1, 16), v.pe`
	var groups int
	base := timeRuns(max(3, runs/20), func() error {
		rows, err := db.R.QueryContext(ctx, plain, args2...)
		if err != nil {
			return err
		}
		groups = 0
		for rows.Next() {
			groups++
		}
		rows.Close()
		return rows.Err()
	})
	if base.err != nil {
		return base.err
	}
	fmt.Printf("analytics rows=%d p50_ms=%.2f p95_ms=%.2f (runs=%d)\n", len(res.Rows), ana.p50, ana.p95, runs)
	fmt.Printf("plain GROUP BY groups=%d p50_ms=%.2f p95_ms=%.2f (runs=%d)\n", groups, base.p50, base.p95, base.n)
	fmt.Printf("ratio group_by_p95/analytics_p95=%.1f\n", base.p95/ana.p95)
	return nil
}

type timing struct {
	p50, p95 float64
	n        int
	err      error
}

func timeRuns(n int, fn func() error) timing {
	if err := fn(); err != nil { // warm up
		return timing{err: err}
	}
	ds := make([]float64, n)
	for i := range n {
		s := time.Now()
		if err := fn(); err != nil {
			return timing{err: err}
		}
		ds[i] = float64(time.Since(s).Microseconds()) / 1000
	}
	sort.Float64s(ds)
	return timing{p50: ds[n/2], p95: ds[min(n-1, n*95/100)], n: n}
}

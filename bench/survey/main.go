// Command survey measures the e-commerce survey at the size of a real
// register for bench/survey.sh, each step against a plain baseline in the
// same run on the same store:
//
//   - import of a register of N enterprises from CSV through
//     ecstat.ImportRegister (parse, credit-code checks, units, duplicates,
//     write enterprises and their birth records, audit) against parsing the
//     same file and bulk-inserting its rows into a bare table;
//
//   - design and draw (stratify, Neyman allocation for a target CV, draw,
//     store design, strata and sample) against a plain GROUP BY of the
//     register by stratum;
//
//   - estimates with standard errors for every county × industry section
//     (and by county, and by section) against a plain GROUP BY of the
//     weighted values over the same respondents.
//
//     survey -n 1000000 [--data DIR | --db DSN]
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/ecstat"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "gen":
		err = gen(os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("usage: survey gen|run …")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "survey:", err)
		os.Exit(1)
	}
}

const year = 2020

// gen writes the register file: N synthetic enterprises over Henan's
// counties (the divisions embedded in the binary, no store needed).
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 1_000_000, "enterprises in the register")
	out := fs.String("out", "", "CSV file to write")
	fs.Parse(args)
	divs, err := orgunit.Divisions()
	if err != nil {
		return err
	}
	if divs, err = orgunit.Build(divs); err != nil {
		return err
	}
	var counties []orgunit.Unit
	for _, u := range divs {
		if u.Kind == orgunit.County {
			counties = append(counties, u)
		}
	}
	if len(counties) == 0 {
		return fmt.Errorf("no county in the embedded divisions")
	}
	reg := ecstat.GenerateRegister(rand.New(rand.NewPCG(1, 2)), counties, *n)
	if err := writeRegister(*out, reg); err != nil {
		return err
	}
	fmt.Printf("register: %d enterprises in %d counties, file %d MB; strata are industry section × city × size\n", *n, len(counties), fileMB(*out))
	return nil
}

func run(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	c.StoreFlags(fs)
	file := fs.String("file", "", "register file written by gen")
	runs := fs.Int("runs", 3, "timed runs of the draw and of the estimates (best is kept)")
	cv := fs.Float64("cv", 0.01, "target CV of the design")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the import, draw and estimates to this file")
	fs.Parse(args)
	c.LogLevel = "warn"
	ctx := context.Background()
	a, err := app.Open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Bootstrap(ctx); err != nil {
		return err
	}
	db := a.DB
	actor := audit.Actor{Name: "bench"}
	root := "/" + orgunit.Root + "/"

	if *prof != "" {
		pf, err := os.Create(*prof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}

	// 1. Import against the bare bulk insert.
	c0 := cpuTime()
	t := time.Now()
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	res, err := ecstat.ImportRegister(ctx, db, actor, *file, f, ecstat.ImportOptions{Year: year, Scopes: []string{root}})
	f.Close()
	if err != nil {
		return err
	}
	imp := time.Since(t)
	impCPU := cpuTime() - c0
	if !res.Written {
		return fmt.Errorf("import not written: %d errors, first %v", res.ErrorCount, res.Errors)
	}
	hwm := peakRSS()
	c0 = cpuTime()
	base, err := baselineImport(ctx, db, *file)
	if err != nil {
		return err
	}
	baseCPU := cpuTime() - c0
	fmt.Printf("import:    %6.2f s, CPU %.2f s  (%d births; process peak RSS %d MB)   baseline bare bulk insert %6.2f s, CPU %.2f s   ratio %s\n",
		imp.Seconds(), impCPU.Seconds(), res.Births, hwm, base.Seconds(), baseCPU.Seconds(), timing{imp, impCPU}.ratio(timing{base, baseCPU}))

	// 2. Design and draw against a GROUP BY by stratum.
	id, err := ecstat.CreateSurvey(ctx, db, actor, ecstat.NewSurvey{Name: "基准调查", Period: strconv.Itoa(year)})
	if err != nil {
		return err
	}
	s, err := ecstat.GetSurvey(ctx, db, id)
	if err != nil {
		return err
	}
	var d *ecstat.Design
	draw := best(*runs, func() error {
		d, err = ecstat.Draw(ctx, db, actor, s, ecstat.DesignSpec{Method: ecstat.Neyman, CV: *cv, Seed: 2020})
		return err
	})
	if err != nil {
		return err
	}
	var groups int
	drawBase := best(*runs, func() error {
		groups, err = count(ctx, db, `SELECT section, city_code, size, above_scale, COUNT(*), SUM(revenue), SUM(revenue * revenue) FROM ecstat_enterprise
			WHERE born_year <= $1 AND (closed_year = 0 OR closed_year > $1) GROUP BY section, city_code, size, above_scale`, year)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("draw:      %s  (frame %d, %d strata, sample %d of which %d certainty, predicted CV %.2f %%)   baseline GROUP BY by stratum %s (%d groups)   ratio %s\n",
		draw, d.FrameSize, len(d.Strata), d.SampleSize, d.Certainty, d.PredictedCVPercent(), drawBase, groups, draw.ratio(drawBase))

	// Responses of 90 % of the sample (not timed).
	t = time.Now()
	resp, err := respond(ctx, db, s)
	if err != nil {
		return err
	}
	fmt.Printf("responses: %d enterprises answered (written in %.1f s, not part of the figures)\n", resp, time.Since(t).Seconds())

	// 3. Estimates against the GROUP BY of the weighted values.
	var csBase timing
	for _, by := range []string{ecstat.ByCountySection, ecstat.ByCounty, ecstat.BySection} {
		var r *ecstat.Results
		est := best(*runs, func() error {
			r, err = ecstat.Estimate(ctx, db, s, "ECOM_TURNOVER", by, ecstat.Ratio)
			return err
		})
		if err != nil {
			return err
		}
		cols := map[string]string{ecstat.ByCountySection: "e.org_code, e.section", ecstat.ByCounty: "e.org_code", ecstat.BySection: "e.section"}[by]
		var cells int
		estBase := best(*runs, func() error {
			cells, err = count(ctx, db, `SELECT `+cols+`, SUM(s.weight * r.amount) FROM ecstat_response r
				JOIN ecstat_sample s ON s.survey_id = r.survey_id AND s.enterprise_id = r.enterprise_id
				JOIN ecstat_enterprise e ON e.id = r.enterprise_id
				WHERE r.survey_id = $1 AND r.item IN ('ECOM_SALES', 'ECOM_PURCHASES') GROUP BY `+cols, s.ID)
			return err
		})
		if err != nil {
			return err
		}
		sup := 0
		for _, c := range r.Cells {
			if c.Mark == "suppressed" {
				sup++
			}
		}
		if by == ecstat.ByCountySection {
			csBase = estBase
		}
		fmt.Printf("estimate %-14s %s  (%d cells, %d suppressed, %d respondents; province %.0f 亿元, CV %.2f %%)   baseline GROUP BY of weighted values %s (%d groups)   ratio %s\n",
			by+":", est, len(r.Cells), sup, r.Respondents, r.Province.Total, r.Province.CVPercent(), estBase, cells, est.ratio(estBase))
	}
	// Every breakdown at once (province, 18 cities, 181 counties, the
	// sections and county × section) from one read of the respondents,
	// against the county × section GROUP BY above.
	var all map[string]*ecstat.Results
	estAll := best(*runs, func() error {
		all, err = ecstat.Estimates(ctx, db, s, "ECOM_TURNOVER", ecstat.Ratio)
		return err
	})
	if err != nil {
		return err
	}
	cells := 0
	for _, r := range all {
		cells += len(r.Cells)
	}
	fmt.Printf("estimate all breakdowns: %s  (province + %d cities + %d counties + %d sections + %d county × section = %d cells)   baseline county × section GROUP BY %s   ratio %s\n",
		estAll, len(all[ecstat.ByCity].Cells), len(all[ecstat.ByCounty].Cells), len(all[ecstat.BySection].Cells), len(all[ecstat.ByCountySection].Cells), cells+1,
		csBase, estAll.ratio(csBase))
	fmt.Printf("load: %s\n", loadavg())
	return nil
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timing is the wall-clock and CPU time of a run.
type timing struct{ wall, cpu time.Duration }

func (t timing) String() string {
	return fmt.Sprintf("%.3f s (CPU %.3f s)", t.wall.Seconds(), t.cpu.Seconds())
}

// ratio is t against the baseline b, wall and process CPU (the CPU
// ratio only when the baseline spent some in the process: a query that
// PostgreSQL answers spends its CPU in the server, not counted here).
func (t timing) ratio(b timing) string {
	if b.cpu < 50*time.Millisecond {
		return fmt.Sprintf("%.2f", t.wall.Seconds()/b.wall.Seconds())
	}
	return fmt.Sprintf("%.2f (CPU %.2f)", t.wall.Seconds()/b.wall.Seconds(), t.cpu.Seconds()/b.cpu.Seconds())
}

// best runs fn runs times and returns the fastest run's times.
func best(runs int, fn func() error) timing {
	var b timing
	for i := 0; i < runs; i++ {
		c := cpuTime()
		t := time.Now()
		if err := fn(); err != nil {
			return timing{}
		}
		if d := time.Since(t); i == 0 || d < b.wall {
			b = timing{d, cpuTime() - c}
		}
	}
	return b
}

func count(ctx context.Context, db *store.DB, q string, args ...any) (int, error) {
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	cols, _ := rows.Columns()
	dst := make([]any, len(cols))
	for i := range dst {
		dst[i] = new(any)
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

func writeRegister(name string, reg []ecstat.Enterprise) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("credit_code,name,industry,org_code,size,above_scale,employees,revenue\n")
	for _, e := range reg {
		above := "否"
		if e.AboveScale {
			above = "是"
		}
		fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%d,%s\n", e.CreditCode, e.Name, e.Industry, e.OrgCode, e.Size, above, e.Employees, e.Revenue)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// baselineImport parses the file and bulk-inserts its rows into a bare
// table shaped like the register, with no checks, history or audit.
func baselineImport(ctx context.Context, db *store.DB, file string) (time.Duration, error) {
	db.W.ExecContext(ctx, "DROP TABLE IF EXISTS bench_enterprise")
	if _, err := db.W.ExecContext(ctx, db.Expand(`CREATE TABLE bench_enterprise (id {{ID}}, credit_code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
		industry TEXT NOT NULL, org_code TEXT NOT NULL, size TEXT NOT NULL, above_scale INTEGER NOT NULL, employees BIGINT NOT NULL, revenue BIGINT NOT NULL)`)); err != nil {
		return 0, err
	}
	t := time.Now()
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Copy(ctx, "bench_enterprise", []string{"credit_code", "name", "industry", "org_code", "size", "above_scale", "employees", "revenue"},
			func(yield func([]any) error) error {
				cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
				cr.ReuseRecord = true
				cr.Read()
				row := make([]any, 8)
				for {
					rec, err := cr.Read()
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return err
					}
					emp, _ := strconv.ParseInt(rec[6], 10, 64)
					rev, _ := ecstat.ParseAmount(rec[7])
					row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = rec[0], rec[1], rec[2], rec[3], rec[4], boolInt(rec[5] == "是"), emp, int64(rev)
					if err := yield(row); err != nil {
						return err
					}
				}
			})
		return err
	})
	el := time.Since(t)
	if err != nil {
		return 0, err
	}
	_, err = db.W.ExecContext(ctx, "DROP TABLE bench_enterprise")
	return el, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// respond stores answers for 90 % of the sample as the demo does.
func respond(ctx context.Context, db *store.DB, s *ecstat.Survey) (int, error) {
	sample, err := ecstat.Sample(ctx, db, s.ID, []string{"/" + orgunit.Root + "/"}, 0)
	if err != nil {
		return 0, err
	}
	sort.Slice(sample, func(i, j int) bool { return sample[i].ID < sample[j].ID })
	return ecstat.StoreDemoAnswers(ctx, db, s, sample, -1, rand.New(rand.NewPCG(7, 8)))
}

func fileMB(name string) int64 {
	st, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return st.Size() >> 20
}

// peakRSS is the process's peak resident set in MB (Linux).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			k, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return k >> 10
		}
	}
	return 0
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

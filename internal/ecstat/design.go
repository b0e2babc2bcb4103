package ecstat

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/ecstat/survey"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Allocation methods.
const (
	Proportional = "proportional"
	Neyman       = "neyman"
)

// MinPerStratum is the smallest sample of a take-some stratum (two, so
// that its variance can be estimated), or the whole stratum when smaller.
const MinPerStratum = 2

// DesignSpec is what the office asks for: the allocation method, and
// either the sample size of the take-some strata (N) or a target
// coefficient of variation (CV, Neyman only) predicted for the register's
// revenue total, the auxiliary that stands in for the survey items; and
// the seed the draw starts from.
type DesignSpec struct {
	Method string  `json:"method"`
	N      int     `json:"n"`
	CV     float64 `json:"cv_target"`
	Seed   uint64  `json:"seed"`
	// Keep is the share (0–1) of each take-some stratum's sample taken
	// from the previous survey's sample (sample rotation): that many of
	// the stratum's enterprises sampled last time, still active and in the
	// same stratum, are kept (chosen from the seed), the rest of the
	// stratum's sample is drawn afresh from the enterprises not sampled
	// last time. 0 draws every stratum afresh.
	Keep float64 `json:"keep,omitempty"`
	// RotateFrom is the previous survey (0: the previous drawn survey of
	// the same frequency, see [PreviousDrawn]: the latest earlier quarter
	// for a quarterly survey, the latest earlier year for an annual one).
	RotateFrom int64 `json:"rotate_from,omitempty"`
}

// Stratum is one stratum of a stored design.
type Stratum struct {
	H         int     `json:"h"`
	Key       string  `json:"key"`
	Section   string  `json:"section"`
	City      string  `json:"city"`
	Size      string  `json:"size"`
	Certainty bool    `json:"certainty"`
	Pop       int     `json:"population"`
	N         int     `json:"n"`
	SDAux     float64 `json:"sd_revenue"`
}

// Design is a survey's stored design and draw.
type Design struct {
	DesignSpec
	FrameSize  int       `json:"frame_size"`
	SampleSize int       `json:"sample_size"`
	DrawnAt    time.Time `json:"drawn_at"`
	DrawnBy    string    `json:"drawn_by"`
	Strata     []Stratum `json:"strata"`
	// PredictedCV is the coefficient of variation the allocation predicts
	// for the revenue total.
	PredictedCV float64 `json:"predicted_cv"`
	Certainty   int     `json:"certainty_units"`
	// Kept is the number of take-some enterprises kept from the previous
	// survey's sample (rotation); Rotated the number drawn afresh.
	Kept    int `json:"kept"`
	Rotated int `json:"rotated"`
}

// KeepPercent is the kept share in percent.
func (d *Design) KeepPercent() float64 { return 100 * d.Keep }

// PredictedCVPercent is the predicted CV in percent.
func (d *Design) PredictedCVPercent() float64 { return 100 * d.PredictedCV }

// Selected is one enterprise of the sample.
type Selected struct {
	Enterprise
	Stratum   string  `json:"stratum"`
	Weight    float64 `json:"weight"`
	Certainty bool    `json:"certainty"`
}

// frameTotal is the frame's count and revenue of one county × section,
// stored with the draw for the ratio estimator.
type frameTotal struct {
	county, city, section string
	units                 int64
	revenue               int64
}

// stratify works out the strata (industry section × city × size class,
// above-threshold enterprises in certainty strata of their own, taken
// whole), with their populations and standard deviations of revenue, and
// the frame totals by county × section, from the register summary's
// cells of the enterprises active in the survey year.
func stratify(cs cells) ([]Stratum, []*stratumStats, []frameTotal, error) {
	type group struct {
		s  Stratum
		st stratumStats
	}
	by := map[string]*group{}
	type tkey struct{ county, section string }
	tot := map[tkey]*frameTotal{}
	revs := map[tkey]*big.Int{}
	for k, c := range cs {
		if c.units == 0 {
			continue
		}
		key := k.section + "|" + c.city + "|" + k.size
		if k.above {
			key += "|C"
		}
		g := by[key]
		if g == nil {
			g = &group{s: Stratum{Key: key, Section: k.section, City: c.city, Size: k.size, Certainty: k.above}}
			by[key] = g
		}
		g.st.pop += c.units
		g.st.revenue.Add(&g.st.revenue, &c.revenue)
		g.st.sq.Add(&g.st.sq, &c.sq)
		tk := tkey{k.county, k.section}
		t := tot[tk]
		if t == nil {
			t = &frameTotal{county: k.county, city: c.city, section: k.section}
			tot[tk] = t
			revs[tk] = new(big.Int)
		}
		t.units += c.units
		revs[tk].Add(revs[tk], &c.revenue)
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	strata := make([]Stratum, 0, len(keys))
	stats := make([]*stratumStats, 0, len(keys))
	for _, k := range keys {
		g := by[k]
		g.s.H = len(strata)
		g.s.Pop = int(g.st.pop)
		g.s.SDAux = g.st.sd()
		strata = append(strata, g.s)
		stats = append(stats, &g.st)
	}
	totals := make([]frameTotal, 0, len(tot))
	for tk, t := range tot {
		if !revs[tk].IsInt64() {
			return nil, nil, nil, fmt.Errorf("ecstat: the revenue of %s × %s overflows", t.county, t.section)
		}
		t.revenue = revs[tk].Int64()
		totals = append(totals, *t)
	}
	slices.SortFunc(totals, func(a, b frameTotal) int {
		return cmp.Or(cmp.Compare(a.county, b.county), cmp.Compare(a.section, b.section))
	})
	return strata, stats, totals, nil
}

// allocate sets the sample size of every take-some stratum (certainty
// strata are taken whole) and returns the coefficient of variation the
// allocation predicts for the revenue total.
func allocate(strata []Stratum, stats []*stratumStats, spec DesignSpec) float64 {
	var N []int
	var S []float64
	var takeSome []int
	var sum big.Int
	for h := range strata {
		st := &strata[h]
		if st.Certainty {
			st.N = st.Pop
			continue
		}
		takeSome = append(takeSome, h)
		N = append(N, st.Pop)
		S = append(S, st.SDAux)
		sum.Add(&sum, &stats[h].revenue)
	}
	total := (&stratumStats{revenue: sum}).revenueFloat()
	var alloc []int
	switch {
	case len(takeSome) == 0:
	case spec.Method == Neyman && spec.CV > 0:
		alloc = survey.NeymanForCV(N, S, total, spec.CV, MinPerStratum)
	case spec.Method == Neyman:
		alloc = survey.Neyman(N, S, spec.N, MinPerStratum)
	default:
		alloc = survey.Proportional(N, spec.N, MinPerStratum)
	}
	for i, h := range takeSome {
		strata[h].N = alloc[i]
	}
	if total > 0 && len(takeSome) > 0 {
		return math.Sqrt(survey.Variance(N, S, alloc)) / total
	}
	return 0
}

// frameSplit is the smallest id range [takeSomeIDs] reads in two parts.
var frameSplit int64 = 100_000

// takeSomeIDs reads the ids of the enterprises of the take-some strata
// (below the threshold, active in year), each stratum's in ascending
// order: ids[h] for stratum h (nil for certainty strata). Only the ids
// and the three stratum columns are read. On SQLite, where a connection
// reads at the speed of one core, the two halves of the register's id
// range are read at once on two connections (the caller keeps the
// register from changing meanwhile, see [Draw]).
func takeSomeIDs(ctx context.Context, db *store.DB, year int, strata []Stratum) ([][]int64, error) {
	index := map[string]int{}
	for h, st := range strata {
		if !st.Certainty {
			index[st.Key] = h
		}
	}
	var lo, hi int64
	// Two subqueries: SQLite reads a lone MIN or MAX off the key, both in
	// one SELECT by a scan of the table.
	if err := db.R.QueryRowContext(ctx, `SELECT COALESCE((SELECT MIN(id) FROM ecstat_enterprise), 0), COALESCE((SELECT MAX(id) FROM ecstat_enterprise), -1)`).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("ecstat: frame: %w", err)
	}
	parts := 1
	if db.Dialect == store.SQLite && hi-lo >= frameSplit {
		parts = 2
	}
	res := make([][][]int64, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	step := (hi - lo + 1 + int64(parts) - 1) / int64(parts)
	for p := range parts {
		from, to := lo+int64(p)*step, min(hi, lo+int64(p+1)*step-1)
		lists := make([][]int64, len(strata))
		for h, st := range strata {
			if !st.Certainty {
				lists[h] = make([]int64, 0, st.Pop/parts+16)
			}
		}
		res[p] = lists
		wg.Go(func() {
			errs[p] = scanTakeSome(ctx, db, year, from, to, index, lists)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := res[0]
	for _, lists := range res[1:] {
		for h := range lists {
			out[h] = append(out[h], lists[h]...)
		}
	}
	for h := range out {
		// A table scan gives each stratum's ids in order on SQLite already.
		if !slices.IsSorted(out[h]) {
			slices.Sort(out[h])
		}
	}
	return out, nil
}

// scanTakeSome appends the ids from..to of the take-some enterprises
// active in year to their stratum's list.
func scanTakeSome(ctx context.Context, db *store.DB, year int, from, to int64, index map[string]int, lists [][]int64) error {
	rows, err := db.R.QueryContext(ctx, `SELECT id, section, city_code, size FROM ecstat_enterprise
		WHERE id BETWEEN $2 AND $3 AND above_scale = 0 AND born_year <= $1 AND (closed_year = 0 OR closed_year > $1)`, year, from, to)
	if err != nil {
		return fmt.Errorf("ecstat: frame: %w", err)
	}
	defer rows.Close()
	var sec, city, size sql.RawBytes
	key := make([]byte, 0, 64)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &sec, &city, &size); err != nil {
			return err
		}
		key = append(append(append(append(append(key[:0], sec...), '|'), city...), '|'), size...)
		h, ok := index[string(key)]
		if !ok {
			return errSummaryOutOfStep
		}
		lists[h] = append(lists[h], id)
	}
	return rows.Err()
}

func checkSpec(spec *DesignSpec) error {
	if spec.Method == "" {
		spec.Method = Neyman
	}
	if spec.Method != Proportional && spec.Method != Neyman {
		return i18n.Errorf("分配方法应为 比例分配 或 奈曼分配", "the allocation must be proportional or neyman").OnField("method")
	}
	if spec.CV < 0 || spec.CV >= 1 || math.IsNaN(spec.CV) {
		return i18n.Errorf("目标变异系数应在 0 和 1 之间（如 0.05）", "the target CV must be between 0 and 1 (e.g. 0.05)").OnField("cv_target")
	}
	if spec.CV > 0 && spec.Method != Neyman {
		return i18n.Errorf("按目标变异系数确定样本量须用奈曼分配", "a target CV needs the Neyman allocation").OnField("method")
	}
	if spec.CV == 0 && spec.N <= 0 {
		return i18n.Errorf("请填写样本量或目标变异系数", "give a sample size or a target CV").OnField("n")
	}
	if spec.Keep < 0 || spec.Keep > 1 || math.IsNaN(spec.Keep) {
		return i18n.Errorf("保留上期样本的比例应在 0 和 1 之间（如 0.5）", "the share of last period's sample kept must be between 0 and 1 (e.g. 0.5)").OnField("keep")
	}
	if spec.N < 0 || spec.N > 10_000_000 {
		return i18n.Errorf("样本量 %d 无效", "the sample size %d is not valid", spec.N).OnField("n")
	}
	return nil
}

// ErrAnswered refuses a new draw once enterprises have answered.
var ErrAnswered = i18n.Errorf("已有企业报送本次调查，不能重新抽样", "enterprises have already answered this survey; it cannot be drawn again")

// Draw stratifies the register for survey s's year, allocates and draws
// the sample from spec.Seed, and stores the design, its strata and the
// sample (replacing an earlier draw while nobody has answered), audited.
// The same register, spec and seed always draw the same sample.
func Draw(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, spec DesignSpec) (*Design, error) {
	if err := checkSpec(&spec); err != nil {
		return nil, err
	}
	// One transaction from the frame to the stored sample: nothing
	// changes the register while it is read (a register import takes the
	// same lock; on SQLite no other write commits while this one is open),
	// so the frame read in parts is one state of the register.
	var d *Design
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		var answered int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_return WHERE survey_id = $1`, s.ID).Scan(&answered); err != nil {
			return err
		}
		if answered > 0 {
			return ErrAnswered
		}
		// The strata and the frame totals come from the register summary
		// (see regsum.go), not from the register's rows.
		if err := ensureCells(ctx, tx); err != nil {
			return err
		}
		cs, err := readCells(ctx, tx, s.Year)
		if err != nil {
			return err
		}
		strata, stats, totals, err := stratify(cs)
		if err != nil {
			return err
		}
		if len(strata) == 0 {
			return i18n.Errorf("名录库中没有 %d 年在营的企业，请先导入名录", "the register has no enterprise active in %d; import the register first", s.Year)
		}
		cv := allocate(strata, stats, spec)
		frameSize := 0
		for _, st := range strata {
			frameSize += st.Pop
		}
		d = &Design{DesignSpec: spec, FrameSize: frameSize, Strata: strata, PredictedCV: cv, DrawnAt: store.Now(), DrawnBy: a.Name}
		// The take-some strata's ids are read on other connections while
		// this one writes the design and the certainty strata.
		type idsResult struct {
			ids [][]int64
			err error
		}
		idsc := make(chan idsResult, 1)
		go func() {
			ids, err := takeSomeIDs(ctx, db, s.Year, strata)
			idsc <- idsResult{ids, err}
		}()
		var ids [][]int64
		var idsErr error
		waited := false
		wait := func() error {
			if !waited {
				r := <-idsc
				ids, idsErr, waited = r.ids, r.err, true
			}
			return idsErr
		}
		defer wait()            // the reads end before the transaction does
		var prev map[int64]bool // last period's sample, when rotating
		if spec.Keep > 0 {
			from, ids, err := previousSample(ctx, db, s, spec.RotateFrom)
			if err != nil {
				return err
			}
			d.RotateFrom, prev = from, ids
		}
		for _, q := range []string{`DELETE FROM ecstat_sample WHERE survey_id = $1`, `DELETE FROM ecstat_stratum WHERE survey_id = $1`,
			`DELETE FROM ecstat_frame_total WHERE survey_id = $1`, `DELETE FROM ecstat_design WHERE survey_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, s.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Copy(ctx, "ecstat_stratum", []string{"survey_id", "h", "skey", "section", "city_code", "size", "certainty", "pop", "n", "sd_aux"},
			func(yield func([]any) error) error {
				for _, st := range strata {
					if err := yield([]any{s.ID, st.H, st.Key, st.Section, st.City, st.Size, b2i(st.Certainty), st.Pop, st.N, st.SDAux}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
			return fmt.Errorf("ecstat: store strata: %w", err)
		}
		if _, err := tx.Copy(ctx, "ecstat_frame_total", []string{"survey_id", "org_code", "city_code", "section", "units", "revenue"},
			func(yield func([]any) error) error {
				for _, t := range totals {
					if err := yield([]any{s.ID, t.county, t.city, t.section, t.units, t.revenue}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
			return fmt.Errorf("ecstat: store frame totals: %w", err)
		}
		// The certainty strata are taken whole: their enterprises go from
		// the register into the sample within the database, each with its
		// domains and revenue in the frame it was drawn from (the
		// estimates read them from here, with the frame's totals, without
		// going back to the register).
		for _, st := range strata {
			if st.Certainty {
				d.Certainty += st.N
			}
		}
		if tx.Dialect == store.Postgres {
			// Right after a bulk import the planner's statistics may still
			// count the register in tens of rows, and it then joins every
			// certainty firm to every stratum in turn: the strata are
			// hashed instead.
			if _, err := tx.ExecContext(ctx, `SET LOCAL enable_nestloop = off`); err != nil {
				return err
			}
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO ecstat_sample (survey_id, enterprise_id, h, weight, section, org_code, city_code, revenue)
			SELECT CAST($1 AS BIGINT), e.id, st.h, 1.0, e.section, e.org_code, e.city_code, e.revenue FROM ecstat_enterprise e
			JOIN ecstat_stratum st ON st.survey_id = $1 AND st.skey = e.section || '|' || e.city_code || '|' || e.size || '|C'
			WHERE e.above_scale = 1 AND e.born_year <= $2 AND (e.closed_year = 0 OR e.closed_year > $2)`, s.ID, s.Year)
		if err != nil {
			return fmt.Errorf("ecstat: store sample: %w", err)
		}
		if tx.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SET LOCAL enable_nestloop = on`); err != nil {
				return err
			}
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n != int64(d.Certainty) {
			return errSummaryOutOfStep
		}
		// The take-some strata: each one's n from its ids in ascending
		// order, by the seed and the stratum's key.
		if err := wait(); err != nil {
			return err
		}
		type pick struct {
			id int64
			h  int
			w  float64
		}
		var picks []pick
		for h, st := range strata {
			if st.Certainty {
				continue
			}
			if len(ids[h]) != st.Pop {
				return errSummaryOutOfStep
			}
			w := 1.0
			if st.N > 0 {
				w = float64(st.Pop) / float64(st.N)
			}
			if prev == nil {
				for _, id := range survey.DrawSorted(ids[h], st.N, spec.Seed, st.Key) {
					picks = append(picks, pick{id, h, w})
				}
				continue
			}
			kept, fresh := rotate(ids[h], prev, st.N, spec.Keep, spec.Seed, st.Key)
			for _, id := range kept {
				picks = append(picks, pick{id, h, w})
			}
			for _, id := range fresh {
				picks = append(picks, pick{id, h, w})
			}
			d.Kept += len(kept)
			d.Rotated += len(fresh)
		}
		d.SampleSize = d.Certainty + len(picks)
		slices.SortFunc(picks, func(a, b pick) int { return cmp.Compare(a.id, b.id) })
		// Their domains and revenue, a few hundred ids at a time.
		type unit struct {
			section, county, city string
			revenue               int64
		}
		units := make(map[int64]unit, len(picks))
		for i := 0; i < len(picks); i += 500 {
			var args store.Args
			var in []string
			for _, p := range picks[i:min(len(picks), i+500)] {
				in = append(in, args.Add(p.id))
			}
			rows, err := tx.QueryContext(ctx, `SELECT id, section, org_code, city_code, revenue FROM ecstat_enterprise WHERE id IN (`+strings.Join(in, ", ")+`)`, args...)
			if err != nil {
				return fmt.Errorf("ecstat: sample: %w", err)
			}
			for rows.Next() {
				var id int64
				var u unit
				if err := rows.Scan(&id, &u.section, &u.county, &u.city, &u.revenue); err != nil {
					rows.Close()
					return err
				}
				units[id] = u
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if _, err := tx.Copy(ctx, "ecstat_sample", []string{"survey_id", "enterprise_id", "h", "weight", "section", "org_code", "city_code", "revenue"},
			func(yield func([]any) error) error {
				row := make([]any, 8)
				for _, p := range picks {
					u, ok := units[p.id]
					if !ok {
						return fmt.Errorf("ecstat: drawn enterprise %d is not in the register", p.id)
					}
					row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = s.ID, p.id, p.h, p.w, u.section, u.county, u.city, u.revenue
					if err := yield(row); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
			return fmt.Errorf("ecstat: store sample: %w", err)
		}
		// The design last: its size is known once the sample is drawn.
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_design (survey_id, method, n_target, cv_target, seed, frame_size, sample_size, drawn_at, drawn_by,
			keep_share, rotate_from, kept, rotated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, s.ID, spec.Method, spec.N, strconv.FormatFloat(spec.CV, 'g', -1, 64), int64(spec.Seed),
			d.FrameSize, d.SampleSize, d.DrawnAt, a.Name, strconv.FormatFloat(spec.Keep, 'g', -1, 64), d.RotateFrom, d.Kept, d.Rotated); err != nil {
			return fmt.Errorf("ecstat: store design: %w", err)
		}
		return audit.Record(ctx, tx, a, "draw", "ecstat_survey", strconv.FormatInt(s.ID, 10), "/41/", nil, map[string]any{
			"method": spec.Method, "n": spec.N, "cv_target": spec.CV, "seed": spec.Seed, "frame": d.FrameSize, "sample": d.SampleSize,
			"strata": len(strata), "certainty": d.Certainty, "predicted_cv": cv, "keep": spec.Keep, "rotate_from": d.RotateFrom, "kept": d.Kept, "rotated": d.Rotated})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// GetDesign returns survey id's stored design with its strata, or
// store.ErrNotFound when it has not been drawn.
func GetDesign(ctx context.Context, db *store.DB, id int64) (*Design, error) {
	d := &Design{}
	var cv, keep string
	var seed int64
	err := db.R.QueryRowContext(ctx, `SELECT method, n_target, cv_target, seed, frame_size, sample_size, drawn_at, drawn_by, keep_share, rotate_from, kept, rotated
		FROM ecstat_design WHERE survey_id = $1`, id).
		Scan(&d.Method, &d.N, &cv, &seed, &d.FrameSize, &d.SampleSize, &d.DrawnAt, &d.DrawnBy, &keep, &d.RotateFrom, &d.Kept, &d.Rotated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ecstat: design of survey %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	d.Seed = uint64(seed)
	d.CV, _ = strconv.ParseFloat(cv, 64)
	d.Keep, _ = strconv.ParseFloat(keep, 64)
	rows, err := db.R.QueryContext(ctx, `SELECT h, skey, section, city_code, size, certainty, pop, n, sd_aux FROM ecstat_stratum WHERE survey_id = $1 ORDER BY h`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var N []int
	var S []float64
	var n []int
	var total float64
	for rows.Next() {
		var st Stratum
		var c int
		if err := rows.Scan(&st.H, &st.Key, &st.Section, &st.City, &st.Size, &c, &st.Pop, &st.N, &st.SDAux); err != nil {
			return nil, err
		}
		st.Certainty = c == 1
		if st.Certainty {
			d.Certainty += st.N
		} else {
			N, S, n = append(N, st.Pop), append(S, st.SDAux), append(n, st.N)
		}
		d.Strata = append(d.Strata, st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The predicted CV needs the take-some revenue total; the sample's
	// expansion of it is close enough for display.
	var ts sql.NullFloat64
	if err := db.R.QueryRowContext(ctx, `SELECT SUM(e.revenue * s.weight) FROM ecstat_enterprise e JOIN ecstat_sample s ON s.enterprise_id = e.id
		JOIN ecstat_stratum st ON st.survey_id = s.survey_id AND st.h = s.h WHERE s.survey_id = $1 AND st.certainty = 0`, id).Scan(&ts); err != nil {
		return nil, err
	}
	total = ts.Float64 / 100
	if total > 0 {
		d.PredictedCV = math.Sqrt(survey.Variance(N, S, n)) / total
	}
	return d, nil
}

// Sample lists survey id's selected enterprises within scopes, by credit
// code, at most limit (0: all).
func Sample(ctx context.Context, db *store.DB, id int64, scopes []string, limit int) ([]Selected, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+prefixed("e.")+`, st.skey, s.weight, st.certainty FROM ecstat_sample s
		JOIN ecstat_enterprise e ON e.id = s.enterprise_id JOIN ecstat_stratum st ON st.survey_id = s.survey_id AND st.h = s.h
		WHERE s.survey_id = $1 ORDER BY e.credit_code`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: sample: %w", err)
	}
	defer rows.Close()
	var out []Selected
	for rows.Next() {
		var sel Selected
		var above, rev int64
		var c int
		if err := rows.Scan(&sel.ID, &sel.CreditCode, &sel.Name, &sel.Industry, &sel.Section, &sel.OrgCode, &sel.OrgPath, &sel.CityCode, &sel.Size, &above,
			&sel.Employees, &rev, &sel.BornYear, &sel.ClosedYear, &sel.Stratum, &sel.Weight, &c); err != nil {
			return nil, err
		}
		sel.AboveScale, sel.Revenue, sel.Certainty = above == 1, Amount(rev), c == 1
		if !inScopes(sel.OrgPath, scopes) {
			continue
		}
		out = append(out, sel)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, rows.Err()
}

// Progress counts a survey's sample and returns within scopes.
type Progress struct {
	Sampled, Returned int
}

// Rate is the response rate in percent.
func (p Progress) Rate() float64 {
	if p.Sampled == 0 {
		return 0
	}
	return 100 * float64(p.Returned) / float64(p.Sampled)
}

// SurveyProgress counts survey id's sample and returns within scopes.
func SurveyProgress(ctx context.Context, db *store.DB, id int64, scopes []string) (Progress, error) {
	var p Progress
	for _, sc := range scopes {
		var a, b int
		err := db.R.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(r.enterprise_id) FROM ecstat_sample s JOIN ecstat_enterprise e ON e.id = s.enterprise_id
			LEFT JOIN ecstat_return r ON r.survey_id = s.survey_id AND r.enterprise_id = s.enterprise_id WHERE s.survey_id = $1 AND e.org_path LIKE $2`, id, sc+"%").Scan(&a, &b)
		if err != nil {
			return p, err
		}
		p.Sampled += a
		p.Returned += b
	}
	return p, nil
}

// Nonrespondents lists the sampled enterprises of survey id within scopes
// that have not returned their form, by unit and credit code.
func Nonrespondents(ctx context.Context, db *store.DB, id int64, scopes []string) ([]Selected, error) {
	all, err := Sample(ctx, db, id, scopes, 0)
	if err != nil {
		return nil, err
	}
	done := map[int64]bool{}
	rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id FROM ecstat_return WHERE survey_id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		done[e] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Selected
	for _, s := range all {
		if !done[s.ID] {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].OrgPath < out[j].OrgPath })
	return out, nil
}

// PreviousDrawn returns the survey whose sample survey s's sample
// rotates from by default: the latest drawn survey of the same frequency
// with an earlier period — for a quarterly survey the latest earlier
// quarter (2021Q2 rotates from 2021Q1, 2021Q1 from 2020Q4), for an annual
// one the latest earlier year; never an annual survey for a quarterly one
// or the other way round. ok is false when there is none.
func PreviousDrawn(ctx context.Context, db *store.DB, s *Survey) (id int64, ok bool, err error) {
	q := `SELECT v.id FROM ecstat_survey v JOIN ecstat_design d ON d.survey_id = v.id
		WHERE v.id <> $1 AND v.quarter = 0 AND v.year < $2 ORDER BY v.year DESC, v.id DESC LIMIT 1`
	key := s.Year
	if s.Quarter > 0 {
		q = `SELECT v.id FROM ecstat_survey v JOIN ecstat_design d ON d.survey_id = v.id
		WHERE v.id <> $1 AND v.quarter > 0 AND v.year * 4 + v.quarter < $2 ORDER BY v.year DESC, v.quarter DESC, v.id DESC LIMIT 1`
		key = s.Year*4 + s.Quarter
	}
	err = db.R.QueryRowContext(ctx, q, s.ID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ecstat: previous drawn survey: %w", err)
	}
	return id, true, nil
}

// previousSample returns the survey a rotation keeps enterprises from
// (from, or [PreviousDrawn]) and the enterprises of its sample.
func previousSample(ctx context.Context, db *store.DB, s *Survey, from int64) (int64, map[int64]bool, error) {
	if from == 0 {
		id, ok, err := PreviousDrawn(ctx, db, s)
		if err != nil {
			return 0, nil, err
		}
		if !ok && s.Quarter > 0 {
			return 0, nil, i18n.Errorf("没有更早季度已抽样的季报，无法轮换样本：请将保留比例设为 0", "no quarterly survey of an earlier quarter has been drawn, so there is no sample to rotate: set the kept share to 0").OnField("keep")
		}
		if !ok {
			return 0, nil, i18n.Errorf("没有更早年度已抽样的年报，无法轮换样本：请将保留比例设为 0", "no annual survey of an earlier year has been drawn, so there is no sample to rotate: set the kept share to 0").OnField("keep")
		}
		from = id
	}
	if from == s.ID {
		return 0, nil, i18n.Errorf("不能从本调查自身轮换样本", "a survey cannot rotate its own sample").OnField("rotate_from")
	}
	prev, err := GetSurvey(ctx, db, from)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, i18n.Errorf("没有编号为 %d 的调查，无法从中轮换样本", "there is no survey %d to rotate the sample from", from).OnField("rotate_from")
	}
	if err != nil {
		return 0, nil, err
	}
	if prev.Quarterly() != s.Quarterly() {
		kind := func(x *Survey) i18n.Text {
			if x.Quarterly() {
				return i18n.Text{Zh: "季报", En: "a quarterly survey"}
			}
			return i18n.Text{Zh: "年报", En: "an annual survey"}
		}
		pk, sk, pp, sp := kind(prev), kind(s), periodText(prev.Year, prev.Quarter), periodText(s.Year, s.Quarter)
		return 0, nil, i18n.Errorf("调查 %[1]d（%[2]s，%[3]s）与本调查（%[4]s，%[5]s）的频率不同，不能从中轮换样本：请选择同为%[4]s的更早一期调查",
			"survey %[1]d (%[6]s, %[7]s) is not of the same frequency as this survey (%[8]s, %[9]s), so its sample cannot be rotated: choose an earlier survey that is also %[8]s",
			from, pk.Zh, pp.Zh, sk.Zh, sp.Zh, pk.En, pp.En, sk.En, sp.En).OnField("rotate_from")
	}
	rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id FROM ecstat_sample WHERE survey_id = $1`, from)
	if err != nil {
		return 0, nil, fmt.Errorf("ecstat: previous sample: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, nil, err
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	if len(out) == 0 {
		return 0, nil, i18n.Errorf("调查 %d 没有样本，无法从中轮换", "survey %d has no sample to rotate from", from).OnField("rotate_from")
	}
	return from, out, nil
}

// rotate draws a take-some stratum's n units from its frame ids with
// sample rotation: round(keep·n) of them (at most as many as were sampled
// last time) from the units in prev, chosen from the seed, and the rest
// from the units not in prev (topped up from prev when too few are left).
// The same ids, prev, seed and key always give the same draw.
func rotate(ids []int64, prev map[int64]bool, n int, keep float64, seed uint64, key string) (kept, fresh []int64) {
	var old, other []int64
	for _, id := range ids {
		if prev[id] {
			old = append(old, id)
		} else {
			other = append(other, id)
		}
	}
	k := min(len(old), int(math.Round(keep*float64(n))))
	if n-k > len(other) {
		k = min(len(old), n-len(other))
	}
	kept = survey.Draw(old, k, seed, key+"|keep")
	fresh = survey.Draw(other, n-k, seed, key+"|new")
	return kept, fresh
}

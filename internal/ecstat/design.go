package ecstat

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
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

type frameUnit struct {
	id                          int64
	section, city, county, size string
	above                       bool
	revenue                     int64 // hundredths of 万元
}

// frameTotal is the frame's count and revenue of one county × section,
// stored with the draw for the ratio estimator.
type frameTotal struct {
	county, city, section string
	units                 int
	revenue               int64
}

func frameTotals(frame []frameUnit) []frameTotal {
	type key struct{ county, section string }
	by := map[key]*frameTotal{}
	var out []*frameTotal
	for _, u := range frame {
		k := key{u.county, u.section}
		t := by[k]
		if t == nil {
			t = &frameTotal{county: u.county, city: u.city, section: u.section}
			by[k] = t
			out = append(out, t)
		}
		t.units++
		t.revenue += u.revenue
	}
	res := make([]frameTotal, len(out))
	for i, t := range out {
		res[i] = *t
	}
	sort.Slice(res, func(i, j int) bool {
		return res[i].county < res[j].county || res[i].county == res[j].county && res[i].section < res[j].section
	})
	return res
}

// frameSplit is the smallest id range [loadFrame] reads in two parts.
var frameSplit int64 = 100_000

// loadFrame reads the enterprises active in year, by id. On SQLite,
// where a connection reads at the speed of one core, the two halves of
// the register's id range are read at once on two connections (the
// caller keeps the register from changing meanwhile, see [Draw]).
func loadFrame(ctx context.Context, db *store.DB, year int) ([]frameUnit, error) {
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
	type part struct {
		units []frameUnit
		err   error
	}
	res := make([]part, parts)
	var wg sync.WaitGroup
	step := (hi - lo + 1 + int64(parts) - 1) / int64(parts)
	for p := range parts {
		from, to := lo+int64(p)*step, min(hi, lo+int64(p+1)*step-1)
		wg.Go(func() {
			res[p].units, res[p].err = scanFrame(ctx, db, year, from, to)
		})
	}
	wg.Wait()
	out := res[0].units
	for _, p := range res {
		if p.err != nil {
			return nil, p.err
		}
	}
	for _, p := range res[1:] {
		out = append(out, p.units...)
	}
	// By id, so that a drawn id finds its unit by binary search (a table
	// scan gives that order on SQLite already).
	if !slices.IsSortedFunc(out, func(a, b frameUnit) int { return cmp.Compare(a.id, b.id) }) {
		slices.SortFunc(out, func(a, b frameUnit) int { return cmp.Compare(a.id, b.id) })
	}
	return out, nil
}

// scanFrame reads the enterprises active in year with ids from..to, into
// a list allocated once for the range (not grown, and copied, twenty
// times over a million rows).
func scanFrame(ctx context.Context, db *store.DB, year int, from, to int64) ([]frameUnit, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id, section, city_code, org_code, size, above_scale, revenue FROM ecstat_enterprise
		WHERE id BETWEEN $2 AND $3 AND born_year <= $1 AND (closed_year = 0 OR closed_year > $1)`, year, from, to)
	if err != nil {
		return nil, fmt.Errorf("ecstat: frame: %w", err)
	}
	defer rows.Close()
	out := make([]frameUnit, 0, max(0, min(to-from+1, 20_000_000)))
	// The few distinct codes are shared, not allocated per row.
	intern := map[string]string{}
	in := func(b []byte) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		intern[s] = s
		return s
	}
	var sec, city, county, size sql.RawBytes
	for rows.Next() {
		var u frameUnit
		var above int
		if err := rows.Scan(&u.id, &sec, &city, &county, &size, &above, &u.revenue); err != nil {
			return nil, err
		}
		u.section, u.city, u.county, u.size = in(sec), in(city), in(county), in(size)
		u.above = above == 1
		out = append(out, u)
	}
	return out, rows.Err()
}

// unitByID finds the unit of id in frame (sorted by id).
func unitByID(frame []frameUnit, id int64) *frameUnit {
	i, ok := slices.BinarySearchFunc(frame, id, func(u frameUnit, id int64) int { return cmp.Compare(u.id, id) })
	if !ok {
		return nil
	}
	return &frame[i]
}

// Plan stratifies the frame of survey year and allocates the sample
// without drawing: industry section × city × size class, above-threshold
// enterprises in certainty strata of their own (taken whole).
func plan(frame []frameUnit, spec DesignSpec) ([]Stratum, [][]int64, float64, error) {
	type group struct {
		s   Stratum
		ids []int64
		rev []float64
	}
	by := map[string]*group{}
	for _, u := range frame {
		key := u.section + "|" + u.city + "|" + u.size
		if u.above {
			key += "|C"
		}
		g := by[key]
		if g == nil {
			g = &group{s: Stratum{Key: key, Section: u.section, City: u.city, Size: u.size, Certainty: u.above}}
			by[key] = g
		}
		g.ids = append(g.ids, u.id)
		g.rev = append(g.rev, Amount(u.revenue).Float())
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var strata []Stratum
	var ids [][]int64
	var N []int
	var S []float64
	var takeSome []int
	var total float64
	for _, k := range keys {
		g := by[k]
		g.s.H = len(strata)
		g.s.Pop = len(g.ids)
		g.s.SDAux = survey.StdDev(g.rev)
		if g.s.Certainty {
			g.s.N = g.s.Pop
		} else {
			takeSome = append(takeSome, g.s.H)
			N = append(N, g.s.Pop)
			S = append(S, g.s.SDAux)
			for _, r := range g.rev {
				total += r
			}
		}
		strata = append(strata, g.s)
		ids = append(ids, g.ids)
	}
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
	cv := 0.0
	if total > 0 && len(takeSome) > 0 {
		cv = math.Sqrt(survey.Variance(N, S, alloc)) / total
	}
	return strata, ids, cv, nil
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
		frame, err := loadFrame(ctx, db, s.Year)
		if err != nil {
			return err
		}
		if len(frame) == 0 {
			return i18n.Errorf("名录库中没有 %d 年在营的企业，请先导入名录", "the register has no enterprise active in %d; import the register first", s.Year)
		}
		strata, ids, cv, err := plan(frame, spec)
		if err != nil {
			return err
		}
		totals := frameTotals(frame)
		d = &Design{DesignSpec: spec, FrameSize: len(frame), Strata: strata, PredictedCV: cv, DrawnAt: store.Now(), DrawnBy: a.Name}
		var prev map[int64]bool // last period's sample, when rotating
		if spec.Keep > 0 {
			from, ids, err := previousSample(ctx, db, s, spec.RotateFrom)
			if err != nil {
				return err
			}
			d.RotateFrom, prev = from, ids
		}
		type pick struct {
			id int64
			h  int
			w  float64
		}
		var picks []pick
		for h, st := range strata {
			w := 1.0
			if st.N > 0 {
				w = float64(st.Pop) / float64(st.N)
			}
			if prev == nil || st.Certainty {
				for _, id := range survey.Draw(ids[h], st.N, spec.Seed, st.Key) {
					picks = append(picks, pick{id, h, w})
				}
			} else {
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
			if st.Certainty {
				d.Certainty += st.N
			}
		}
		d.SampleSize = len(picks)
		// Written in enterprise order: the sample's key grows at its end, and
		// the estimates, which read the sample in that order, read its rows in
		// the order they lie.
		slices.SortFunc(picks, func(a, b pick) int { return cmp.Compare(a.id, b.id) })
		for _, q := range []string{`DELETE FROM ecstat_sample WHERE survey_id = $1`, `DELETE FROM ecstat_stratum WHERE survey_id = $1`,
			`DELETE FROM ecstat_frame_total WHERE survey_id = $1`, `DELETE FROM ecstat_design WHERE survey_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, s.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_design (survey_id, method, n_target, cv_target, seed, frame_size, sample_size, drawn_at, drawn_by,
			keep_share, rotate_from, kept, rotated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, s.ID, spec.Method, spec.N, strconv.FormatFloat(spec.CV, 'g', -1, 64), int64(spec.Seed),
			d.FrameSize, d.SampleSize, d.DrawnAt, a.Name, strconv.FormatFloat(spec.Keep, 'g', -1, 64), d.RotateFrom, d.Kept, d.Rotated); err != nil {
			return fmt.Errorf("ecstat: store design: %w", err)
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
		// Each sampled enterprise with its domains and revenue in the frame
		// it was drawn from: the estimates read them from here, with the
		// frame's totals, without going back to the register.
		if _, err := tx.Copy(ctx, "ecstat_sample", []string{"survey_id", "enterprise_id", "h", "weight", "section", "org_code", "city_code", "revenue"},
			func(yield func([]any) error) error {
				row := make([]any, 8)
				for _, p := range picks {
					u := unitByID(frame, p.id)
					if u == nil {
						return fmt.Errorf("ecstat: drawn enterprise %d is not in the frame", p.id)
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

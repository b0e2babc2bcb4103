package ecstat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
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
}

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

// loadFrame reads the enterprises active in year.
func loadFrame(ctx context.Context, db *store.DB, year int) ([]frameUnit, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id, section, city_code, org_code, size, above_scale, revenue FROM ecstat_enterprise
		WHERE born_year <= $1 AND (closed_year = 0 OR closed_year > $1)`, year)
	if err != nil {
		return nil, fmt.Errorf("ecstat: frame: %w", err)
	}
	defer rows.Close()
	var out []frameUnit
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
	var sec, city, county, size []byte
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
	frame, err := loadFrame(ctx, db, s.Year)
	if err != nil {
		return nil, err
	}
	if len(frame) == 0 {
		return nil, i18n.Errorf("名录库中没有 %d 年在营的企业，请先导入名录", "the register has no enterprise active in %d; import the register first", s.Year)
	}
	strata, ids, cv, err := plan(frame, spec)
	if err != nil {
		return nil, err
	}
	totals := frameTotals(frame)
	d := &Design{DesignSpec: spec, FrameSize: len(frame), Strata: strata, PredictedCV: cv, DrawnAt: store.Now(), DrawnBy: a.Name}
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
		for _, id := range survey.Draw(ids[h], st.N, spec.Seed, st.Key) {
			picks = append(picks, pick{id, h, w})
		}
		if st.Certainty {
			d.Certainty += st.N
		}
	}
	d.SampleSize = len(picks)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var answered int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_return WHERE survey_id = $1`, s.ID).Scan(&answered); err != nil {
			return err
		}
		if answered > 0 {
			return ErrAnswered
		}
		for _, q := range []string{`DELETE FROM ecstat_sample WHERE survey_id = $1`, `DELETE FROM ecstat_stratum WHERE survey_id = $1`,
			`DELETE FROM ecstat_frame_total WHERE survey_id = $1`, `DELETE FROM ecstat_design WHERE survey_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, s.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_design (survey_id, method, n_target, cv_target, seed, frame_size, sample_size, drawn_at, drawn_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, s.ID, spec.Method, spec.N, strconv.FormatFloat(spec.CV, 'g', -1, 64), int64(spec.Seed),
			d.FrameSize, d.SampleSize, d.DrawnAt, a.Name); err != nil {
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
		if _, err := tx.Copy(ctx, "ecstat_sample", []string{"survey_id", "enterprise_id", "h", "weight"}, func(yield func([]any) error) error {
			for _, p := range picks {
				if err := yield([]any{s.ID, p.id, p.h, p.w}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("ecstat: store sample: %w", err)
		}
		return audit.Record(ctx, tx, a, "draw", "ecstat_survey", strconv.FormatInt(s.ID, 10), "/41/", nil, map[string]any{
			"method": spec.Method, "n": spec.N, "cv_target": spec.CV, "seed": spec.Seed, "frame": d.FrameSize, "sample": d.SampleSize,
			"strata": len(strata), "certainty": d.Certainty, "predicted_cv": cv})
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
	var cv string
	var seed int64
	err := db.R.QueryRowContext(ctx, `SELECT method, n_target, cv_target, seed, frame_size, sample_size, drawn_at, drawn_by FROM ecstat_design WHERE survey_id = $1`, id).
		Scan(&d.Method, &d.N, &cv, &seed, &d.FrameSize, &d.SampleSize, &d.DrawnAt, &d.DrawnBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ecstat: design of survey %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	d.Seed = uint64(seed)
	d.CV, _ = strconv.ParseFloat(cv, 64)
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

package reporting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/jobs"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// DemoComment marks demo values, so pages can tell them from published
// figures (whose comment names their source).
const DemoComment = "演示数据 demo"

// Demo years and the village months.
const (
	DemoFrom = 2013
	DemoTo   = 2020
)

// DemoMonths are the months village data is generated for.
var DemoMonths = period.Range(period.MustParse("202001"), period.MustParse("202012"))

// DemoStatus is a snapshot of the demo generation.
type DemoStatus struct {
	Stage    string        `json:"stage"`
	Step     int           `json:"step"`
	Steps    int           `json:"steps"`
	Values   int           `json:"values"`
	Done     bool          `json:"done"`
	Skipped  bool          `json:"skipped,omitempty"` // generated on an earlier start
	Error    string        `json:"error,omitempty"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Started  time.Time     `json:"started"`
	Progress float64       `json:"progress"` // 0–100
}

// DemoProgress follows a running demo generation.
type DemoProgress struct {
	mu sync.Mutex
	st DemoStatus
}

// Status returns a snapshot.
func (p *DemoProgress) Status() DemoStatus {
	if p == nil {
		return DemoStatus{Done: true, Skipped: true}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.st
	if !s.Done {
		s.Elapsed = time.Since(s.Started)
	}
	if s.Steps > 0 {
		s.Progress = math.Round(float64(s.Step) * 100 / float64(s.Steps))
	}
	if s.Done {
		s.Progress = 100
	}
	return s
}

func (p *DemoProgress) stage(name string, values int) {
	p.mu.Lock()
	p.st.Stage = name
	p.st.Step++
	p.st.Values += values
	p.mu.Unlock()
}

func (p *DemoProgress) finish(err error, skipped bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Done, p.st.Skipped = true, skipped
	p.st.Elapsed = time.Since(p.st.Started)
	if err != nil {
		p.st.Error = err.Error()
	}
	p.st.Stage = "done"
}

const demoKey = "demo_data"

// DemoLoaded reports whether the demo data was generated already.
func DemoLoaded(ctx context.Context, db *store.DB) (bool, error) {
	var v string
	err := db.R.QueryRowContext(ctx, "SELECT value FROM reporting_meta WHERE key = $1", demoKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && v != "", err
}

// StartDemo generates the demo data in the background (unless an earlier
// start did) and returns its progress at once, so that the server can
// listen while it runs.
func StartDemo(ctx context.Context, db *store.DB, log *slog.Logger) *DemoProgress {
	p := NewDemoProgress()
	go RunDemo(ctx, db, p, log)
	return p
}

// NewDemoProgress returns the progress of a demo generation about to start.
func NewDemoProgress() *DemoProgress {
	return &DemoProgress{st: DemoStatus{Stage: "starting", Started: time.Now(), Steps: demoSteps}}
}

// RunDemo generates the demo data unless an earlier start did, reporting
// to p (which it resets first), and logs the outcome.
func RunDemo(ctx context.Context, db *store.DB, p *DemoProgress, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	p.mu.Lock()
	p.st = DemoStatus{Stage: "starting", Started: time.Now(), Steps: demoSteps}
	p.mu.Unlock()
	done, err := DemoLoaded(ctx, db)
	if err != nil || done {
		p.finish(err, done)
		return err
	}
	err = GenerateDemo(ctx, db, p, DemoOptions{})
	p.finish(err, false)
	st := p.Status()
	if err != nil {
		log.Error("demo data failed", "err", err)
	} else {
		log.Info("demo data generated", "values", st.Values, "took", st.Elapsed.Round(time.Millisecond))
	}
	return err
}

// MarkDemoSkipped records in p that the demo data was generated before.
func (p *DemoProgress) MarkDemoSkipped() { p.finish(nil, true) }

// DemoArgs is the job that generates the demo data.
type DemoArgs struct{}

// Kind names the job.
func (DemoArgs) Kind() string { return "reporting_demo" }

// RegisterDemoJob registers the demo generation's worker; it reports its
// progress to p. Only the server that shows the progress registers it, so
// only it fetches the job.
func RegisterDemoJob(r *jobs.Registry, db *store.DB, log *slog.Logger, p *DemoProgress) {
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[DemoArgs]) error {
		return RunDemo(ctx, db, p, log)
	})
}

// demoSteps is the number of stages GenerateDemo reports.
const demoSteps = 6 + 12

// county is one county's demo profile.
type county struct {
	u        orgunit.Unit
	villages []orgunit.Unit // administrative villages (村委会)
	urban    bool           // a city district
	f        float64        // development factor around 1
	weight   float64        // economic weight for sums
}

// DemoOptions narrow the demo data (for tests).
type DemoOptions struct {
	Within string // only counties under this org path
	Months int    // only the last Months village months (0: all 12)
}

// GenerateDemo writes plausible synthetic data for 2013–2020 at every
// level: county annual and quarterly reports, department reports,
// province series filled around the published figures, and village
// monthly data for 2020; then approval states with a few late and missing
// reports, and the validation results. It is deterministic.
func GenerateDemo(ctx context.Context, db *store.DB, p *DemoProgress, opt DemoOptions) error {
	if p == nil {
		p = &DemoProgress{st: DemoStatus{Started: time.Now(), Steps: demoSteps}}
	}
	actor := audit.Actor{Name: "demo"}
	wctx := WithoutRuleCheck(ctx)
	rng := rand.New(rand.NewPCG(2013, 2020))
	real, err := realElements()
	if err != nil {
		return err
	}
	counties, err := demoCounties(ctx, db, rng)
	if err != nil {
		return err
	}
	if opt.Within != "" {
		kept := counties[:0]
		for _, c := range counties {
			if orgunit.InSubtree(c.u.Path, opt.Within) {
				kept = append(kept, c)
			}
		}
		counties = kept
	}
	months := DemoMonths
	if opt.Months > 0 && opt.Months < len(months) {
		months = months[len(months)-opt.Months:]
	}
	p.stage("units", 0)

	// County annual report.
	annual := countyAnnual(counties, rng)
	if err := saveDemo(wctx, db, actor, annual, real); err != nil {
		return err
	}
	p.stage("county annual", len(annual))
	quarterly := countyQuarterly(counties, annual, rng)
	if err := saveDemo(wctx, db, actor, quarterly, real); err != nil {
		return err
	}
	p.stage("county quarterly", len(quarterly))
	depts := departmentAnnual(rng)
	if err := saveDemo(wctx, db, actor, depts, real); err != nil {
		return err
	}
	prov, err := provinceSeries(ctx, db)
	if err != nil {
		return err
	}
	if err := monitor.SaveValues(wctx, db, actor, prov); err != nil {
		return fmt.Errorf("reporting: demo province series: %w", err)
	}
	p.stage("departments and province", len(depts)+len(prov))

	// Village monthly data, one month per write.
	ruralSubs := map[string]float64{}
	ruralCap := map[string]float64{}
	for _, v := range annual {
		if v.Period == strconv.Itoa(DemoTo) {
			x, _ := strconv.ParseFloat(v.Value, 64)
			switch v.DataElement {
			case "BB_RURAL_SUBS":
				ruralSubs[v.OrgUnit] = x
			case "BB_RURAL_CAP":
				ruralCap[v.OrgUnit] = x
			}
		}
	}
	type vprof struct {
		subs, speed float64
	}
	profiles := map[string][]vprof{}
	for _, c := range counties {
		n := len(c.villages)
		ps := make([]vprof, n)
		var total float64
		for i := range ps {
			ps[i].subs = 0.5 + rng.Float64()
			total += ps[i].subs
			ps[i].speed = ruralCap[c.u.Code] * (0.75 + 0.4*rng.Float64())
		}
		for i := range ps {
			ps[i].subs = ps[i].subs / total * ruralSubs[c.u.Code]
		}
		profiles[c.u.Code] = ps
	}
	for mi, m := range months {
		grow := 0.93 + 0.07*float64(mi+len(DemoMonths)-len(months))/float64(len(DemoMonths)-1)
		var vals []monitor.Value
		for _, c := range counties {
			ps := profiles[c.u.Code]
			for i, v := range c.villages {
				subs := math.Round(ps[i].subs * grow * (0.99 + 0.02*rng.Float64()))
				if rng.IntN(20000) == 0 {
					subs *= 10 // a typing slip for the outlier checks to find
				}
				speed := math.Round(ps[i].speed*(0.97+0.06*rng.Float64())*10) / 10
				vals = append(vals,
					monitor.Value{DataElement: "VILLAGE_BB_SUBS", OrgUnit: v.Code, Period: m.ID(), Value: strconv.FormatFloat(subs, 'f', -1, 64)},
					monitor.Value{DataElement: "VILLAGE_BB_SPEED", OrgUnit: v.Code, Period: m.ID(), Value: strconv.FormatFloat(speed, 'f', -1, 64)})
			}
		}
		if err := monitor.SaveValues(wctx, db, actor, vals); err != nil {
			return fmt.Errorf("reporting: demo village data %s: %w", m.ID(), err)
		}
		p.stage("villages "+m.ID(), len(vals))
	}

	// Approval states, then the validation results.
	n, err := demoApprovals(ctx, db, counties, months, rng)
	if err != nil {
		return err
	}
	p.stage("approvals", n)
	sets, err := DataSets(ctx, db)
	if err != nil {
		return err
	}
	root, err := orgunit.Get(ctx, db, orgunit.Root)
	if err != nil {
		return err
	}
	for _, d := range sets {
		if d.PType() != period.Year {
			continue
		}
		var pes []period.Period
		for y := DemoFrom; y <= DemoTo; y++ {
			pes = append(pes, period.Period{Type: period.Year, Year: y, N: 1})
		}
		if _, err := Run(ctx, db, RunQuery{DataSet: d, Root: root, Periods: pes}); err != nil {
			return err
		}
	}
	p.stage("validation", 0)
	_, err = db.W.ExecContext(ctx, `INSERT INTO reporting_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		demoKey, store.Now().Format(time.RFC3339))
	return err
}

// realElements lists the elements the catalogue fills from published
// figures: their demo values go to the province only, around the real
// ones, never below it (which would double count in the totals).
func realElements() (map[string]bool, error) {
	c, err := monitor.DefaultCatalog()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range c.Elements {
		if len(e.Actuals) > 0 {
			out[e.Code] = true
		}
	}
	return out, nil
}

func saveDemo(ctx context.Context, db *store.DB, actor audit.Actor, vals []monitor.Value, real map[string]bool) error {
	kept := vals[:0:0]
	for _, v := range vals {
		if !real[v.DataElement] {
			kept = append(kept, v)
		}
	}
	if err := monitor.SaveValues(ctx, db, actor, kept); err != nil {
		return fmt.Errorf("reporting: demo values: %w", err)
	}
	return nil
}

func demoCounties(ctx context.Context, db *store.DB, rng *rand.Rand) ([]county, error) {
	cs, err := orgunit.Descendants(ctx, db, "/"+orgunit.Root+"/", 3, 0)
	if err != nil {
		return nil, err
	}
	vs, err := orgunit.Descendants(ctx, db, "/"+orgunit.Root+"/", 5, 0)
	if err != nil {
		return nil, err
	}
	byCounty := map[string][]orgunit.Unit{}
	for _, v := range vs {
		if strings.HasSuffix(v.Name, "村委会") || strings.HasSuffix(v.Name, "村民委员会") {
			byCounty[v.Code[:6]] = append(byCounty[v.Code[:6]], v)
		}
	}
	var out []county
	for _, c := range cs {
		if c.Kind != orgunit.County {
			continue
		}
		x := county{u: c, villages: byCounty[c.Code], urban: strings.HasSuffix(c.Name, "区") && len(byCounty[c.Code]) < 120}
		x.f = 0.75 + 0.5*rng.Float64()
		x.weight = 0.5 + rng.Float64()
		if x.urban {
			x.f += 0.25
			x.weight *= 2
		}
		if strings.HasPrefix(c.Code, "4101") {
			x.weight *= 3 // 郑州
		}
		out = append(out, x)
	}
	return out, nil
}

// path interpolates yearly values through (year, value) knots.
func path(y int, knots ...float64) float64 {
	// knots are pairs: year, value.
	if y <= int(knots[0]) {
		return knots[1]
	}
	for i := 2; i < len(knots); i += 2 {
		y0, v0, y1, v1 := knots[i-2], knots[i-1], knots[i], knots[i+1]
		if float64(y) <= y1 {
			return v0 + (v1-v0)*(float64(y)-y0)/(y1-y0)
		}
	}
	return knots[len(knots)-1]
}

func fv(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
func iv(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }

func countyAnnual(cs []county, rng *rand.Rand) []monitor.Value {
	var totalW float64
	for _, c := range cs {
		totalW += c.weight
	}
	var out []monitor.Value
	add := func(el string, c county, y int, v string) {
		out = append(out, monitor.Value{DataElement: el, OrgUnit: c.u.Code, Period: strconv.Itoa(y), Value: v, Comment: DemoComment})
	}
	for ci, c := range cs {
		nv := float64(len(c.villages))
		hhU := 40000 + 60000*c.f
		if c.urban {
			hhU = 120000 + 150000*c.f
		}
		hhR := nv*330 + 500
		firms := math.Round(40 + 160*c.weight)
		permits, pubserv := math.Round(120+60*rng.Float64()), math.Round(160+80*rng.Float64())
		for y := DemoFrom; y <= DemoTo; y++ {
			k := float64(y - DemoFrom)
			u := hhU * math.Pow(1.02, k)
			r := hhR * math.Pow(0.99, k)
			add("HOUSEHOLDS_URBAN", c, y, iv(u))
			add("HOUSEHOLDS_RURAL", c, y, iv(r))
			add("BB_URBAN_SUBS", c, y, iv(u*math.Min(0.97, path(y, 2013, 0.55, 2020, 0.9)*c.f)))
			add("BB_RURAL_SUBS", c, y, iv(r*math.Min(0.95, path(y, 2013, 0.2, 2020, 0.65)*c.f)))
			add("FTTH_URBAN_HOUSEHOLDS", c, y, iv(u*math.Min(1, path(y, 2013, 0.4, 2015, 0.8, 2017, 0.98, 2018, 1)*(0.9+0.1*c.f))))
			add("ADMIN_VILLAGES", c, y, iv(nv))
			add("ADMIN_VILLAGES_BB", c, y, iv(nv*path(y, 2013, 0.93, 2014, 1)))
			add("ADMIN_VILLAGES_FIBER", c, y, iv(nv*path(y, 2013, 0.45, 2014, 0.65, 2015, 0.85, 2016, 1)))
			info := nv * math.Min(1, path(y, 2013, 0.3, 2015, 0.82, 2018, 1)*(0.9+0.1*c.f))
			if ci%53 == 7 && y == 2019 {
				info = nv + 3 // a report the rules catch
			}
			add("ADMIN_VILLAGES_INFO", c, y, iv(info))
			add("RURAL_INFO_STATIONS", c, y, iv(nv*math.Min(0.95, path(y, 2013, 0.09, 2015, 0.29, 2020, 0.7))))
			urbanCap := path(y, 2013, 8, 2015, 20.5, 2018, 60, 2020, 100) * c.f
			add("BB_URBAN_CAP", c, y, fv(math.Round(urbanCap*10)/10))
			add("BB_RURAL_CAP", c, y, fv(math.Round(math.Min(urbanCap, path(y, 2013, 2, 2015, 4.3, 2018, 20, 2020, 50)*c.f)*10)/10))
			add("FIRMS_ABOVE_SCALE", c, y, iv(firms*math.Pow(1.04, k)))
			add("FIRMS_CNC", c, y, iv(firms*math.Pow(1.04, k)*path(y, 2013, 0.3, 2015, 0.47, 2020, 0.65)*(0.9+0.1*c.f)))
			add("PERMIT_ITEMS", c, y, iv(permits))
			add("PERMIT_ITEMS_ONLINE", c, y, iv(permits*math.Min(1, path(y, 2013, 0.3, 2015, 0.82, 2020, 0.98)*(0.95+0.05*c.f))))
			add("PUBSERV_ITEMS", c, y, iv(pubserv))
			add("PUBSERV_ITEMS_ONLINE", c, y, iv(pubserv*math.Min(1, path(y, 2013, 0.25, 2015, 0.62, 2020, 0.95)*(0.95+0.05*c.f))))
			eco := path(y, 2013, 3500, 2015, 8600, 2020, 22000) * c.weight / totalW
			add("ECOMMERCE_VOLUME", c, y, fv(math.Round(eco*(0.95+0.1*rng.Float64())*10)/10))
		}
	}
	return out
}

func countyQuarterly(cs []county, annual []monitor.Value, rng *rand.Rand) []monitor.Value {
	// Yearly subscriber gains per county from the annual figures.
	subs := map[string]map[int]float64{}
	for _, v := range annual {
		if v.DataElement != "BB_URBAN_SUBS" && v.DataElement != "BB_RURAL_SUBS" {
			continue
		}
		y, _ := strconv.Atoi(v.Period)
		x, _ := strconv.ParseFloat(v.Value, 64)
		if subs[v.OrgUnit] == nil {
			subs[v.OrgUnit] = map[int]float64{}
		}
		subs[v.OrgUnit][y] += x
	}
	var out []monitor.Value
	for _, c := range cs {
		for y := DemoFrom; y <= DemoTo; y++ {
			gain := subs[c.u.Code][y] - subs[c.u.Code][y-1]
			if y == DemoFrom {
				gain = subs[c.u.Code][y] * 0.08
			}
			for q := 1; q <= 4; q++ {
				pe := fmt.Sprintf("%dQ%d", y, q)
				share := []float64{0.2, 0.25, 0.25, 0.3}[q-1]
				out = append(out,
					monitor.Value{DataElement: "COUNTY_BB_NEW_SUBS", OrgUnit: c.u.Code, Period: pe, Value: iv(math.Max(0, gain*share*(0.9+0.2*rng.Float64()))), Comment: DemoComment},
					monitor.Value{DataElement: "COUNTY_FTTH_NEW", OrgUnit: c.u.Code, Period: pe, Value: iv(math.Max(0, gain*share*0.7*(0.9+0.2*rng.Float64()))), Comment: DemoComment},
					monitor.Value{DataElement: "COUNTY_IT_INVEST", OrgUnit: c.u.Code, Period: pe, Value: fv(math.Round(c.weight * path(y, 2013, 300, 2020, 900) * (0.7 + 0.6*rng.Float64()))), Comment: DemoComment})
			}
		}
	}
	return out
}

func departmentAnnual(rng *rand.Rand) []monitor.Value {
	var out []monitor.Value
	add := func(el, ou string, y int, v string) {
		out = append(out, monitor.Value{DataElement: el, OrgUnit: ou, Period: strconv.Itoa(y), Value: v, Comment: DemoComment})
	}
	depts := []string{"41D-GXT", "41D-FGW", "41D-SWT", "41D-NYT", "41D-KJT", "41D-JYT", "41D-WJW", "41D-RST", "41D-GAT", "41D-ZJT", "41D-JTT", "41D-GTT", "41D-MZT", "41D-SLT"}
	for i, d := range depts {
		permits, pubserv := float64(20+3*i), float64(30+4*i)
		for y := DemoFrom; y <= DemoTo; y++ {
			add("PERMIT_ITEMS", d, y, iv(permits))
			add("PERMIT_ITEMS_ONLINE", d, y, iv(permits*math.Min(1, path(y, 2013, 0.35, 2015, 0.85, 2018, 1)*(0.93+0.07*rng.Float64()))))
			add("PUBSERV_ITEMS", d, y, iv(pubserv))
			add("PUBSERV_ITEMS_ONLINE", d, y, iv(pubserv*math.Min(1, path(y, 2013, 0.3, 2015, 0.7, 2019, 1)*(0.93+0.07*rng.Float64()))))
		}
	}
	for y := DemoFrom; y <= DemoTo; y++ {
		add("TWO_INTEGRATION_INDEX", "41D-GXT", y, fv(math.Round(path(y, 2013, 42, 2015, 49.5, 2020, 61)*10)/10))
		add("ELEC_MFG_CENTRAL_RANK", "41D-GXT", y, iv(path(y, 2013, 2, 2014, 1)))
		add("INFO_SERVICE_VA", "41D-TJJ", y, fv(math.Round(path(y, 2013, 520, 2015, 760, 2020, 1700))))
		add("SERVICES_VA", "41D-TJJ", y, fv(math.Round(path(y, 2013, 11200, 2015, 14600, 2020, 26800))))
		add("INFO_DEV_INDEX", "41D-TJJ", y, fv(math.Round(path(y, 2013, 60.2, 2020, 81.5)*10)/10))
		add("INFO_DEV_INDEX_NATIONAL", "41D-TJJ", y, fv(math.Round(path(y, 2013, 66.1, 2020, 84.0)*10)/10))
		add("INFO_DEV_INDEX_RANK", "41D-TJJ", y, iv(path(y, 2013, 27, 2015, 24, 2020, 19)))
		add("IPV6_ACTIVE_USERS", "41D-TXGLJ", y, fv(math.Round(path(y, 2013, 0, 2016, 40, 2017, 300, 2018, 1500, 2019, 3500, 2020, 5200))))
		add("MOBILE_3G_USERS", "41D-TXGLJ", y, fv(math.Round(path(y, 2013, 1800, 2014, 2600, 2015, 2300, 2018, 900, 2020, 300))))
	}
	return out
}

// provinceSeries fills the years of the province-level series that have
// no published figure, along a path through the published ones.
func provinceSeries(ctx context.Context, db *store.DB) ([]monitor.Value, error) {
	series := map[string][]float64{
		"INTERNET_USERS":   {2013, 6000, 2015, 7600, 2017, 9500, 2018, 10472.6, 2019, 11000, 2020, 11700},
		"MOBILE_USERS":     {2013, 7500, 2015, 8300, 2018, 9400, 2020, 10000},
		"MOBILE_4G_USERS":  {2013, 0, 2014, 300, 2015, 2500, 2016, 4800, 2017, 6000, 2018, 6706, 2019, 7600, 2020, 8200},
		"ELEC_MFG_REVENUE": {2013, 2400, 2015, 3600, 2020, 5600},
	}
	var codes []string
	for c := range series {
		codes = append(codes, c)
	}
	have, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: codes, OrgUnits: []string{orgunit.Root}})
	if err != nil {
		return nil, err
	}
	got := map[string]bool{}
	for _, v := range have {
		got[v.DataElement+"/"+v.Period] = true
	}
	var out []monitor.Value
	for _, c := range codes {
		for y := DemoFrom; y <= DemoTo; y++ {
			if got[c+"/"+strconv.Itoa(y)] {
				continue
			}
			out = append(out, monitor.Value{DataElement: c, OrgUnit: orgunit.Root, Period: strconv.Itoa(y), Value: fv(math.Round(path(y, series[c]...)*10) / 10), Comment: DemoComment})
		}
	}
	return out, nil
}

// demoApprovals writes approval states: older periods approved, the
// latest ones partly submitted, a few late, a few missing.
func demoApprovals(ctx context.Context, db *store.DB, cs []county, months []period.Period, rng *rand.Rand) (int, error) {
	sets, err := DataSets(ctx, db)
	if err != nil {
		return 0, err
	}
	byCode := map[string]DataSet{}
	for _, d := range sets {
		byCode[d.Code] = d
	}
	type row struct {
		ds   DataSet
		u    orgunit.Unit
		p    period.Period
		last bool
	}
	var rows []row
	years := period.Range(period.MustParse(strconv.Itoa(DemoFrom)), period.MustParse(strconv.Itoa(DemoTo)))
	quarters := period.Range(period.MustParse(strconv.Itoa(DemoFrom)+"Q1"), period.MustParse(strconv.Itoa(DemoTo)+"Q4"))
	for _, c := range cs {
		for i, p := range years {
			rows = append(rows, row{byCode["COUNTY_ANNUAL"], c.u, p, i == len(years)-1})
		}
		for i, p := range quarters {
			rows = append(rows, row{byCode["COUNTY_QUARTERLY"], c.u, p, i == len(quarters)-1})
		}
		for i, p := range months {
			for _, v := range c.villages {
				rows = append(rows, row{byCode["VILLAGE_MONTHLY"], v, p, i == len(months)-1})
			}
		}
	}
	depts, err := orgunit.Descendants(ctx, db, "/"+orgunit.Root+"/", 2, 0)
	if err != nil {
		return 0, err
	}
	for _, d := range depts {
		if d.Kind != orgunit.Department {
			continue
		}
		for i, p := range years {
			rows = append(rows, row{byCode["DEPT_ANNUAL"], d, p, i == len(years)-1})
		}
	}
	// Insert in key order so the primary key grows at its right edge.
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.ds.Code != b.ds.Code {
			return a.ds.Code < b.ds.Code
		}
		if a.p.ID() != b.p.ID() {
			return a.p.ID() < b.p.ID()
		}
		return a.u.Code < b.u.Code
	})
	n := 0
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM reporting_approval"); err != nil {
			return err
		}
		var err error
		cnt, err := db.Copy(ctx, tx, "reporting_approval", []string{"dataset", "ou", "ou_path", "pe", "state", "submitted_at", "submitted_by", "decided_at", "decided_by", "comment", "updated_at"},
			func(yield func([]any) error) error {
				vals := make([]any, 11)
				for _, r := range rows {
					if r.ds.Code == "" {
						continue
					}
					x := rng.Float64()
					if r.last && x < 0.06 {
						continue // never submitted: overdue
					}
					due := r.ds.Due(r.p)
					sub := due.Add(-time.Duration(1+rng.IntN(10*24)) * time.Hour)
					if x > 0.9 {
						sub = due.Add(time.Duration(1+rng.IntN(15*24)) * time.Hour) // late
					}
					state, decided := Approved, any(sub.Add(72*time.Hour).UTC())
					if r.last && x > 0.5 {
						state, decided = Submitted, nil
					}
					vals[0], vals[1], vals[2], vals[3], vals[4] = r.ds.Code, r.u.Code, r.u.Path, r.p.ID(), state
					vals[5], vals[6], vals[7], vals[8], vals[9], vals[10] = sub.UTC(), int64(0), decided, int64(0), "", sub.UTC()
					if err := yield(vals); err != nil {
						return err
					}
				}
				return nil
			})
		n = int(cnt)
		return err
	})
	return n, err
}

package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

// Who may do what in the evaluation module.
var (
	// indexRoles read frameworks and run indices; data are restricted to
	// the units they cover. Review experts are among them: they examine
	// the frameworks, their weights and the results, and change nothing.
	indexRoles = []auth.Role{auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert}
	// editRoles write frameworks and upload datasets.
	editRoles = []auth.Role{auth.Office, auth.Admin, auth.Evaluator}
	// officeRoles see the distribution of enterprise assessments.
	officeRoles = []auth.Role{auth.Office, auth.Admin, auth.Leader}
	// enterpriseRoles fill the self-assessment.
	enterpriseRoles = []auth.Role{auth.Enterprise, auth.Admin}
	// evaluateRoles reach the module's start page.
	evaluateRoles = []auth.Role{auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Enterprise, auth.Expert}
)

// maxMCSamples bounds Monte Carlo samples per request.
const maxMCSamples = 5000

// evalHome is the module's start page: links by role.
func (h handlers) evalHome(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	v := map[string]bool{
		"Index":      p.Has(indexRoles...),
		"Edit":       p.Has(editRoles...),
		"Office":     p.Has(officeRoles...),
		"Enterprise": p.Has(enterpriseRoles...),
	}
	return h.k.Render(w, r, h.pages, "home", http.StatusOK, kit.View{Title: kit.T(r, "evaluate.title"), Nav: "evaluate", Data: v})
}

// unitIndex looks up the org units among codes (codes that are not org
// units are absent from the map).
func (h handlers) unitIndex(ctx context.Context, codes []string) (map[string]orgunit.Unit, error) {
	us, err := orgunit.GetMany(ctx, h.k.DB, codes)
	if err != nil {
		return nil, err
	}
	m := make(map[string]orgunit.Unit, len(us))
	for _, u := range us {
		m[u.Code] = u
	}
	return m, nil
}

// scopeData restricts d to the units the caller covers with one of roles.
// Units that are not org units (countries, enterprises in an uploaded
// file) are kept. ok is false when d had units and none is left.
//
// Rows that are not org units (companies, say) belong to whoever owns the
// data: with ownerPath set (a stored dataset's owner unit) they are kept
// only for callers covering the owner; ownerPath "" is the caller's own
// upload, whose rows are all theirs.
func (h handlers) scopeData(r *http.Request, d *evaluate.Dataset, roles []auth.Role, ownerPath string) (*evaluate.Dataset, map[string]orgunit.Unit, bool, error) {
	units, err := h.unitIndex(r.Context(), d.Units)
	if err != nil {
		return nil, nil, false, err
	}
	p := kit.Principal(r)
	owner := ownerPath == "" || p.Covers(ownerPath, roles...)
	all := true
	for _, c := range d.Units {
		if u, ok := units[c]; ok && !p.Covers(u.Path, roles...) || !ok && !owner {
			all = false
			break
		}
	}
	if all {
		return d, units, len(d.Units) > 0, nil
	}
	out := evalstore.Subset(d, func(c string) bool {
		u, ok := units[c]
		if !ok {
			return owner
		}
		return p.Covers(u.Path, roles...)
	})
	return out, units, len(out.Units) > 0, nil
}

// unitName is the display name of a unit code.
func unitName(units map[string]orgunit.Unit, code, lang string) string {
	if u, ok := units[code]; ok {
		if strings.HasPrefix(lang, "en") && u.NameEn != "" {
			return u.NameEn
		}
		return u.Name
	}
	return code
}

// rankRow is one line of a ranking table.
type rankRow struct {
	Unit   string
	Name   string
	MapKey string // NBS name, as the Henan maps know it
	Score  evaluate.Value
	Rank   int
	Change evaluate.Value
	Sub    []evaluate.Value // first-level sub-index scores, in Result.Nodes order
}

// yearResult finds a year of a result.
func yearResult(res *evaluate.Result, year int) *evaluate.YearResult {
	for i := range res.Years {
		if res.Years[i].Year == year {
			return &res.Years[i]
		}
	}
	return nil
}

// subNodes are the first-level sub-indices of a result.
func subNodes(res *evaluate.Result) []evaluate.NodeInfo {
	var out []evaluate.NodeInfo
	for _, n := range res.Nodes {
		if n.Level == 1 && !n.Indicator {
			out = append(out, n)
		}
	}
	return out
}

// ranking makes the ranking table of a year, best first.
func ranking(res *evaluate.Result, year int, units map[string]orgunit.Unit, lang string) []rankRow {
	yr := yearResult(res, year)
	if yr == nil {
		return nil
	}
	subs := subNodes(res)
	rows := make([]rankRow, len(res.Units))
	for i, c := range res.Units {
		row := rankRow{Unit: c, Name: unitName(units, c, lang), MapKey: unitName(units, c, "zh"), Score: yr.Scores[res.Root][i], Rank: yr.Ranks[res.Root][i], Change: evaluate.Value(math.NaN())}
		if ch, ok := yr.Change[res.Root]; ok {
			row.Change = ch[i]
		}
		for _, n := range subs {
			row.Sub = append(row.Sub, yr.Scores[n.ID][i])
		}
		rows[i] = row
	}
	sort.SliceStable(rows, func(a, b int) bool {
		ra, rb := rows[a].Rank, rows[b].Rank
		if ra == 0 || rb == 0 {
			return rb == 0 && ra != 0
		}
		return ra < rb
	})
	return rows
}

// runRequest is the body of POST /api/v1/index/run, as JSON or as a form.
type runRequest struct {
	Framework     string `json:"framework"`      // built-in or stored framework id
	FrameworkYAML string `json:"framework_yaml"` // or the framework itself
	Data          string `json:"data"`           // CSV text (long or wide)
	Dataset       int64  `json:"dataset"`        // or a stored dataset id
	// Source "monitor" reads the framework's monitoring-sourced
	// indicators from the monitoring module (data or dataset, if given,
	// fill the rest); "dataset" uses data or dataset only. Empty: monitor
	// when neither data nor dataset is given and the monitoring data cover
	// those indicators for every unit in the year asked for (or any year).
	Source string   `json:"source"`
	Units  []string `json:"units"` // units of a monitoring run (default: the 18 cities)
	Year   int      `json:"year"`
	MC     int      `json:"mc"`
	Seed   uint64   `json:"seed"`
}

func parseRunRequest(r *http.Request) (runRequest, error) {
	var q runRequest
	if kit.IsJSON(r) {
		dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20))
		if err := dec.Decode(&q); err != nil {
			return q, i18n.Errorf("请求体不是有效的 JSON：%v", "the request body is not valid JSON: %v", err)
		}
		return q, nil
	}
	q.Framework = r.FormValue("framework")
	q.FrameworkYAML = r.FormValue("framework_yaml")
	q.Data = r.FormValue("data")
	q.Source = r.FormValue("source")
	if u := strings.TrimSpace(r.FormValue("units")); u != "" {
		for _, c := range strings.Split(u, ",") {
			if c = strings.TrimSpace(c); c != "" {
				q.Units = append(q.Units, c)
			}
		}
	}
	for _, f := range []struct {
		name string
		dst  any
	}{{"dataset", &q.Dataset}, {"year", &q.Year}, {"mc", &q.MC}, {"seed", &q.Seed}} {
		v := r.FormValue(f.name)
		if v == "" {
			continue
		}
		var err error
		switch d := f.dst.(type) {
		case *int64:
			*d, err = strconv.ParseInt(v, 10, 64)
		case *int:
			*d, err = strconv.Atoi(v)
		case *uint64:
			*d, err = strconv.ParseUint(v, 10, 64)
		}
		if err != nil {
			return q, i18n.Errorf("参数 %s 不是整数：%q", "parameter %s is not an integer: %q", f.name, v).OnField(f.name)
		}
	}
	return q, nil
}

// loadFramework loads a framework by key; unknown keys are user errors.
func (h handlers) loadFramework(ctx context.Context, key string) (*evaluate.Framework, error) {
	sf, err := evalstore.Framework(ctx, h.k.DB, key)
	if errors.Is(err, evalstore.ErrNotFound) {
		return nil, i18n.Errorf("没有指标体系 %q", "no framework %q", key).OnField("framework")
	}
	if err != nil {
		return nil, err
	}
	return sf.Framework, nil
}

// loadDataset loads a stored dataset; unknown ids are user errors.
func (h handlers) loadDataset(ctx context.Context, id int64) (*evaluate.Dataset, error) {
	d, err := evalstore.LoadDataset(ctx, h.k.DB, id)
	if errors.Is(err, evalstore.ErrNotFound) {
		return nil, i18n.Errorf("没有编号为 %d 的数据集", "no dataset %d", id).OnField("dataset")
	}
	return d, err
}

// indexRun is a computed index for the API and the pages.
type indexRun struct {
	Result *evaluate.Result   `json:"result"`
	MC     *evaluate.MCResult `json:"monte_carlo,omitempty"`
	Year   int                `json:"year"`
	Names  map[string]string  `json:"names"`
	// Sources says, per indicator, where the figures of a monitoring run
	// came from (monitor, dataset, both, none).
	Sources map[string]string `json:"sources,omitempty"`
}

// runIndex runs fw on d; with mc > 0 also the Monte Carlo analysis for year.
func runIndex(fw *evaluate.Framework, d *evaluate.Dataset, year, mc int, seed uint64) (*indexRun, error) {
	if year != 0 && !slices.Contains(d.Years, year) {
		return nil, i18n.Errorf("数据中没有 %d 年", "the data have no year %d", year).OnField("year")
	}
	if year == 0 {
		year = d.Years[len(d.Years)-1]
	}
	if mc < 0 || mc > maxMCSamples {
		return nil, i18n.Errorf("蒙特卡罗样本数须在 0–%d 之间", "Monte Carlo samples must be 0–%d", maxMCSamples).OnField("mc")
	}
	res, err := evaluate.Run(fw, d, evaluate.Options{})
	if err != nil {
		return nil, err
	}
	out := &indexRun{Result: res, Year: year}
	if mc > 0 {
		if seed == 0 {
			seed = 1
		}
		m, err := evaluate.MonteCarlo(fw, d, evaluate.Options{}, evaluate.MCOptions{Samples: mc, Seed: seed, Year: year})
		if err != nil {
			return nil, err
		}
		out.MC = m
	}
	return out, nil
}

// apiIndexRun: POST /api/v1/index/run — run a framework (id or YAML) on
// data (CSV text or stored dataset id), restricted to the caller's units.
func (h handlers) apiIndexRun(w http.ResponseWriter, r *http.Request) error {
	q, err := parseRunRequest(r)
	if err != nil {
		return err
	}
	var fw *evaluate.Framework
	switch {
	case q.FrameworkYAML != "":
		if fw, err = evaluate.ParseFramework(strings.NewReader(q.FrameworkYAML)); err != nil {
			return err
		}
	case q.Framework != "":
		if fw, err = h.loadFramework(r.Context(), q.Framework); err != nil {
			return err
		}
	default:
		return i18n.Errorf("缺少指标体系（framework 或 framework_yaml）", "a framework is required (framework or framework_yaml)").OnField("framework")
	}
	in := evalstore.RunInput{Framework: fw, Source: q.Source, Units: q.Units, Year: q.Year, Scopes: kit.Principal(r).Scopes(indexRoles...)}
	var ownerPath string // a stored dataset's owner
	switch {
	case q.Data != "":
		d, err := evalstore.ReadUpload("data.csv", strings.NewReader(q.Data))
		if err != nil {
			return err
		}
		in.Dataset = evalstore.Static{Data: d}
	case q.Dataset != 0:
		info, err := evalstore.GetDataset(r.Context(), h.k.DB, q.Dataset)
		if err != nil {
			if errors.Is(err, evalstore.ErrNotFound) {
				err = i18n.Errorf("没有编号为 %d 的数据集", "no dataset %d", q.Dataset).OnField("dataset")
			}
			return err
		}
		in.Dataset = evalstore.Stored{DB: h.k.DB, ID: q.Dataset}
		ownerPath = info.OrgPath
	}
	if in.Source == "" && in.Dataset != nil {
		in.Source = evalstore.FromDataset // data given: they are what the caller asks for
	}
	run, err := evalstore.ResolveRun(r.Context(), h.k.DB, in)
	if err == nil && run.Source == evalstore.FromMonitor {
		err = run.Complete(fw)
	}
	if err != nil {
		return err
	}
	d, sources := run.Data, run.From
	d, units, ok, err := h.scopeData(r, d, indexRoles, ownerPath)
	if err != nil {
		return err
	}
	if !ok {
		return kit.ErrOutside
	}
	out, err := runIndex(fw, d, q.Year, q.MC, q.Seed)
	if err != nil {
		return err
	}
	out.Sources = sources
	out.Names = map[string]string{}
	for _, c := range d.Units {
		out.Names[c] = unitName(units, c, kit.Lang(r))
	}
	return kit.JSON(w, http.StatusOK, out)
}

func fmtValue(v evaluate.Value) string {
	if v.IsMissing() || math.IsInf(float64(v), 0) {
		return "—"
	}
	return fmt.Sprintf("%.1f", math.Round(float64(v)*10)/10+0) // +0: no "-0.0"
}

package evaluate

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

type runView struct {
	Frameworks []evalstore.FrameworkInfo
	Datasets   []evalstore.DatasetInfo
	FW, B      string
	DS         int64
	Year, MC   int
	Years      []int
	Run        *indexRun
	Subs       []evaluate.NodeInfo
	Rows       []rankRow
	Chart      map[string]any // rank intervals (when MC ran)
	Sobol      []evaluate.SobolIndex
	Compare    []compareRow
	NameA      i18n.Text
	NameB      i18n.Text
	Dropped    int // units left out because they are outside the caller's scope
}

type compareRow struct {
	Unit, Name     string
	ScoreA, ScoreB evaluate.Value
	RankA, RankB   int
	Change         int // RankA − RankB: positive = moves up under B
}

// runForm reads the common query of the run and compare pages.
func (h handlers) runForm(r *http.Request) (runView, error) {
	var v runView
	var err error
	if v.Frameworks, err = evalstore.Frameworks(r.Context(), h.k.DB); err != nil {
		return v, err
	}
	if v.Datasets, err = evalstore.Datasets(r.Context(), h.k.DB); err != nil {
		return v, err
	}
	q := r.URL.Query()
	v.FW, v.B = q.Get("fw"), q.Get("b")
	v.DS, _ = strconv.ParseInt(q.Get("ds"), 10, 64)
	v.Year, _ = strconv.Atoi(q.Get("year"))
	v.MC, _ = strconv.Atoi(q.Get("mc"))
	return v, nil
}

// scopedDataset loads a stored dataset restricted to the caller's units,
// with the number of rows left out; none left is a refusal.
func (h handlers) scopedDataset(r *http.Request, id int64) (*evaluate.Dataset, map[string]orgunit.Unit, int, error) {
	d, err := h.loadDataset(r.Context(), id)
	if err != nil {
		return nil, nil, 0, err
	}
	info, err := evalstore.GetDataset(r.Context(), h.k.DB, id)
	if err != nil {
		return nil, nil, 0, err
	}
	n := len(d.Units)
	d, units, ok, err := h.scopeData(r, d, indexRoles, info.OrgPath)
	if err != nil {
		return nil, nil, 0, err
	}
	if !ok {
		return nil, nil, 0, kit.ErrOutside
	}
	return d, units, n - len(d.Units), nil
}

// evalRun: GET /evaluate/run?fw=&ds=&year=&mc= — run a framework on a
// dataset: ranking, sub-indices and, with mc, rank intervals.
func (h handlers) evalRun(w http.ResponseWriter, r *http.Request) error {
	v, err := h.runForm(r)
	if err != nil {
		return err
	}
	if v.FW != "" && v.DS != 0 {
		fw, err := h.loadFramework(r.Context(), v.FW)
		if err != nil {
			return err
		}
		d, units, dropped, err := h.scopedDataset(r, v.DS)
		if err != nil {
			return err
		}
		v.Dropped, v.Years = dropped, d.Years
		run, err := runIndex(fw, d, v.Year, v.MC, 1)
		if err != nil {
			return err
		}
		v.Run, v.Year, v.Subs = run, run.Year, subNodes(run.Result)
		v.Rows = ranking(run.Result, run.Year, units, kit.Lang(r))
		if run.MC != nil {
			v.Sobol = run.MC.Sobol
			v.Chart = intervalChart(run.MC, units, kit.Lang(r))
		}
	}
	return h.k.Render(w, r, h.pages, "run", http.StatusOK, kit.View{Title: kit.T(r, "evaluate.run"), Nav: "evaluate", Data: v})
}

// intervalChart draws rank intervals (5–95 %) as boxes with the median,
// and the nominal rank as a point, units ordered by nominal rank.
func intervalChart(mc *evaluate.MCResult, units map[string]orgunit.Unit, lang string) map[string]any {
	iv := slices.Clone(mc.Intervals)
	sort.SliceStable(iv, func(a, b int) bool { return iv[a].Nominal < iv[b].Nominal })
	var names []string
	var boxes, nominal [][]any
	for i, x := range iv {
		if x.Nominal == 0 {
			continue
		}
		names = append(names, unitName(units, x.Unit, lang))
		boxes = append(boxes, []any{x.P5, x.P5, x.Median, x.P95, x.P95})
		nominal = append(nominal, []any{i, x.Nominal})
	}
	t := func(zh, en string) string {
		if strings.HasPrefix(lang, "en") {
			return en
		}
		return zh
	}
	return map[string]any{
		"title":   map[string]any{"text": t("排名不确定性（5%–95% 区间与中位数）", "Rank uncertainty (5–95 % interval and median)"), "left": "center", "textStyle": map[string]any{"fontSize": 14}},
		"tooltip": map[string]any{"trigger": "item"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 50, "right": 20, "bottom": 90, "top": 40},
		"xAxis":   map[string]any{"type": "category", "data": names, "axisLabel": map[string]any{"rotate": 60, "interval": 0}},
		"yAxis":   map[string]any{"type": "value", "inverse": true, "min": 1, "name": t("排名", "Rank")},
		"series": []any{
			map[string]any{"name": t("排名区间", "Rank interval"), "type": "boxplot", "data": boxes, "itemStyle": map[string]any{"color": "#e6f0fa", "borderColor": "#0b5cad"}},
			map[string]any{"name": t("名义排名", "Nominal rank"), "type": "scatter", "data": nominal, "symbolSize": 7, "itemStyle": map[string]any{"color": "#b42318"}},
		},
	}
}

// evalCompare: GET /evaluate/compare?fw=A&b=B&ds=&year= — two weighting
// schemes side by side with the rank change.
func (h handlers) evalCompare(w http.ResponseWriter, r *http.Request) error {
	v, err := h.runForm(r)
	if err != nil {
		return err
	}
	if v.FW != "" && v.B != "" && v.DS != 0 {
		fa, err := h.loadFramework(r.Context(), v.FW)
		if err != nil {
			return err
		}
		fb, err := h.loadFramework(r.Context(), v.B)
		if err != nil {
			return err
		}
		d, units, dropped, err := h.scopedDataset(r, v.DS)
		if err != nil {
			return err
		}
		v.Dropped, v.Years = dropped, d.Years
		ra, err := runIndex(fa, d, v.Year, 0, 0)
		if err != nil {
			return err
		}
		rb, err := runIndex(fb, d, ra.Year, 0, 0)
		if err != nil {
			return err
		}
		v.Year, v.NameA, v.NameB = ra.Year, fa.Name, fb.Name
		ya, yb := yearResult(ra.Result, ra.Year), yearResult(rb.Result, ra.Year)
		for i, c := range d.Units {
			row := compareRow{Unit: c, Name: unitName(units, c, kit.Lang(r)),
				ScoreA: ya.Scores[ra.Result.Root][i], ScoreB: yb.Scores[rb.Result.Root][i],
				RankA: ya.Ranks[ra.Result.Root][i], RankB: yb.Ranks[rb.Result.Root][i]}
			if row.RankA > 0 && row.RankB > 0 {
				row.Change = row.RankA - row.RankB
			}
			v.Compare = append(v.Compare, row)
		}
		sort.SliceStable(v.Compare, func(a, b int) bool {
			x, y := v.Compare[a].RankA, v.Compare[b].RankA
			return x != 0 && (y == 0 || x < y)
		})
	}
	return h.k.Render(w, r, h.pages, "compare", http.StatusOK, kit.View{Title: kit.T(r, "evaluate.compare"), Nav: "evaluate", Data: v})
}

type datasetsView struct {
	Datasets []evalstore.DatasetInfo
	CanEdit  bool
	Form     struct{ Name, Note, Org, CSV string }
}

// evalDatasets: GET /evaluate/datasets — list and upload form.
func (h handlers) evalDatasets(w http.ResponseWriter, r *http.Request) error {
	var v datasetsView
	v.Form.Org = kit.Principal(r).Home()
	return h.renderDatasets(w, r, http.StatusOK, v, nil)
}

func (h handlers) renderDatasets(w http.ResponseWriter, r *http.Request, status int, v datasetsView, formErr error) error {
	list, err := evalstore.Datasets(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	v.Datasets, v.CanEdit = list, kit.Principal(r).Has(editRoles...)
	view := kit.View{Title: kit.T(r, "evaluate.datasets"), Nav: "evaluate", Data: v}
	if ue, ok := kit.UserError(formErr); ok {
		view.Error = ue.Message(kit.Lang(r))
		view.Errors = []*i18n.Error{ue}
	} else if formErr != nil {
		return formErr
	}
	return h.k.Render(w, r, h.pages, "datasets", status, view)
}

// maxUploadBytes bounds an uploaded dataset file.
const maxUploadBytes = 32 << 20

// evalDatasetUpload: POST /evaluate/datasets — a CSV/XLSX file (field
// file) or pasted CSV (field csv), named, owned by unit org.
func (h handlers) evalDatasetUpload(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	var v datasetsView
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return h.renderDatasets(w, r, http.StatusBadRequest, v, i18n.Errorf("上传失败：%v", "upload failed: %v", err))
		}
	}
	v.Form.Name = strings.TrimSpace(r.PostFormValue("name"))
	v.Form.Note = strings.TrimSpace(r.PostFormValue("note"))
	v.Form.Org = strings.TrimSpace(r.PostFormValue("org"))
	if v.Form.Org == "" {
		v.Form.Org = kit.Principal(r).Home()
	}
	unit, err := orgunit.Get(r.Context(), h.k.DB, v.Form.Org)
	if err != nil {
		return h.renderDatasets(w, r, http.StatusBadRequest, v, i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", v.Form.Org).OnField("org"))
	}
	if err := h.covers(r, unit.Path, editRoles); err != nil {
		return err
	}
	var d *evaluate.Dataset
	if f, fh, ferr := r.FormFile("file"); ferr == nil {
		defer f.Close()
		d, err = evalstore.ReadUpload(fh.Filename, f)
		if v.Form.Name == "" {
			v.Form.Name = strings.TrimSuffix(fh.Filename, fileExt(fh.Filename))
		}
	} else if text := r.PostFormValue("csv"); text != "" {
		v.Form.CSV = text
		d, err = evalstore.ReadUpload("data.csv", strings.NewReader(text))
	} else if errors.Is(ferr, http.ErrMissingFile) || errors.Is(ferr, http.ErrNotMultipart) {
		err = i18n.Errorf("请选择 CSV 或 XLSX 文件，或粘贴 CSV 文本", "choose a CSV or XLSX file, or paste CSV text").OnField("file")
	} else {
		err = ferr
	}
	if err != nil {
		return h.renderDatasets(w, r, http.StatusBadRequest, v, err)
	}
	info, err := evalstore.SaveDataset(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), v.Form.Name, v.Form.Note, unit.Path, false, d)
	if err != nil {
		return h.renderDatasets(w, r, http.StatusBadRequest, v, err)
	}
	return kit.Redirect(w, r, "/evaluate/datasets/"+strconv.FormatInt(info.ID, 10)+"?flash=evaluate_uploaded")
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

type datasetView struct {
	Info      evalstore.DatasetInfo
	CanDelete bool
	Year      int
	Years     []int
	Series    []string
	Rows      []datasetRow
	Dropped   int
	More      int
}

type datasetRow struct {
	Unit, Name string
	Values     []string
}

// evalDataset: GET /evaluate/datasets/{id}?year= — the values of one year
// for the units in the caller's scope.
func (h handlers) evalDataset(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	info, err := evalstore.GetDataset(r.Context(), h.k.DB, id)
	if err != nil {
		return err
	}
	d, units, dropped, err := h.scopedDataset(r, id)
	if err != nil {
		return err
	}
	v := datasetView{Info: info, Years: d.Years, Series: d.Series, Dropped: dropped, CanDelete: kit.Principal(r).Covers(info.OrgPath, deleteRoles...)}
	v.Year, _ = strconv.Atoi(r.URL.Query().Get("year"))
	if !slices.Contains(d.Years, v.Year) {
		v.Year = d.Years[len(d.Years)-1]
	}
	const maxRows = 300
	for i, u := range d.Units {
		if i == maxRows {
			v.More = len(d.Units) - maxRows
			break
		}
		row := datasetRow{Unit: u, Name: unitName(units, u, kit.Lang(r))}
		for _, sr := range d.Series {
			row.Values = append(row.Values, rawValue(d.Value(u, v.Year, sr)))
		}
		v.Rows = append(v.Rows, row)
	}
	return h.k.Render(w, r, h.pages, "dataset", http.StatusOK, kit.View{Title: info.Name, Nav: "evaluate", Data: v})
}

// rawValue prints a data value with up to six significant digits.
func rawValue(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

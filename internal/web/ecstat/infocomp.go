package ecstat

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/i18n"
	"zhihui/internal/module"
	"zhihui/internal/web/kit"
)

// The composition of information consumption: which survey items and
// which published series of monitoring make up information goods and
// information services. The office of the province changes it on its
// page or through the API; readers see it on the information-consumption
// page.

type compRow struct {
	N          int
	Part       dom.InfoPart
	New        bool
	Sources    []choiceGroup
	Categories []choice
}

type choiceGroup struct {
	Label   string
	Choices []choice
}

type compView struct {
	Rows    []compRow
	CanEdit bool
}

// sourceValue names a part's source in the editor: "survey:CODE" or
// "published:CODE".
func sourceValue(p dom.InfoPart) string {
	if p.Code == "" {
		return ""
	}
	return p.Kind + ":" + p.Code
}

func (h handlers) composition(w http.ResponseWriter, r *http.Request) error {
	parts, err := dom.InfoComposition(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return h.renderComposition(w, r, http.StatusOK, parts, nil)
}

func (h handlers) renderComposition(w http.ResponseWriter, r *http.Request, status int, parts []dom.InfoPart, errs []*i18n.Error) error {
	ctx := r.Context()
	lang := kit.Lang(r)
	items, err := dom.InfoItems(ctx, h.k.DB)
	if err != nil {
		return err
	}
	series, err := dom.InfoSeries(ctx, h.k.DB)
	if err != nil {
		return err
	}
	v := compView{CanEdit: coversProvince(r)}
	row := func(i int, p dom.InfoPart, isNew bool) compRow {
		sel := sourceValue(p)
		cr := compRow{N: i, Part: p, New: isNew}
		none := []choice{{"", "—", sel == ""}}
		cr.Sources = append(cr.Sources, choiceGroup{Label: "", Choices: none})
		var sv, pv []choice
		for _, it := range items {
			val := dom.FromSurvey + ":" + it.Code
			sv = append(sv, choice{val, it.Code + " " + it.DisplayName(lang), val == sel})
		}
		for _, e := range series {
			val := dom.FromMonitor + ":" + e.Code
			pv = append(pv, choice{val, e.Code + " " + i18n.Text{Zh: e.Name, En: e.NameEn}.In(lang), val == sel})
		}
		cr.Sources = append(cr.Sources, choiceGroup{kit.T(r, "ecstat.info.from.survey"), sv}, choiceGroup{kit.T(r, "ecstat.info.from.published"), pv})
		for _, c := range dom.InfoCategories {
			cr.Categories = append(cr.Categories, choice{c, kit.T(r, "ecstat.info.cat."+c), c == p.Category})
		}
		return cr
	}
	for i, p := range parts {
		v.Rows = append(v.Rows, row(i, p, false))
	}
	if v.CanEdit {
		v.Rows = append(v.Rows, row(len(parts), dom.InfoPart{Category: dom.InfoServicesCategory}, true))
	}
	return h.render(w, r, "infocomp", status, kit.T(r, "ecstat.info.comp_title"), v, errs)
}

// compositionForm reads the editor's rows: part_source_N ("kind:CODE"),
// part_category_N, part_name_N, part_name_en_N; a row marked for deletion
// or without a source is dropped.
func compositionForm(v url.Values) []dom.InfoPart {
	var parts []dom.InfoPart
	for i := 0; i < dom.MaxInfoParts+5; i++ {
		k := strconv.Itoa(i)
		if !v.Has("part_source_" + k) {
			break
		}
		src := strings.TrimSpace(v.Get("part_source_" + k))
		if v.Get("part_delete_"+k) != "" || src == "" {
			continue
		}
		kind, code, _ := strings.Cut(src, ":")
		parts = append(parts, dom.InfoPart{Kind: kind, Code: code, Category: v.Get("part_category_" + k),
			Name: i18n.Text{Zh: v.Get("part_name_" + k), En: v.Get("part_name_en_" + k)}})
	}
	return parts
}

func (h handlers) saveComposition(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	parts := compositionForm(r.PostForm)
	err := dom.SaveInfoComposition(r.Context(), h.k.DB, kit.Actor(r), parts)
	if ue, ok := kit.UserError(err); ok {
		return h.renderComposition(w, r, http.StatusBadRequest, parts, []*i18n.Error{ue})
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/ecstat/infoconsumption?flash=ecstat_info_saved")
}

// apiComposition answers the composition: {"parts": [{"code", "kind",
// "category", "name", "source"}]}.
func (h handlers) apiComposition(w http.ResponseWriter, r *http.Request) error {
	parts, err := dom.InfoComposition(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"parts": parts})
}

// apiSaveComposition replaces the composition (office at the province):
// {"parts": [{"kind": "survey"|"published", "code", "category":
// "goods"|"services", "name": {"zh", "en"}}]}.
func (h handlers) apiSaveComposition(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	if !kit.IsJSON(r) {
		return i18n.Errorf("请以 application/json 发送构成", "send the composition as application/json")
	}
	var body struct {
		Parts []dom.InfoPart `json:"parts"`
	}
	if err := kit.DecodeJSON(r, &body); err != nil {
		return err
	}
	if err := dom.SaveInfoComposition(r.Context(), h.k.DB, kit.Actor(r), body.Parts); err != nil {
		return err
	}
	return h.apiComposition(w, r)
}

// apiInfoConsumption answers information consumption year by year
// (?from=YYYY&to=YYYY, default the page's span) with the composition.
func (h handlers) apiInfoConsumption(w http.ResponseWriter, r *http.Request) error {
	parts, years, err := h.infoYears(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, to := 0, 9999
	for _, x := range []struct {
		key string
		dst *int
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(x.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return i18n.Errorf("%s 应为年份：%q", "%s must be a year: %q", x.key, v).OnField(x.key)
			}
			*x.dst = n
		}
	}
	type partValue struct {
		Code  string   `json:"code"`
		Value *float64 `json:"value"`
		SE    float64  `json:"se,omitempty"`
		CV    float64  `json:"cv,omitempty"`
		Mark  string   `json:"mark,omitempty"`
	}
	type year struct {
		Year          int         `json:"year"`
		Survey        int64       `json:"survey,omitempty"`
		Parts         []partValue `json:"parts"`
		Goods         float64     `json:"goods"`
		Services      float64     `json:"services"`
		Total         float64     `json:"total"`
		Complete      bool        `json:"complete"`
		SE            float64     `json:"se"`
		CV            float64     `json:"cv"`
		Ecom          *float64    `json:"ecom_turnover,omitempty"`
		EcomPublished *float64    `json:"ecom_turnover_published,omitempty"`
		Target        *float64    `json:"target,omitempty"`
		TargetText    string      `json:"target_text,omitempty"`
		Met           *bool       `json:"met,omitempty"`
	}
	out := []year{}
	for _, y := range years {
		if y.Year < from || y.Year > to {
			continue
		}
		o := year{Year: y.Year, Goods: y.Goods, Services: y.Services, Total: y.Total, Complete: y.Complete, SE: y.SE, CV: y.CV,
			Ecom: y.Ecom, EcomPublished: y.EcomPublished, Met: y.Met}
		if y.Survey != nil {
			o.Survey = y.Survey.ID
		}
		if y.Target != nil {
			o.Target, o.TargetText = y.Target.Value, y.Target.Display
		}
		for i, p := range y.Parts {
			o.Parts = append(o.Parts, partValue{Code: parts[i].Code, Value: p.Value, SE: p.SE, CV: p.CV, Mark: p.Mark})
		}
		out = append(out, o)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"unit": "亿元", "composition": parts, "years": out})
}

// compAuthzCases are the rows of the composition's page, its post and
// the API: readers see, the office of the province changes.
func compAuthzCases() []module.AuthzCase {
	const see, un, ok = http.StatusSeeOther, http.StatusUnauthorized, http.StatusOK
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/infoconsumption/composition", Request: module.Get("/ecstat/infoconsumption/composition"), Want: module.AnyRole(ok, see, Readers...)},
		{Pattern: "POST /ecstat/infoconsumption/composition", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/infoconsumption/composition", url.Values{"part_source_0": {"survey:INFO_GOODS"}, "part_category_0": {"goods"}}
		}, Want: province(un)},
		{Pattern: "GET /api/v1/infoconsumption", Request: module.Get("/api/v1/infoconsumption?from=2015&to=2016"), Want: module.AnyRole(ok, un, Readers...)},
		{Pattern: "GET /api/v1/infoconsumption/composition", Request: module.Get("/api/v1/infoconsumption/composition"), Want: module.AnyRole(ok, un, Readers...)},
		{Pattern: "POST /api/v1/infoconsumption/composition", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/infoconsumption/composition", url.Values{}
		}, Want: province(un)},
	}
}

package ecstat

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/i18n"
	"zhihui/internal/period"
	"zhihui/internal/web/kit"
)

// queryValues parses the query string like url.ParseQuery but keeps ';'
// inside values, which the DHIS2-style ou=41;LEVEL-3 uses and ParseQuery
// rejects (it drops the whole pair).
func queryValues(r *http.Request) url.Values {
	out := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		out.Add(k, v)
	}
	return out
}

type apiSurvey struct {
	*dom.Survey
	Drawn    bool `json:"drawn"`
	Sampled  int  `json:"sampled"`
	Returned int  `json:"returned"`
}

func (h handlers) apiSurveys(w http.ResponseWriter, r *http.Request) error {
	surveys, err := dom.Surveys(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	out := []apiSurvey{}
	for _, s := range surveys {
		p, err := dom.SurveyProgress(r.Context(), h.k.DB, s.ID, scopes(r, Viewers...))
		if err != nil {
			return err
		}
		_, derr := dom.GetDesign(r.Context(), h.k.DB, s.ID)
		out = append(out, apiSurvey{Survey: s, Drawn: derr == nil, Sampled: p.Sampled, Returned: p.Returned})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"surveys": out})
}

func (h handlers) apiCreateSurvey(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	var n dom.NewSurvey
	if kit.IsJSON(r) {
		if err := kit.DecodeJSON(r, &n); err != nil {
			return err
		}
	} else {
		n = dom.NewSurvey{Name: r.PostFormValue("name"), Period: r.PostFormValue("period")}
	}
	id, err := dom.CreateSurvey(r.Context(), h.k.DB, kit.Actor(r), n)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"id": id})
}

// apiEstimates answers ?item=ITEM&ou=41;LEVEL-2 (cities) or LEVEL-3
// (counties), or ?by=section; ?estimator=ht|ratio.
func (h handlers) apiEstimates(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	q := queryValues(r)
	by := q.Get("by")
	if by == "" {
		by = dom.ByCity
		for _, part := range strings.Split(q.Get("ou"), ";") {
			if strings.EqualFold(part, "LEVEL-3") {
				by = dom.ByCounty
			}
		}
	}
	item := q.Get("item")
	if item == "" {
		return i18n.Errorf("请给出推算项目 item", "give the item to estimate").OnField("item")
	}
	res, err := h.estimate(r, s, item, by, q.Get("estimator"))
	if err != nil {
		return err
	}
	units := []apiCell{{res.Province, markText(r, res.Province)}}
	for _, c := range res.Cells {
		units = append(units, apiCell{c, markText(r, c)})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"survey": s.ID, "period": s.Period(), "item": res.Target.Code, "unit": res.Unit,
		"estimator": res.Estimator, "respondents": res.Respondents, "sampled": res.Sampled, "units": units})
}

// apiCell is an estimate with its precision mark in the reader's
// language: "note" says why a cell is to be used with caution (CV above
// 15 %) or suppressed (fewer than 3 respondents, CV above 30 %), beside
// the codes "mark" and "reason".
type apiCell struct {
	dom.Cell
	Note string `json:"note,omitempty"`
}

// apiPublication is a publication with the reason each city or county
// was left out in the reader's language.
type apiPublication struct {
	dom.Publication
	Suppressed []apiSuppressed `json:"suppressed"`
}

type apiSuppressed struct {
	dom.Suppressed
	Note string `json:"note"`
}

func publicationsOf(r *http.Request, pubs []dom.Publication) []apiPublication {
	out := make([]apiPublication, 0, len(pubs))
	for _, p := range pubs {
		ap := apiPublication{Publication: p, Suppressed: []apiSuppressed{}}
		for _, x := range p.Suppressed {
			ap.Suppressed = append(ap.Suppressed, apiSuppressed{x, kit.T(r, "ecstat.mark.suppressed_"+x.Reason)})
		}
		out = append(out, ap)
	}
	return out
}

// apiPublications lists what the survey has published into monitoring,
// newest first, each city or county left out with the reason.
func (h handlers) apiPublications(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	pubs, err := dom.Publications(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"survey": s.ID, "publications": publicationsOf(r, pubs)})
}

// apiPublish publishes the survey's estimates into monitoring as the
// results page's button does: {"estimator": "ratio"|"ht"} (ratio when
// absent); answers what was written.
func (h handlers) apiPublish(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	est := r.PostFormValue("estimator")
	if kit.IsJSON(r) {
		var body struct {
			Estimator string `json:"estimator"`
		}
		if err := kit.DecodeJSON(r, &body); err != nil {
			return err
		}
		est = body.Estimator
	}
	if est != "" && est != dom.Ratio && est != dom.HT {
		return i18n.Errorf("估计量应为 ratio 或 ht：%q", "the estimator must be ratio or ht: %q", est).OnField("estimator")
	}
	pubs, err := dom.Publish(r.Context(), h.k.DB, kit.Actor(r), s, est)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"survey": s.ID, "publications": publicationsOf(r, pubs)})
}

func (h handlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	year := time.Now().In(period.Shanghai).Year()
	if y := q.Get("year"); y != "" {
		v, err := strconv.Atoi(y)
		if err != nil {
			return i18n.Errorf("年度应为整数：%q", "the year must be a whole number: %q", y).OnField("year")
		}
		year = v
	}
	dry := q.Get("dryRun") == "true" || q.Get("dryRun") == "1"
	name := "register.csv"
	body := r.Body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return i18n.Errorf("请上传文件字段 file", "upload the file as field file").OnField("file")
		}
		defer f.Close()
		name, body = hdr.Filename, f
	} else if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		return i18n.Errorf("请以 text/csv 或 multipart/form-data 上传名录文件", "send the register as text/csv or multipart/form-data")
	}
	res, err := dom.ImportRegister(r.Context(), h.k.DB, kit.Actor(r), name, body, dom.ImportOptions{Year: year, Scopes: scopes(r, Offices...), DryRun: dry})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !res.OK() {
		status = http.StatusBadRequest
	}
	return kit.JSON(w, status, res)
}

func (h handlers) apiSample(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	var spec dom.DesignSpec
	if kit.IsJSON(r) {
		var body struct {
			Seed   uint64  `json:"seed"`
			CV     float64 `json:"cv_target"`
			N      int     `json:"n"`
			Method string  `json:"method"`
			Keep   float64 `json:"keep"`
			From   int64   `json:"rotate_from"`
		}
		if err := kit.DecodeJSON(r, &body); err != nil {
			return err
		}
		spec = dom.DesignSpec{Method: body.Method, N: body.N, CV: body.CV, Seed: body.Seed, Keep: body.Keep, RotateFrom: body.From}
	} else {
		var ue *i18n.Error
		if spec, ue = specOf(r.PostForm); ue != nil {
			return ue
		}
	}
	if spec.Method == "" && spec.CV == 0 {
		spec.Method = dom.Proportional
	}
	d, err := dom.Draw(r.Context(), h.k.DB, kit.Actor(r), s, spec)
	if err != nil {
		return err
	}
	sel, err := dom.Sample(r.Context(), h.k.DB, s.ID, []string{root}, 0)
	if err != nil {
		return err
	}
	type out struct {
		CreditCode string  `json:"credit_code"`
		Name       string  `json:"name"`
		OrgCode    string  `json:"org_code"`
		Stratum    string  `json:"stratum"`
		Weight     float64 `json:"weight"`
		Certainty  bool    `json:"certainty"`
	}
	list := make([]out, 0, len(sel))
	for _, x := range sel {
		list = append(list, out{x.CreditCode, x.Name, x.OrgCode, x.Stratum, x.Weight, x.Certainty})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"frame_size": d.FrameSize, "sample_size": d.SampleSize, "certainty": d.Certainty,
		"predicted_cv": d.PredictedCV, "seed": d.Seed, "method": d.Method, "selected": list})
}

// apiResponses stores the answers of each enterprise named (every item of
// the form, as for the page): a JSON list of {credit_code, period, item,
// value, reason}, or one enterprise's form fields with credit_code (and
// reason_N for edit N, as the page sends them). A reason keeps an answer
// an edit of severity warning questions; without one the answer is
// refused with code edit_warning on the item.
func (h handlers) apiResponses(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	var lines []dom.ResponseLine
	if kit.IsJSON(r) {
		if err := kit.DecodeJSON(r, &lines); err != nil {
			return err
		}
	} else {
		code := r.PostFormValue("credit_code")
		reasons := map[string]string{}
		for no, x := range formReasons(s, r.PostForm) {
			reasons[s.Edits[no].Left] = x
		}
		for _, it := range s.Items {
			lines = append(lines, dom.ResponseLine{CreditCode: code, Item: it.Code, Value: r.PostForm.Get(it.Code), Reason: reasons[it.Code]})
		}
	}
	res, err := dom.SubmitLines(r.Context(), h.k.DB, kit.Actor(r), s, lines, func(e dom.Enterprise) (bool, error) {
		_, _, behalf, err := h.access(r, s, e.ID)
		return behalf, err
	})
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, res)
}

// apiForm answers the survey's items and edits (each described in both
// languages) and whether answers lock them.
func (h handlers) apiForm(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	f, err := dom.GetFormSpec(r.Context(), h.k.DB, s)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, f)
}

// apiSaveForm replaces the survey's edits, and its items when the body
// gives them ({"items": [...], "edits": [...]}), while nobody has
// answered it: the editor's API.
func (h handlers) apiSaveForm(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	var body struct {
		Items *[]dom.Item `json:"items"`
		Edits []dom.Edit  `json:"edits"`
	}
	if !kit.IsJSON(r) {
		return i18n.Errorf("请以 application/json 发送调查表", "send the form as application/json")
	}
	if err := kit.DecodeJSON(r, &body); err != nil {
		return err
	}
	items := s.Items
	if body.Items != nil {
		items = *body.Items
	}
	if err := dom.SaveForm(r.Context(), h.k.DB, kit.Actor(r), s.ID, items, body.Edits); err != nil {
		return err
	}
	s, err = dom.GetSurvey(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	f, err := dom.GetFormSpec(r.Context(), h.k.DB, s)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, f)
}

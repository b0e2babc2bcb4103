package calls

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of calls and applications: the same permissions as the
// pages, every object checked against the caller's units. Write routes
// take JSON, or form values as the pages post them.

func (h handlers) apiCalls(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.svc.Calls(r.Context(), scopes(r, Viewers))
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"calls": cs})
}

// apiNewCall is a call as the API receives it: the criteria as text, one
// "名称 权重" a line, or as a list of {name, weight}.
type apiNewCall struct {
	Kind        string          `json:"kind"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Org         string          `json:"org"`
	Levels      []string        `json:"levels"`
	Categories  []string        `json:"categories"`
	Deadline    string          `json:"deadline"`
	Criteria    json.RawMessage `json:"criteria"`
	Field       string          `json:"field"`
	PanelSize   int             `json:"panel_size"`
}

// criteriaText reads the criteria of a JSON call as ParseCriteria's text.
func criteriaText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		return text, nil
	}
	var cs []dom.Criterion
	if err := json.Unmarshal(raw, &cs); err != nil {
		return "", i18n.Errorf("评分项应为文本（每行“名称 权重”）或 [{\"name\",\"weight\"}] 列表", `criteria must be text ("name weight" a line) or a list of {"name","weight"}`).OnField("criteria")
	}
	return dom.CriteriaText(cs), nil
}

func (h handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var nc dom.NewCall
	if kit.IsJSON(r) {
		var b apiNewCall
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
		crit, err := criteriaText(b.Criteria)
		if err != nil {
			return err
		}
		nc = dom.NewCall{Kind: b.Kind, Title: b.Title, Description: b.Description, Org: b.Org, Levels: b.Levels, Categories: b.Categories,
			Deadline: b.Deadline, Criteria: crit, Field: b.Field, PanelSize: b.PanelSize}
	} else {
		v := r.PostForm
		size, err := strconv.Atoi(strings.TrimSpace(v.Get("panel_size")))
		if err != nil {
			return i18n.Errorf("评审专家人数应为 3 至 15 的整数", "the panel size must be a whole number from 3 to 15").OnField("panel_size")
		}
		nc = dom.NewCall{Kind: v.Get("kind"), Title: v.Get("title"), Description: v.Get("description"), Org: v.Get("org"), Levels: v["levels"],
			Categories: v["categories"], Deadline: v.Get("deadline"), Criteria: v.Get("criteria"), Field: v.Get("field"), PanelSize: size}
	}
	id, err := h.svc.OpenCall(r.Context(), kit.Actor(r), scopes(r, Offices), nc)
	if err != nil {
		return refuse(err)
	}
	c, err := h.svc.CallFor(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"call": c})
}

func (h handlers) apiCall(w http.ResponseWriter, r *http.Request) error {
	c, err := h.callOf(r)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"call": c, "accepting": c.Accepting(h.svc.Today())})
}

// applicationsOf reads the call of the path and the applications to it
// the caller may read: all of them for the call's office, the caller's
// units' otherwise.
func (h handlers) applicationsOf(r *http.Request) (*dom.Call, []*dom.Application, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	c, apps, err := h.svc.ApplicationsOf(r.Context(), scopes(r, Viewers), scopes(r, Offices), id)
	return c, apps, refuse(err)
}

func (h handlers) apiApplications(w http.ResponseWriter, r *http.Request) error {
	c, apps, err := h.applicationsOf(r)
	if err != nil {
		return err
	}
	type row struct {
		*dom.Application
		MeetsRule bool      `json:"meets_rule"`
		Rule      i18n.Text `json:"rule"`
	}
	out := make([]row, 0, len(apps))
	for _, x := range apps {
		ok, why := dom.Eligible(c, x)
		out = append(out, row{Application: x, MeetsRule: ok, Rule: why})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"call": c.ID, "status": c.Status, "applications": out})
}

// apiApplication is an application as the API receives it; the document
// is optional, its content base64 in JSON.
type apiApplication struct {
	Unit     string `json:"unit"`
	Project  int64  `json:"project"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Document *struct {
		Name    string `json:"name"`
		Content []byte `json:"content"`
	} `json:"document"`
}

func (h handlers) apiApply(w http.ResponseWriter, r *http.Request) error {
	c, err := h.callOf(r)
	if err != nil {
		return err
	}
	var na dom.NewApplication
	if kit.IsJSON(r) {
		var b apiApplication
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
		na = dom.NewApplication{Unit: strings.TrimSpace(b.Unit), ProjectID: b.Project, Title: b.Title, Body: b.Body}
		if b.Document != nil {
			if int64(len(b.Document.Content)) > dom.MaxAppDocument {
				return i18n.Errorf("文件 %s 超过 %d MB", "the file %s is larger than %d MB", b.Document.Name, dom.MaxAppDocument>>20).OnField("document")
			}
			na.DocName, na.Doc = b.Document.Name, b.Document.Content
		}
	} else if na, _, err = applicationOf(r); err != nil {
		return err
	}
	id, err := h.svc.Apply(r.Context(), kit.Actor(r), scopes(r, Applicants), c.ID, na)
	if err != nil {
		return refuse(err)
	}
	x, _, err := h.svc.GetApplication(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"application": x})
}

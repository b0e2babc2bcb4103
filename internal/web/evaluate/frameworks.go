package evaluate

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

// treeItem is one line of a framework tree.
type treeItem struct {
	ID          string
	Name        i18n.Text
	Level       int
	Indicator   bool
	Parent      string
	Weight      string // nominal weight as shown
	WeightValue float64
	Editable    bool // weight set explicitly (an input on the edit page)
	Weighting   string
	Aggregation string
	Unit        string
	Direction   string
	Norm        string // normalisation method (evaluate.Norm*)
	NormRange   string // its fixed range, "20–100", when it has one
}

// ahpView is an AHP matrix on the edit page.
type ahpView struct {
	Node     string
	NodeName i18n.Text
	Labels   []string // the children's names in the reader's language (the live check)
	Order    []string
	Names    []i18n.Text
	Matrix   [][]string
	CR       float64
	Weights  []float64
	Err      *i18n.Error
}

// frameworkTree lists the tree in pre-order with nominal weights: explicit
// weights as written, equal weights as 1/n, AHP weights from the matrix;
// data-driven methods (entropy, PCA) say so.
func frameworkTree(fw *evaluate.Framework) ([]treeItem, []ahpView) {
	children := map[string][]treeItem{}
	nodes := map[string]evaluate.Node{}
	var root string
	for _, n := range fw.Nodes {
		nodes[n.ID] = n
		it := treeItem{ID: n.ID, Name: n.Name, Parent: n.Parent, Weighting: orDefault(n.Weighting, evaluate.WeightExplicit), Aggregation: orDefault(n.Aggregation, evaluate.AggArithmetic)}
		if n.Weight != nil {
			it.WeightValue = *n.Weight
		}
		if n.Parent == "" {
			root = n.ID
			continue
		}
		children[n.Parent] = append(children[n.Parent], it)
	}
	for _, in := range fw.Indicators {
		it := treeItem{ID: in.ID, Name: in.Name, Parent: in.Parent, Indicator: true, Unit: in.Unit, Direction: orDefault(in.Direction, "higher")}
		nm := fw.Normalisation
		if in.Normalisation != nil {
			nm = *in.Normalisation
		}
		it.Norm = nm.Method
		if nm.Min != nil && nm.Max != nil {
			it.NormRange = fmt.Sprintf("%g–%g", *nm.Min, *nm.Max)
		}
		if in.Weight != nil {
			it.WeightValue = *in.Weight
		}
		children[in.Parent] = append(children[in.Parent], it)
	}
	var ahps []ahpView
	var out []treeItem
	var walk func(id string, level int)
	walk = func(id string, level int) {
		n := nodes[id]
		kids := children[id]
		weighting := orDefault(n.Weighting, evaluate.WeightExplicit)
		var ahpW map[string]float64
		if weighting == evaluate.WeightAHP && n.AHP != nil {
			av := ahpView{Node: id, NodeName: n.Name, Order: n.AHP.Order}
			m := make([][]float64, len(n.AHP.Matrix))
			for i, row := range n.AHP.Matrix {
				m[i] = make([]float64, len(row))
				av.Matrix = append(av.Matrix, make([]string, len(row)))
				for j, v := range row {
					m[i][j] = float64(v)
					av.Matrix[i][j] = ratioText(float64(v))
				}
			}
			for _, o := range n.AHP.Order {
				name := i18n.Text{Zh: o, En: o}
				for _, k := range kids {
					if k.ID == o {
						name = k.Name
					}
				}
				av.Names = append(av.Names, name)
			}
			res, err := evaluate.AHP(m, id)
			if res != nil {
				av.CR, av.Weights = res.CR, res.Weights
				ahpW = map[string]float64{}
				for i, o := range n.AHP.Order {
					if i < len(res.Weights) {
						ahpW[o] = res.Weights[i]
					}
				}
			}
			var ee *i18n.Error
			if errors.As(err, &ee) {
				av.Err = ee
			}
			ahps = append(ahps, av)
		}
		budget := 0.0
		for _, v := range n.Budget {
			budget += v
		}
		for _, k := range kids {
			k.Level = level + 1
			switch weighting {
			case evaluate.WeightExplicit:
				k.Weight, k.Editable = fmt.Sprintf("%.3f", k.WeightValue), true
			case evaluate.WeightEqual:
				k.Weight = fmt.Sprintf("%.3f", 1/float64(len(kids)))
			case evaluate.WeightAHP:
				k.Weight = fmt.Sprintf("%.3f", ahpW[k.ID])
			case evaluate.WeightBudget:
				if budget > 0 {
					k.Weight = fmt.Sprintf("%.3f", n.Budget[k.ID]/budget)
				}
			default:
				k.Weight = weighting
			}
			out = append(out, k)
			if !k.Indicator {
				walk(k.ID, level+1)
			}
		}
	}
	r := nodes[root]
	out = append(out, treeItem{ID: root, Name: r.Name, Weight: "1", Weighting: orDefault(r.Weighting, evaluate.WeightExplicit), Aggregation: orDefault(r.Aggregation, evaluate.AggArithmetic)})
	walk(root, 0)
	return out, ahps
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ratioText writes a matrix entry as Saaty would: 3, 1/3, 1.
func ratioText(v float64) string {
	if v >= 1 || v <= 0 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	inv := 1 / v
	if math.Abs(inv-math.Round(inv)) < 1e-6 {
		return "1/" + strconv.Itoa(int(math.Round(inv)))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// parseRatio reads "3", "0.5" or "1/3".
func parseRatio(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, "/"); ok {
		x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err1 != nil || err2 != nil || !(x > 0) || !(y > 0) {
			return 0, false
		}
		r := x / y
		return r, r > 0 && !math.IsInf(r, 0)
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && x > 0 && !math.IsInf(x, 0)
}

type frameworksView struct {
	Frameworks []evalstore.FrameworkInfo
	CanEdit    bool
	Home       string
	YAML       string
}

func (h handlers) evalFrameworks(w http.ResponseWriter, r *http.Request) error {
	return h.renderFrameworks(w, r, http.StatusOK, frameworksView{})
}

func (h handlers) renderFrameworks(w http.ResponseWriter, r *http.Request, status int, v frameworksView) error {
	list, err := evalstore.Frameworks(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	v.Frameworks, v.CanEdit = list, p.Has(editRoles...)
	if v.Home == "" {
		v.Home = p.Home()
	}
	return h.k.Render(w, r, h.pages, "frameworks", status, kit.View{Title: kit.T(r, "evaluate.frameworks"), Nav: "evaluate", Data: v})
}

// covers refuses (403) unless the caller holds one of roles over path
// (the owner unit of a framework or dataset, or where a new one goes).
func (h handlers) covers(r *http.Request, path string, roles []auth.Role) error {
	if !kit.Principal(r).Covers(path, roles...) {
		return kit.ErrOutside
	}
	return nil
}

// saveFramework stores text, owned by the unit code org for a new one;
// updating an existing framework needs the caller to cover its owner.
func (h handlers) saveFramework(w http.ResponseWriter, r *http.Request, text, org string, onError func(error) error) error {
	fw, err := evaluate.ParseFramework(strings.NewReader(text))
	if err != nil {
		return onError(err)
	}
	owner, err := evalstore.FrameworkOwner(r.Context(), h.k.DB, fw.ID)
	switch {
	case errors.Is(err, evalstore.ErrNotFound):
		unit, err := orgunit.Get(r.Context(), h.k.DB, org)
		if err != nil {
			return onError(i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", org).OnField("org"))
		}
		owner = unit.Path
	case err != nil:
		return err
	}
	if err := h.covers(r, owner, editRoles); err != nil {
		return err
	}
	sf, err := evalstore.SaveFramework(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), owner, text)
	if err != nil {
		if _, ok := kit.UserError(err); ok {
			return onError(err)
		}
		return err
	}
	return kit.Redirect(w, r, "/evaluate/frameworks/"+url.PathEscape(sf.Key)+"?flash=evaluate_saved")
}

// evalFrameworkCreate: POST /evaluate/frameworks (yaml, org).
func (h handlers) evalFrameworkCreate(w http.ResponseWriter, r *http.Request) error {
	text := r.PostFormValue("yaml")
	org := strings.TrimSpace(r.PostFormValue("org"))
	if org == "" {
		org = kit.Principal(r).Home()
	}
	return h.saveFramework(w, r, text, org, func(err error) error {
		ue, ok := kit.UserError(err)
		if !ok {
			return err
		}
		v := frameworksView{YAML: text, Home: org}
		list, lerr := evalstore.Frameworks(r.Context(), h.k.DB)
		if lerr != nil {
			return lerr
		}
		v.Frameworks, v.CanEdit = list, true
		return h.k.Render(w, r, h.pages, "frameworks", http.StatusBadRequest, kit.View{
			Title: kit.T(r, "evaluate.frameworks"), Nav: "evaluate", Data: v, Error: ue.Message(kit.Lang(r)),
		})
	})
}

type frameworkView struct {
	Info      evalstore.FrameworkInfo
	FW        *evaluate.Framework
	YAML      string
	Tree      []treeItem
	AHP       []ahpView
	CanEdit   bool
	CanDelete bool
	NewID     string
	Home      string
}

func (h handlers) frameworkView(r *http.Request) (*frameworkView, error) {
	sf, err := evalstore.Framework(r.Context(), h.k.DB, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	tree, ahps := frameworkTree(sf.Framework)
	p := kit.Principal(r)
	v := &frameworkView{Info: sf.FrameworkInfo, FW: sf.Framework, YAML: sf.YAML, Tree: tree, AHP: ahps, Home: p.Home()}
	v.CanEdit = p.Has(editRoles...) && (sf.Builtin || p.Covers(sf.OrgPath, editRoles...))
	if sf.Builtin {
		v.NewID = sf.Key + "-custom"
	}
	v.CanDelete = !sf.Builtin && p.Covers(sf.OrgPath, deleteRoles...)
	return v, nil
}

// evalFramework: GET /evaluate/frameworks/{key} — the tree with weights.
func (h handlers) evalFramework(w http.ResponseWriter, r *http.Request) error {
	v, err := h.frameworkView(r)
	if err != nil {
		return err
	}
	title := v.Info.Name.Zh
	if kit.Lang(r) == "en" {
		title = v.Info.Name.En
	}
	return h.k.Render(w, r, h.pages, "framework", http.StatusOK, kit.View{Title: title, Nav: "evaluate", Data: v})
}

// evalFrameworkEdit: GET /evaluate/frameworks/{key}/edit.
func (h handlers) evalFrameworkEdit(w http.ResponseWriter, r *http.Request) error {
	v, err := h.frameworkView(r)
	if err != nil {
		return err
	}
	if !v.Info.Builtin {
		if err := h.covers(r, v.Info.OrgPath, editRoles); err != nil {
			return err
		}
	}
	return h.renderFrameworkEdit(w, r, http.StatusOK, v, nil)
}

func (h handlers) renderFrameworkEdit(w http.ResponseWriter, r *http.Request, status int, v *frameworkView, formErr error) error {
	view := kit.View{Title: kit.T(r, "evaluate.edit") + " · " + v.Info.Key, Nav: "evaluate", Data: v}
	if ue, ok := kit.UserError(formErr); ok {
		view.Error = ue.Message(kit.Lang(r))
	} else if formErr != nil {
		return formErr
	}
	return h.k.Render(w, r, h.pages, "framework_edit", status, view)
}

// evalFrameworkSave: POST /evaluate/frameworks/{key} — either the whole
// YAML (field yaml) or the weights and AHP matrices of the edit form.
// Saving a built-in framework stores a copy under new_id.
func (h handlers) evalFrameworkSave(w http.ResponseWriter, r *http.Request) error {
	v, err := h.frameworkView(r)
	if err != nil {
		return err
	}
	if !v.Info.Builtin {
		if err := h.covers(r, v.Info.OrgPath, editRoles); err != nil {
			return err
		}
	}
	onError := func(err error) error { return h.renderFrameworkEdit(w, r, http.StatusBadRequest, v, err) }
	org := strings.TrimSpace(r.PostFormValue("org"))
	if org == "" {
		org = kit.Principal(r).Home()
	}
	if text := r.PostFormValue("yaml"); text != "" {
		v.YAML = text
		fw, err := evaluate.ParseFramework(strings.NewReader(text))
		if err != nil {
			return onError(err)
		}
		if !v.Info.Builtin && fw.ID != v.Info.Key {
			return onError(i18n.Errorf("YAML 中的 id（%s）须与所编辑的指标体系（%s）一致；另存请在列表页新建", "the id in the YAML (%s) must be the framework being edited (%s); create a new one from the list to save a copy", fw.ID, v.Info.Key).OnField("yaml"))
		}
		return h.saveFramework(w, r, text, org, onError)
	}
	e := evalstore.WeightEdit{Weights: map[string]float64{}, AHP: map[string][][]float64{}}
	if v.Info.Builtin {
		e.NewID = strings.TrimSpace(r.PostFormValue("new_id"))
		if e.NewID == "" {
			return onError(i18n.Errorf("内置指标体系须以新的标识另存", "a built-in framework is saved as a copy under a new id").OnField("new_id"))
		}
	}
	for _, it := range v.Tree {
		if !it.Editable {
			continue
		}
		raw := strings.TrimSpace(r.PostFormValue("w." + it.ID))
		if raw == "" {
			continue
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return onError(i18n.Errorf("%s 的权重 %q 不是非负数", "weight of %s %q is not a non-negative number", it.ID, raw).OnField("w." + it.ID))
		}
		e.Weights[it.ID] = x
	}
	for _, a := range v.AHP {
		m, err := matrixFromForm(r, "ahp."+a.Node, len(a.Order), a.Node)
		if err != nil {
			return onError(err)
		}
		if m != nil {
			e.AHP[a.Node] = m
		}
	}
	text, err := evalstore.ApplyWeights(v.FW, e)
	if err != nil {
		return onError(err)
	}
	return h.saveFramework(w, r, text, org, onError)
}

// matrixFromForm reads the upper triangle prefix.i.j (0-based, i < j) of
// an n×n reciprocal matrix; nil when no cell is in the form.
func matrixFromForm(r *http.Request, prefix string, n int, name string) ([][]float64, error) {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		m[i][i] = 1
	}
	seen := false
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			raw := r.PostFormValue(fmt.Sprintf("%s.%d.%d", prefix, i, j))
			if raw == "" {
				return nil, nil
			}
			seen = true
			x, ok := parseRatio(raw)
			if !ok || x < 1.0/9-1e-9 || x > 9+1e-9 {
				return nil, i18n.Errorf("判断矩阵 %s 第 %d 行第 %d 列的值 %q 无效：应为 1/9–9 之间的数或分数", "AHP matrix %s, row %d, column %d: %q is not a number or fraction between 1/9 and 9", name, i+1, j+1, raw).At(i+1, strconv.Itoa(j+1))
			}
			m[i][j], m[j][i] = x, 1/x
		}
	}
	if !seen {
		return nil, nil
	}
	return m, nil
}

// evalAHP: POST /evaluate/ahp — recompute an AHP matrix's weights and
// consistency ratio as its cells change (htmx partial).
func (h handlers) evalAHP(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("node")
	n, err := strconv.Atoi(r.PostFormValue("n"))
	if err != nil || n < 1 || n > 15 {
		return i18n.Errorf("矩阵阶数无效", "invalid matrix order").OnField("n")
	}
	v := ahpView{Node: name}
	for i := 0; i < n; i++ {
		o := r.PostFormValue(fmt.Sprintf("order.%d", i))
		v.Order = append(v.Order, o)
		if l := r.PostFormValue(fmt.Sprintf("label.%d", i)); l != "" {
			o = l
		}
		v.Labels = append(v.Labels, o)
	}
	var errText string
	m, err := matrixFromForm(r, "ahp."+name, n, name)
	if err == nil && m == nil {
		err = i18n.Errorf("判断矩阵 %s 尚未填完", "AHP matrix %s is not complete", name)
	}
	if err == nil {
		res, aerr := evaluate.AHP(m, name)
		if res != nil {
			v.CR, v.Weights = res.CR, res.Weights
		}
		var ee *i18n.Error
		if errors.As(aerr, &ee) {
			v.Err = ee
		} else if aerr != nil {
			err = aerr
		}
	}
	if ue, ok := kit.UserError(err); ok {
		errText = ue.Message(kit.Lang(r))
	} else if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "ahp", http.StatusOK, kit.View{Nav: "evaluate", Data: struct {
		A   ahpView
		Err string
	}{v, errText}})
}

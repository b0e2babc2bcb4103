package web

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
)

// treeItem is one line of a framework tree.
type treeItem struct {
	ID          string
	Name        evaluate.Text
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
	Norm        string
}

// ahpView is an AHP matrix on the edit page.
type ahpView struct {
	Node    string
	Order   []string
	Names   []evaluate.Text
	Matrix  [][]string
	CR      float64
	Weights []float64
	Err     *evaluate.Error
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
			it.Norm += fmt.Sprintf(" [%g, %g]", *nm.Min, *nm.Max)
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
			av := ahpView{Node: id, Order: n.AHP.Order}
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
				name := evaluate.Text{Zh: o, En: o}
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
			var ee *evaluate.Error
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

func (s *Server) evalFrameworks(w http.ResponseWriter, r *http.Request) {
	s.renderFrameworks(w, r, http.StatusOK, frameworksView{})
}

func (s *Server) renderFrameworks(w http.ResponseWriter, r *http.Request, status int, v frameworksView) {
	list, err := evalstore.Frameworks(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principal(r)
	v.Frameworks, v.CanEdit = list, p.Has(editRoles...)
	if v.Home == "" {
		v.Home = p.Home()
	}
	pg := s.page(r, "evaluate", v)
	pg.Title = i18n.T(pg.Lang, "evaluate.frameworks")
	s.render(w, r, "evaluate/frameworks", status, pg)
}

// checkOwner answers 403 unless the caller may write a framework owned at
// path (or a new one there).
func (s *Server) coversOrDeny(w http.ResponseWriter, r *http.Request, path string, roles []auth.Role) bool {
	if !principal(r).Covers(path, roles...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return false
	}
	return true
}

// saveFramework stores text, owned by the unit code org for a new one;
// updating an existing framework needs the caller to cover its owner.
func (s *Server) saveFramework(w http.ResponseWriter, r *http.Request, text, org string, onError func(error)) {
	fw, err := evaluate.ParseFramework(strings.NewReader(text))
	if err != nil {
		onError(evalstore.UserError(err))
		return
	}
	owner, err := evalstore.FrameworkOwner(r.Context(), s.db, fw.ID)
	switch {
	case errors.Is(err, evalstore.ErrNotFound):
		unit, err := orgunit.Get(r.Context(), s.db, org)
		if err != nil {
			onError(i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", org).OnField("org"))
			return
		}
		owner = unit.Path
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if !s.coversOrDeny(w, r, owner, editRoles) {
		return
	}
	sf, err := evalstore.SaveFramework(r.Context(), s.db, principal(r).Actor(clientIP(r)), owner, text)
	if err != nil {
		if _, ok := asUserError(err); ok {
			onError(err)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/evaluate/frameworks/"+url.PathEscape(sf.Key)+"?flash=evaluate_saved", http.StatusSeeOther)
}

// evalFrameworkCreate: POST /evaluate/frameworks (yaml, org).
func (s *Server) evalFrameworkCreate(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("yaml")
	org := strings.TrimSpace(r.PostFormValue("org"))
	if org == "" {
		org = principal(r).Home()
	}
	s.saveFramework(w, r, text, org, func(err error) {
		ue, ok := asUserError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		v := frameworksView{YAML: text, Home: org}
		list, lerr := evalstore.Frameworks(r.Context(), s.db)
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		v.Frameworks, v.CanEdit = list, true
		pg := s.page(r, "evaluate", v)
		pg.Title = i18n.T(pg.Lang, "evaluate.frameworks")
		pg.Error = ue.Message(pg.Lang)
		s.render(w, r, "evaluate/frameworks", http.StatusBadRequest, pg)
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

func (s *Server) frameworkView(w http.ResponseWriter, r *http.Request) (*frameworkView, bool) {
	sf, err := evalstore.Framework(r.Context(), s.db, r.PathValue("key"))
	if s.lookupFailed(w, r, err, evalstore.ErrNotFound) {
		return nil, false
	}
	tree, ahps := frameworkTree(sf.Framework)
	p := principal(r)
	v := &frameworkView{Info: sf.FrameworkInfo, FW: sf.Framework, YAML: sf.YAML, Tree: tree, AHP: ahps, Home: p.Home()}
	v.CanEdit = p.Has(editRoles...) && (sf.Builtin || p.Covers(sf.OrgPath, editRoles...))
	if sf.Builtin {
		v.NewID = sf.Key + "-custom"
	}
	v.CanDelete = !sf.Builtin && p.Covers(sf.OrgPath, deleteRoles...)
	return v, true
}

// evalFramework: GET /evaluate/frameworks/{key} — the tree with weights.
func (s *Server) evalFramework(w http.ResponseWriter, r *http.Request) {
	v, ok := s.frameworkView(w, r)
	if !ok {
		return
	}
	pg := s.page(r, "evaluate", v)
	pg.Title = v.Info.Name.Zh
	if pg.Lang == "en" {
		pg.Title = v.Info.Name.En
	}
	s.render(w, r, "evaluate/framework", http.StatusOK, pg)
}

// evalFrameworkEdit: GET /evaluate/frameworks/{key}/edit.
func (s *Server) evalFrameworkEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.frameworkView(w, r)
	if !ok {
		return
	}
	if !v.Info.Builtin && !s.coversOrDeny(w, r, v.Info.OrgPath, editRoles) {
		return
	}
	s.renderFrameworkEdit(w, r, http.StatusOK, v, nil)
}

func (s *Server) renderFrameworkEdit(w http.ResponseWriter, r *http.Request, status int, v *frameworkView, formErr error) {
	pg := s.page(r, "evaluate", v)
	pg.Title = i18n.T(pg.Lang, "evaluate.edit") + " · " + v.Info.Key
	if ue, ok := asUserError(formErr); ok {
		pg.Error = ue.Message(pg.Lang)
	} else if formErr != nil {
		s.fail(w, r, formErr)
		return
	}
	s.render(w, r, "evaluate/framework_edit", status, pg)
}

// evalFrameworkSave: POST /evaluate/frameworks/{key} — either the whole
// YAML (field yaml) or the weights and AHP matrices of the edit form.
// Saving a built-in framework stores a copy under new_id.
func (s *Server) evalFrameworkSave(w http.ResponseWriter, r *http.Request) {
	v, ok := s.frameworkView(w, r)
	if !ok {
		return
	}
	if !v.Info.Builtin && !s.coversOrDeny(w, r, v.Info.OrgPath, editRoles) {
		return
	}
	onError := func(err error) { s.renderFrameworkEdit(w, r, http.StatusBadRequest, v, err) }
	org := strings.TrimSpace(r.PostFormValue("org"))
	if org == "" {
		org = principal(r).Home()
	}
	if text := r.PostFormValue("yaml"); text != "" {
		v.YAML = text
		fw, err := evaluate.ParseFramework(strings.NewReader(text))
		if err != nil {
			onError(evalstore.UserError(err))
			return
		}
		if !v.Info.Builtin && fw.ID != v.Info.Key {
			onError(i18n.Errorf("YAML 中的 id（%s）须与所编辑的指标体系（%s）一致；另存请在列表页新建", "the id in the YAML (%s) must be the framework being edited (%s); create a new one from the list to save a copy", fw.ID, v.Info.Key).OnField("yaml"))
			return
		}
		s.saveFramework(w, r, text, org, onError)
		return
	}
	e := evalstore.WeightEdit{Weights: map[string]float64{}, AHP: map[string][][]float64{}}
	if v.Info.Builtin {
		e.NewID = strings.TrimSpace(r.PostFormValue("new_id"))
		if e.NewID == "" {
			onError(i18n.Errorf("内置指标体系须以新的标识另存", "a built-in framework is saved as a copy under a new id").OnField("new_id"))
			return
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
			onError(i18n.Errorf("%s 的权重 %q 不是非负数", "weight of %s %q is not a non-negative number", it.ID, raw).OnField("w." + it.ID))
			return
		}
		e.Weights[it.ID] = x
	}
	for _, a := range v.AHP {
		m, err := matrixFromForm(r, "ahp."+a.Node, len(a.Order), a.Node)
		if err != nil {
			onError(err)
			return
		}
		if m != nil {
			e.AHP[a.Node] = m
		}
	}
	text, err := evalstore.ApplyWeights(v.FW, e)
	if err != nil {
		onError(err)
		return
	}
	s.saveFramework(w, r, text, org, onError)
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
func (s *Server) evalAHP(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("node")
	n, err := strconv.Atoi(r.PostFormValue("n"))
	if err != nil || n < 1 || n > 15 {
		s.fail(w, r, i18n.Errorf("矩阵阶数无效", "invalid matrix order").OnField("n"))
		return
	}
	v := ahpView{Node: name}
	for i := 0; i < n; i++ {
		v.Order = append(v.Order, r.PostFormValue(fmt.Sprintf("order.%d", i)))
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
		var ee *evaluate.Error
		if errors.As(aerr, &ee) {
			v.Err = ee
		} else if aerr != nil {
			err = aerr
		}
	}
	if ue, ok := asUserError(err); ok {
		errText = ue.Message(lang(r))
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "evaluate", struct {
		A   ahpView
		Err string
	}{v, errText})
	s.render(w, r, "evaluate/ahp", http.StatusOK, pg)
}

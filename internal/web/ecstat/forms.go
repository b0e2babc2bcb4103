package ecstat

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/i18n"
	"zhihui/internal/period"
	"zhihui/internal/web/kit"
)

// The form editor: items and edits of a survey, as rows of fields, while
// nobody has answered it; and the survey's deadline for reminders.

// blankRows is how many empty rows the editor offers to add items or
// edits at one time.
const blankRows = 1

type itemRow struct {
	N        int
	Item     dom.Item
	Options  string
	New      bool
	Required bool
}

type editRow struct {
	N                 int
	Edit              dom.Edit
	Min, Max, Factor  string
	New               bool
	Description       string
	Kinds, Severities []choice
	LeftItems, RItems []choice
}

type editorView struct {
	Survey  *dom.Survey
	Items   []itemRow
	Edits   []editRow
	Kinds   []choice
	Locked  bool
	CanEdit bool
}

func numText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

func (h handlers) editor(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	return h.renderEditor(w, r, http.StatusOK, s, s.Items, s.Edits, nil)
}

func (h handlers) renderEditor(w http.ResponseWriter, r *http.Request, status int, s *dom.Survey, items []dom.Item, edits []dom.Edit, errs []*i18n.Error) error {
	n, err := dom.Answered(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	v := editorView{Survey: s, Locked: n > 0, CanEdit: coversProvince(r) && n == 0}
	for _, k := range []string{dom.Money, dom.Number, dom.YesNo, dom.Choice} {
		v.Kinds = append(v.Kinds, choice{k, kit.T(r, "ecstat.kind_of."+k), false})
	}
	for i, it := range items {
		v.Items = append(v.Items, itemRow{N: i, Item: it, Options: strings.Join(it.Options, ", "), Required: it.Required()})
	}
	if v.CanEdit {
		for i := 0; i < blankRows; i++ {
			v.Items = append(v.Items, itemRow{N: len(items) + i, New: true, Item: dom.Item{Kind: dom.Money}, Required: true})
		}
	}
	itemChoices := func(sel string, numeric bool) []choice {
		out := []choice{{"", "—", sel == ""}}
		for _, it := range items {
			if numeric && !it.Numeric() {
				continue
			}
			out = append(out, choice{it.Code, it.Code + " " + it.DisplayName(lang), it.Code == sel})
		}
		return out
	}
	row := func(i int, ed dom.Edit, isNew bool) editRow {
		er := editRow{N: i, Edit: ed, Min: numText(ed.Min), Max: numText(ed.Max), New: isNew}
		if ed.Factor != 0 {
			er.Factor = strconv.FormatFloat(ed.Factor, 'g', -1, 64)
		}
		if !isNew {
			er.Description = s.EditText(ed).In(lang)
		}
		for _, k := range dom.EditKinds {
			er.Kinds = append(er.Kinds, choice{k, kit.T(r, "ecstat.edit_kind."+k), k == ed.Kind})
		}
		for _, sv := range []string{dom.SevError, dom.SevWarning} {
			er.Severities = append(er.Severities, choice{sv, kit.T(r, "ecstat.severity."+sv), sv == ed.Severity || sv == dom.SevError && ed.Severity == ""})
		}
		er.LeftItems = itemChoices(ed.Left, true)
		er.RItems = itemChoices(ed.Right, false)
		return er
	}
	for i, ed := range edits {
		v.Edits = append(v.Edits, row(i, ed, false))
	}
	if v.CanEdit {
		for i := 0; i < blankRows; i++ {
			v.Edits = append(v.Edits, row(len(edits)+i, dom.Edit{Kind: dom.EditRange}, true))
		}
	}
	return h.render(w, r, "editor", status, kit.T(r, "ecstat.editor")+" · "+s.Name, v, errs)
}

// maxRows bounds the rows an editor post may hold.
const maxRows = 200

func parseFloatField(v string, label i18n.Text, n int) (*float64, *i18n.Error) {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
	if v == "" {
		return nil, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, i18n.Errorf("第 %[1]d 条审核规则的%[2]s应为数字：%[4]q", "edit %[1]d: the %[3]s must be a number: %[4]q", n, label.Zh, label.En, v).OnField("edits")
	}
	return &x, nil
}

// editorForm reads the editor's rows: item_code_N … and edit_kind_N …;
// a row marked for deletion, or a new row left empty, is dropped.
func editorForm(v url.Values) ([]dom.Item, []dom.Edit, *i18n.Error) {
	var items []dom.Item
	for i := 0; i < maxRows; i++ {
		k := strconv.Itoa(i)
		if !v.Has("item_code_" + k) {
			break
		}
		code := strings.TrimSpace(v.Get("item_code_" + k))
		name := strings.TrimSpace(v.Get("item_name_" + k))
		if v.Get("item_delete_"+k) != "" || code == "" && name == "" {
			continue
		}
		it := dom.Item{Code: code, Name: name, NameEn: v.Get("item_name_en_" + k), Kind: v.Get("item_kind_" + k), Unit: v.Get("item_unit_" + k),
			Optional: v.Get("item_required_"+k) == ""}
		if it.Kind == "" {
			it.Kind = dom.Money
		}
		for _, o := range strings.FieldsFunc(v.Get("item_options_"+k), func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			it.Options = append(it.Options, strings.TrimSpace(o))
		}
		if max := strings.TrimSpace(v.Get("item_max_" + k)); max != "" {
			m, err := strconv.ParseInt(max, 10, 64)
			if err != nil || m < 0 {
				return nil, nil, i18n.Errorf("项目 %s 的上限应为非负整数：%q", "item %s: the upper bound must be a whole number of at least 0: %q", code, max).OnField("items")
			}
			it.Max = m
		}
		items = append(items, it)
	}
	var edits []dom.Edit
	for i := 0; i < maxRows; i++ {
		k := strconv.Itoa(i)
		if !v.Has("edit_kind_" + k) {
			break
		}
		left := strings.TrimSpace(v.Get("edit_left_" + k))
		if v.Get("edit_delete_"+k) != "" || left == "" {
			continue
		}
		n := len(edits) + 1
		ed := dom.Edit{Kind: v.Get("edit_kind_" + k), Left: left, Right: v.Get("edit_right_" + k), Severity: v.Get("edit_severity_" + k)}
		var err *i18n.Error
		if ed.Min, err = parseFloatField(v.Get("edit_min_"+k), i18n.Text{Zh: "下限", En: "lower bound"}, n); err != nil {
			return nil, nil, err
		}
		if ed.Max, err = parseFloatField(v.Get("edit_max_"+k), i18n.Text{Zh: "上限", En: "upper bound"}, n); err != nil {
			return nil, nil, err
		}
		f, err := parseFloatField(v.Get("edit_factor_"+k), i18n.Text{Zh: "倍数", En: "factor"}, n)
		if err != nil {
			return nil, nil, err
		}
		if f != nil {
			ed.Factor = *f
		}
		edits = append(edits, ed)
	}
	return items, edits, nil
}

func (h handlers) saveEditor(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	items, edits, ue := editorForm(r.PostForm)
	if ue == nil {
		err = dom.SaveForm(r.Context(), h.k.DB, kit.Actor(r), s.ID, items, edits)
		if err == nil {
			return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d/form?flash=ecstat_form_saved", s.ID))
		}
		var ok bool
		if ue, ok = kit.UserError(err); !ok {
			return err
		}
	}
	if items == nil {
		items = s.Items
	}
	return h.renderEditor(w, r, http.StatusBadRequest, s, items, edits, []*i18n.Error{ue})
}

func (h handlers) schedule(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	days, err := kit.FormInt(r, "remind_days", dom.DefaultRemindDays)
	if err == nil {
		err = dom.SetSchedule(r.Context(), h.k.DB, h.jobs(), kit.Actor(r), s.ID, r.PostFormValue("deadline"), days)
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderSurvey(w, r, http.StatusBadRequest, nil, []*i18n.Error{ue})
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d?flash=ecstat_schedule_saved", s.ID))
}

// remindedText lists an enterprise's reminders for the export.
func remindedText(r *http.Request, rs []dom.Reminded) string {
	var parts []string
	for _, x := range rs {
		parts = append(parts, kit.T(r, "ecstat.stage."+x.Stage)+" ("+x.Deadline+") "+x.SentAt.In(period.Shanghai).Format("2006-01-02 15:04"))
	}
	return strings.Join(parts, "; ")
}

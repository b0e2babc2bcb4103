package monitor

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/measure"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

type monitorHomeView struct {
	DX, PE, OU string
	Result     *monitor.Result
	Table      []analyticsLine
	Error      string
	Elements   []monitor.Element
	Indicators []monitor.Indicator
	Relative   []string
	CanImport  bool
	CanEdit    bool
}

type analyticsLine struct {
	DX, DXName, PE, PEName, OU, OUName, Unit string
	Value                                    float64
	Decimals                                 int
	// Shown is the value as the page writes it (package measure; 是/否
	// for a yes/no element at a village, which enters it).
	Shown string
}

// monitorHome is the monitoring start page: the catalogue at a glance and
// an analytics table for any dx × pe × ou the user may see.
func (h handlers) monitorHome(w http.ResponseWriter, r *http.Request) error {
	qv := queryValues(r)
	v := monitorHomeView{
		DX: qv.Get("dx"), PE: qv.Get("pe"), OU: qv.Get("ou"),
		Relative:  monitor.RelativePeriods(),
		CanImport: kit.Principal(r).Has(Reporters...), CanEdit: canEditCatalog(r),
	}
	if v.PE == "" {
		v.PE = "THIS_YEAR;LAST_YEAR"
	}
	if v.OU == "" {
		v.OU = kit.Principal(r).Home() + ";CHILDREN"
	}
	var err error
	if v.Elements, err = monitor.Elements(r.Context(), h.k.DB); err != nil {
		return err
	}
	if v.Indicators, err = monitor.Indicators(r.Context(), h.k.DB); err != nil {
		return err
	}
	l := kit.Lang(r)
	status := http.StatusOK
	if v.DX != "" {
		res, err := h.runAnalytics(r, analyticsQuery(r, splitSemi(v.DX), splitSemi(v.PE), splitSemi(v.OU)))
		var ue *i18n.Error
		switch {
		case errors.Is(err, monitor.ErrForbidden):
			v.Error, status = i18n.T(l, "errors.outside_scope"), http.StatusForbidden
		case errors.As(err, &ue):
			v.Error, status = ue.Message(l), http.StatusBadRequest
		case err != nil:
			return err
		default:
			v.Result = res
			for _, x := range res.Rows {
				dx, pe, ou := res.Meta.Items[x.DX], res.Meta.Items[x.PE], res.Meta.Items[x.OU]
				dec := measure.Decimals(dx.Unit)
				shown := measure.Value(x.Value, dx.Unit)
				switch {
				case dx.Kind == "indicator":
					dec = dx.Decimals
					shown = measure.Number(x.Value, dec)
				case dx.ValueType == monitor.Integer:
					dec, shown = 0, measure.Number(x.Value, 0)
				}
				unit := dx.Unit
				if dx.ValueType == monitor.Boolean && ou.Level == orgunit.LevelOf[orgunit.Village] {
					if yn, ok := monitor.YesNo(l, x.Value); ok {
						shown, unit = yn, ""
					}
				}
				v.Table = append(v.Table, analyticsLine{
					DX: x.DX, DXName: i18n.Text{Zh: dx.Name, En: dx.NameEn}.In(l), PE: x.PE, PEName: i18n.Text{Zh: pe.Name, En: pe.NameEn}.In(l),
					OU: x.OU, OUName: i18n.Text{Zh: ou.Name, En: ou.NameEn}.In(l), Unit: unit, Value: x.Value, Decimals: dec, Shown: shown,
				})
			}
		}
	}
	return h.k.Render(w, r, h.pages, "home", status, kit.View{Title: kit.T(r, "monitor.title"), Nav: "monitor", Data: v})
}

func (h handlers) monitorExportPage(w http.ResponseWriter, r *http.Request) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	inds, err := monitor.Indicators(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "export", http.StatusOK, kit.View{Title: kit.T(r, "monitor.export"), Nav: "monitor", Data: monitorHomeView{Elements: els, Indicators: inds, OU: kit.Principal(r).Home(), Relative: monitor.RelativePeriods()}})
}

// monitorExportDownload writes analytics (kind=analytics) or raw values
// (kind=values) as CSV or XLSX.
func (h handlers) monitorExportDownload(w http.ResponseWriter, r *http.Request) error {
	q := queryValues(r)
	format := q.Get("format")
	if format != monitor.XLSX {
		format = monitor.CSV
	}
	dx, pe, ou := splitSemi(q.Get("dx")), splitSemi(q.Get("pe")), splitSemi(q.Get("ou"))
	name := fmt.Sprintf("zhihui-%s-%s.%s", q.Get("kind"), time.Now().Format("20060102-150405"), format)
	ctype := "text/csv; charset=utf-8"
	if format == monitor.XLSX {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if q.Get("kind") == "values" {
		p := kit.Principal(r)
		us, err := orgunit.GetMany(r.Context(), h.k.DB, ou)
		if err != nil {
			return err
		}
		if len(us) == 0 {
			return i18n.Errorf("请指定单位", "choose org units")
		}
		for _, u := range us {
			if !p.Covers(u.Path, auth.Roles...) {
				return kit.ErrOutside
			}
		}
		vals, err := monitor.DataValues(r.Context(), h.k.DB, monitor.ValueFilter{Elements: dx, Periods: pe, OrgUnits: ou, Children: true, Scopes: p.Scopes(auth.Roles...)})
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		if err := monitor.WriteValues(w, vals, format); err != nil {
			h.k.Log.Error("export values", "err", err)
		}
		return nil
	}
	res, err := h.runAnalytics(r, analyticsQuery(r, dx, pe, ou))
	if errors.Is(err, monitor.ErrForbidden) {
		return kit.ErrOutside
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
	if err := monitor.WriteAnalytics(w, res, format, kit.Lang(r)); err != nil {
		h.k.Log.Error("export analytics", "err", err)
	}
	return nil
}

package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
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
}

// monitorHome is the monitoring start page: the catalogue at a glance and
// an analytics table for any dx × pe × ou the user may see.
func (s *Server) monitorHome(w http.ResponseWriter, r *http.Request) {
	qv := queryValues(r)
	v := monitorHomeView{
		DX: qv.Get("dx"), PE: qv.Get("pe"), OU: qv.Get("ou"),
		Relative:  monitor.RelativePeriods(),
		CanImport: principal(r).Has(monitorReporters...), CanEdit: canEditCatalog(r),
	}
	if v.PE == "" {
		v.PE = "THIS_YEAR;LAST_YEAR"
	}
	if v.OU == "" {
		v.OU = principal(r).Home() + ";CHILDREN"
	}
	var err error
	if v.Elements, err = monitor.Elements(r.Context(), s.db); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Indicators, err = monitor.Indicators(r.Context(), s.db); err != nil {
		s.fail(w, r, err)
		return
	}
	l := lang(r)
	status := http.StatusOK
	if v.DX != "" {
		res, err := s.runAnalytics(r, analyticsQuery(r, splitSemi(v.DX), splitSemi(v.PE), splitSemi(v.OU)))
		var ue *i18n.Error
		switch {
		case errors.Is(err, monitor.ErrForbidden):
			v.Error, status = i18n.T(l, "errors.outside_scope"), http.StatusForbidden
		case errors.As(err, &ue):
			v.Error, status = ue.Message(l), http.StatusBadRequest
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			v.Result = res
			for _, x := range res.Rows {
				dx, pe, ou := res.Meta.Items[x.DX], res.Meta.Items[x.PE], res.Meta.Items[x.OU]
				dec := 2
				if dx.Kind == "indicator" {
					dec = dx.Decimals
				}
				v.Table = append(v.Table, analyticsLine{
					DX: x.DX, DXName: i18n.Text{Zh: dx.Name, En: dx.NameEn}.In(l), PE: x.PE, PEName: i18n.Text{Zh: pe.Name, En: pe.NameEn}.In(l),
					OU: x.OU, OUName: i18n.Text{Zh: ou.Name, En: ou.NameEn}.In(l), Unit: dx.Unit, Value: x.Value, Decimals: dec,
				})
			}
		}
	}
	pg := s.page(r, "monitor", v)
	pg.Title = i18n.T(l, "monitor.title")
	s.render(w, r, "monitor/home", status, pg)
}

func (s *Server) monitorExportPage(w http.ResponseWriter, r *http.Request) {
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inds, err := monitor.Indicators(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "monitor", monitorHomeView{Elements: els, Indicators: inds, OU: principal(r).Home(), Relative: monitor.RelativePeriods()})
	pg.Title = i18n.T(pg.Lang, "monitor.export")
	s.render(w, r, "monitor/export", http.StatusOK, pg)
}

// monitorExportDownload writes analytics (kind=analytics) or raw values
// (kind=values) as CSV or XLSX.
func (s *Server) monitorExportDownload(w http.ResponseWriter, r *http.Request) {
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
		p := principal(r)
		us, err := orgunit.GetMany(r.Context(), s.db, ou)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(us) == 0 {
			s.fail(w, r, i18n.Errorf("请指定单位", "choose org units"))
			return
		}
		for _, u := range us {
			if !p.Covers(u.Path, auth.Roles...) {
				s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
				return
			}
		}
		vals, err := monitor.DataValues(r.Context(), s.db, monitor.ValueFilter{Elements: dx, Periods: pe, OrgUnits: ou, Children: true, Scopes: p.Scopes(auth.Roles...)})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		if err := monitor.WriteValues(w, vals, format); err != nil {
			s.log.Error("export values", "err", err)
		}
		return
	}
	res, err := s.runAnalytics(r, analyticsQuery(r, dx, pe, ou))
	if errors.Is(err, monitor.ErrForbidden) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
	if err := monitor.WriteAnalytics(w, res, format, lang(r)); err != nil {
		s.log.Error("export analytics", "err", err)
	}
}

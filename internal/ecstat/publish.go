package ecstat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/ecstat/survey"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Published elements: the province's survey estimates and their CVs, in
// monitoring next to the published series (ECOMMERCE_VOLUME, the plan's
// ¥800 bn / ¥3 tn target). They are separate elements because
// ECOMMERCE_VOLUME sums the figures units report: a province estimate
// written there would be added to them.
const (
	ElementEcom     = "ECOMMERCE_VOLUME_SURVEY"
	ElementEcomCV   = "ECOMMERCE_VOLUME_SURVEY_CV"
	ElementInfo     = "INFO_CONSUMPTION_SURVEY"
	ElementInfoCV   = "INFO_CONSUMPTION_SURVEY_CV"
	PlanEcomElement = "ECOMMERCE_VOLUME"
)

// publishTargets maps a derived target to its value and CV elements.
var publishTargets = []struct{ target, value, cv string }{
	{"ECOM_TURNOVER", ElementEcom, ElementEcomCV},
	{"INFO_CONSUMPTION", ElementInfo, ElementInfoCV},
}

func ptr(v float64) *float64 { return &v }

// Elements are the monitoring elements the survey publishes into.
func Elements() []monitor.Element {
	return []monitor.Element{
		{Code: ElementEcom, Name: "电子商务交易额（企业抽样调查推算）", NameEn: "E-commerce turnover (enterprise sample survey estimate)", ValueType: monitor.Number,
			Aggregation: monitor.None, Unit: "亿元", PeriodType: "yearly", Min: ptr(0), Published: true,
			Description: "电子商务销售额与采购额之和，规模以上企业全面调查、其余企业分层抽样推算；备注中为标准误与95%置信区间"},
		{Code: ElementEcomCV, Name: "电子商务交易额推算值的变异系数", NameEn: "CV of the e-commerce turnover estimate", ValueType: monitor.Percent,
			Aggregation: monitor.None, Unit: "%", PeriodType: "yearly", Min: ptr(0), Max: ptr(100), Published: true},
		{Code: ElementInfo, Name: "企业信息消费（抽样调查推算）", NameEn: "Enterprise information consumption (sample survey estimate)", ValueType: monitor.Number,
			Aggregation: monitor.None, Unit: "亿元", PeriodType: "yearly", Min: ptr(0), Published: true,
			Description: "信息产品消费与信息服务消费之和（企业支出），分层抽样推算"},
		{Code: ElementInfoCV, Name: "企业信息消费推算值的变异系数", NameEn: "CV of the enterprise information consumption estimate", ValueType: monitor.Percent,
			Aggregation: monitor.None, Unit: "%", PeriodType: "yearly", Min: ptr(0), Max: ptr(100), Published: true},
	}
}

// Bootstrap adds the published elements to monitoring when missing.
func Bootstrap(ctx context.Context, db *store.DB) error {
	for _, e := range Elements() {
		_, err := monitor.GetElement(ctx, db, e.Code)
		if err == nil {
			continue
		}
		if !errors.Is(err, monitor.ErrNotFound) {
			return err
		}
		if _, err := monitor.SaveElement(ctx, db, audit.System, e); err != nil {
			return fmt.Errorf("ecstat: element %s: %w", e.Code, err)
		}
	}
	return nil
}

// Publication is one published estimate.
type Publication struct {
	Element     string    `json:"element"`
	Estimator   string    `json:"estimator"`
	Total       float64   `json:"total"`
	SE          float64   `json:"se"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
	// Units is the number of units written: the province, and the cities
	// and counties whose estimates are not suppressed.
	Units int `json:"units"`
	// Suppressed are the cities and counties not written, with the reason.
	Suppressed []Suppressed `json:"suppressed,omitempty"`
}

// Suppressed is a city or county estimate that was not published.
type Suppressed struct {
	Code        string  `json:"ou"`
	Name        string  `json:"name"`
	NameEn      string  `json:"name_en,omitempty"`
	Reason      string  `json:"reason"` // "few" or "cv"
	Respondents int     `json:"respondents"`
	CV          float64 `json:"cv"`
}

// DisplayName is the unit's name in lang.
func (s Suppressed) DisplayName(lang string) string {
	return i18n.Text{Zh: s.Name, En: s.NameEn}.In(lang)
}

// CV is the publication's coefficient of variation.
func (p Publication) CV() float64 {
	if p.Total == 0 {
		return 0
	}
	return p.SE / p.Total
}

// CVPercent is the publication's CV in percent.
func (p Publication) CVPercent() float64 { return 100 * p.CV() }

// Publish writes the estimates of e-commerce turnover and information
// consumption of survey s (estimator HT or Ratio) into monitoring for the
// survey's year, for the province, every city and every county: the total
// rounded to 0.01 亿元, its CV in percent rounded to 0.01 as a value of the
// CV element, the standard error and interval in the value's comment. A
// city or county whose estimate is suppressed (too few respondents, CV
// above [SuppressCV]) is not written, and a figure an earlier publication
// wrote for it is removed; the publication lists it with the reason. It
// is audited by monitoring and recorded here.
//
// A quarterly survey is refused: monitoring's survey elements are yearly.
func Publish(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, estimator string) ([]Publication, error) {
	if s.Quarterly() {
		return nil, ErrQuarterlyPublish
	}
	var vals []monitor.Value
	var pubs []Publication
	pe := strconv.Itoa(s.Year)
	for _, t := range publishTargets {
		// Cities and counties from one read of the respondents.
		all, err := Estimates(ctx, db, s, t.target, estimator, ByCity, ByCounty)
		if err != nil {
			var ie *i18n.Error
			if errors.As(err, &ie) {
				continue // the survey lacks the items
			}
			return nil, err
		}
		levels := []*Results{all[ByCity], all[ByCounty]}
		r := levels[0]
		p := r.Province
		if p.Respondents < MinRespondents {
			return nil, i18n.Errorf("「%[1]s」只有 %[2]d 家企业报送，不能发布", "%[3]s: only %[2]d enterprises answered; nothing to publish", r.Target.Name, p.Respondents, r.Target.NameEn)
		}
		pub := Publication{Element: t.value, Estimator: r.Estimator, Total: survey.Round(p.Total, 2), SE: p.SE, PublishedAt: store.Now(), PublishedBy: a.Name}
		existing, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: []string{t.value, t.cv}, Periods: []string{pe}})
		if err != nil {
			return nil, err
		}
		had := map[string]bool{}
		for _, v := range existing {
			had[v.DataElement+"|"+v.OrgUnit] = true
		}
		write := func(code string, c Cell) {
			vals = append(vals,
				monitor.Value{DataElement: t.value, OrgUnit: code, Period: pe, Value: strconv.FormatFloat(survey.Round(c.Total, 2), 'f', 2, 64), Comment: comment(r.Estimator, c)},
				monitor.Value{DataElement: t.cv, OrgUnit: code, Period: pe, Value: strconv.FormatFloat(survey.Round(100*c.CV, 2), 'f', 2, 64)})
			pub.Units++
		}
		write(orgunit.Root, p)
		for _, lr := range levels {
			for _, c := range lr.Cells {
				if c.Mark != "suppressed" {
					write(c.Code, c)
					continue
				}
				pub.Suppressed = append(pub.Suppressed, Suppressed{Code: c.Code, Name: c.Name, NameEn: c.NameEn, Reason: c.Reason, Respondents: c.Respondents, CV: c.CV})
				for _, el := range []string{t.value, t.cv} {
					if had[el+"|"+c.Code] {
						vals = append(vals, monitor.Value{DataElement: el, OrgUnit: c.Code, Period: pe, Value: ""})
					}
				}
			}
		}
		pubs = append(pubs, pub)
	}
	if len(vals) == 0 {
		return nil, i18n.Errorf("本调查没有可发布的推算值", "this survey has no estimate to publish")
	}
	if err := monitor.SaveValues(ctx, db, a, vals); err != nil {
		return nil, err
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range pubs {
			sup, err := json.Marshal(p.Suppressed)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_published (survey_id, element, estimator, total, se, published_at, published_by, units, suppressed)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, s.ID, p.Element, p.Estimator, p.Total, p.SE, p.PublishedAt, p.PublishedBy, p.Units, string(sup)); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "publish", "ecstat_survey", strconv.FormatInt(s.ID, 10), "/41/", nil, pubs)
	})
	return pubs, err
}

// ErrQuarterlyPublish refuses to publish a quarterly survey's estimates.
var ErrQuarterlyPublish = i18n.Errorf("季报的推算值不写入监测（监测中的调查推算指标为年度指标），请发布年报", "quarterly estimates are not written into monitoring (its survey elements are yearly); publish the annual survey")

// commentCode starts the comment written beside a published value.
const commentCode = "ecstat.estimate"

// comment is the text beside a published value in monitoring: a code and
// the estimator, standard error (亿元), CV (%), 95 % interval and
// respondents, in no language —
// "ecstat.estimate ratio se=1.23 cv=4.56% ci=[7.89,10.11] n=42"; read
// it in a language with [EstimateComment].
func comment(estimator string, c Cell) string {
	return fmt.Sprintf("%s %s se=%.2f cv=%.2f%% ci=[%.2f,%.2f] n=%d", commentCode, estimator, c.SE, 100*c.CV, c.Low, c.High, c.Respondents)
}

// EstimateComment says the comment a publication wrote beside a value in
// both languages; ok is false for a comment it did not write. Comments of
// earlier releases, one "中文 / English" string, are split.
func EstimateComment(raw string) (t i18n.Text, ok bool) {
	var est string
	var se, cv, lo, hi float64
	var n int
	if _, err := fmt.Sscanf(raw, commentCode+" %s se=%f cv=%f%% ci=[%f,%f] n=%d", &est, &se, &cv, &lo, &hi, &n); err == nil {
		name := i18n.Text{Zh: "比率估计量（以营业收入为辅助变量）", En: "ratio estimator (revenue as the auxiliary)"}
		if est == HT {
			name = i18n.Text{Zh: "HT 估计量", En: "Horvitz–Thompson estimator"}
		}
		return i18n.Text{
			Zh: fmt.Sprintf("抽样调查推算（%s）：标准误 %.2f 亿元，变异系数 %.2f%%，95%%置信区间 [%.2f, %.2f] 亿元，%d 家企业报送", name.Zh, se, cv, lo, hi, n),
			En: fmt.Sprintf("Sample survey estimate (%s): SE %.2f (100 million yuan), CV %.2f%%, 95%% CI [%.2f, %.2f], %d enterprises answered", name.En, se, cv, lo, hi, n),
		}, true
	}
	if strings.HasPrefix(raw, "抽样调查推算") && strings.Contains(raw, " / Sample survey estimate") {
		return i18n.Split(raw), true
	}
	return i18n.Text{}, false
}

// Publications lists what survey id has published, newest first.
func Publications(ctx context.Context, db *store.DB, id int64) ([]Publication, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT element, estimator, total, se, published_at, published_by, units, suppressed FROM ecstat_published WHERE survey_id = $1 ORDER BY id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: publications: %w", err)
	}
	defer rows.Close()
	var out []Publication
	for rows.Next() {
		var p Publication
		var sup string
		if err := rows.Scan(&p.Element, &p.Estimator, &p.Total, &p.SE, &p.PublishedAt, &p.PublishedBy, &p.Units, &sup); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(sup), &p.Suppressed); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

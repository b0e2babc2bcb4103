package ecstat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

// Publish writes the province estimates of e-commerce turnover and
// information consumption of survey s (estimator HT or Ratio) into
// monitoring for the survey's year: the total rounded to 0.01 亿元, its CV
// in percent rounded to 0.01, the standard error and interval in the
// value's comment. It is audited by monitoring and recorded here.
func Publish(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, estimator string) ([]Publication, error) {
	var vals []monitor.Value
	var pubs []Publication
	pe := strconv.Itoa(s.Year)
	for _, t := range publishTargets {
		r, err := Estimate(ctx, db, s, t.target, ByCity, estimator)
		if err != nil {
			var ie *i18n.Error
			if errors.As(err, &ie) {
				continue // the survey lacks the items
			}
			return nil, err
		}
		p := r.Province
		if p.Respondents < MinRespondents {
			return nil, i18n.Errorf("「%[1]s」只有 %[2]d 家企业报送，不能发布", "%[3]s: only %[2]d enterprises answered; nothing to publish", r.Target.Name, p.Respondents, r.Target.NameEn)
		}
		total := survey.Round(p.Total, 2)
		comment := fmt.Sprintf("抽样调查推算（%s）：标准误 %.2f 亿元，变异系数 %.2f%%，95%%置信区间 [%.2f, %.2f] 亿元，%d 家企业报送 / Sample survey estimate: SE %.2f, CV %.2f%%, 95%% CI [%.2f, %.2f]",
			estimatorName(r.Estimator), p.SE, 100*p.CV, p.Low, p.High, p.Respondents, p.SE, 100*p.CV, p.Low, p.High)
		vals = append(vals,
			monitor.Value{DataElement: t.value, OrgUnit: orgunit.Root, Period: pe, Value: strconv.FormatFloat(total, 'f', 2, 64), Comment: comment},
			monitor.Value{DataElement: t.cv, OrgUnit: orgunit.Root, Period: pe, Value: strconv.FormatFloat(survey.Round(100*p.CV, 2), 'f', 2, 64)})
		pubs = append(pubs, Publication{Element: t.value, Estimator: r.Estimator, Total: total, SE: p.SE, PublishedAt: store.Now(), PublishedBy: a.Name})
	}
	if len(vals) == 0 {
		return nil, i18n.Errorf("本调查没有可发布的推算值", "this survey has no estimate to publish")
	}
	if err := monitor.SaveValues(ctx, db, a, vals); err != nil {
		return nil, err
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range pubs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_published (survey_id, element, estimator, total, se, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				s.ID, p.Element, p.Estimator, p.Total, p.SE, p.PublishedAt, p.PublishedBy); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "publish", "ecstat_survey", strconv.FormatInt(s.ID, 10), "/41/", nil, pubs)
	})
	return pubs, err
}

func estimatorName(e string) string {
	if e == HT {
		return "HT 估计量"
	}
	return "比率估计量（以营业收入为辅助变量）"
}

// Publications lists what survey id has published, newest first.
func Publications(ctx context.Context, db *store.DB, id int64) ([]Publication, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT element, estimator, total, se, published_at, published_by FROM ecstat_published WHERE survey_id = $1 ORDER BY id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: publications: %w", err)
	}
	defer rows.Close()
	var out []Publication
	for rows.Next() {
		var p Publication
		if err := rows.Scan(&p.Element, &p.Estimator, &p.Total, &p.SE, &p.PublishedAt, &p.PublishedBy); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

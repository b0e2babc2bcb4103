package ecstat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/ecstat/survey"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// InfoSchema stores the composition of information consumption the office
// sets: one row per component, in order.
var InfoSchema = store.Schema{Component: "ecstat_infocons", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE ecstat_info_part (
	position INTEGER NOT NULL PRIMARY KEY,
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	category TEXT NOT NULL,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL,
	UNIQUE (kind, code)
);
`}}}

// MaxInfoParts bounds the components of the composition.
const MaxInfoParts = 20

// InfoComposition returns the composition of information consumption:
// the one the office stored, or [DefaultInfoParts]; each part's name
// filled in from its item or series when none was given, and its source
// said in words.
func InfoComposition(ctx context.Context, db *store.DB) ([]InfoPart, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT kind, code, category, name_zh, name_en FROM ecstat_info_part ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("ecstat: information consumption composition: %w", err)
	}
	defer rows.Close()
	var parts []InfoPart
	for rows.Next() {
		var p InfoPart
		if err := rows.Scan(&p.Kind, &p.Code, &p.Category, &p.Name.Zh, &p.Name.En); err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		parts = DefaultInfoParts()
	}
	if err := describeParts(ctx, db, parts); err != nil {
		return nil, err
	}
	return parts, nil
}

// InfoItems are the survey items a component may take: the money items
// (万元) of the standard form and of every survey, by code.
func InfoItems(ctx context.Context, db *store.DB) ([]Item, error) {
	seen := map[string]bool{}
	var out []Item
	add := func(it Item) {
		if it.Kind == Money && !seen[it.Code] {
			seen[it.Code] = true
			out = append(out, it)
		}
	}
	for _, it := range DefaultItems() {
		add(it)
	}
	surveys, err := Surveys(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, s := range surveys {
		for _, it := range s.Items {
			add(it)
		}
	}
	return out, nil
}

// InfoSeries are the monitoring series a component may take: numeric
// data elements reported yearly.
func InfoSeries(ctx context.Context, db *store.DB) ([]monitor.Element, error) {
	all, err := monitor.Elements(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []monitor.Element
	for _, e := range all {
		if e.PeriodType == "yearly" && (e.ValueType == monitor.Number || e.ValueType == monitor.Integer) {
			out = append(out, e)
		}
	}
	return out, nil
}

// describeParts fills in each part's name (when empty) and its source.
func describeParts(ctx context.Context, db *store.DB, parts []InfoPart) error {
	items, err := InfoItems(ctx, db)
	if err != nil {
		return err
	}
	byItem := map[string]Item{}
	for _, it := range items {
		byItem[it.Code] = it
	}
	for i := range parts {
		p := &parts[i]
		switch p.Kind {
		case FromSurvey:
			it := byItem[p.Code]
			name := i18n.Text{Zh: it.Name, En: it.NameEn}
			if name.Zh == "" {
				name = i18n.Text{Zh: p.Code, En: p.Code}
			}
			if name.En == "" {
				name.En = p.Code
			}
			if p.Name.Zh == "" {
				p.Name = name
			}
			p.Source = i18n.Text{Zh: "企业抽样调查推算：" + name.Zh + "（" + p.Code + "），比率估计",
				En: "Enterprise sample survey estimate: " + name.En + " (" + p.Code + "), ratio estimator"}
		case FromMonitor:
			name := i18n.Text{Zh: p.Code, En: p.Code}
			e, err := monitor.GetElement(ctx, db, p.Code)
			if err == nil {
				name = i18n.Text{Zh: e.Name, En: e.NameEn}
				if name.En == "" {
					name.En = e.Name
				}
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if p.Name.Zh == "" {
				p.Name = name
			}
			p.Source = i18n.Text{Zh: "监测指标 " + name.Zh + "（" + p.Code + "），公布数，全省",
				En: "Monitoring series " + name.En + " (" + p.Code + "), published figure, province"}
		}
		if p.Name.En == "" {
			p.Name.En = p.Name.Zh
		}
	}
	return nil
}

// checkParts validates a composition in place: kinds and categories known,
// survey items numeric items of the standard form or of a survey, series
// numeric yearly data elements of monitoring, none twice, names bounded.
func checkParts(ctx context.Context, db *store.DB, parts []InfoPart) error {
	if len(parts) == 0 {
		return i18n.Errorf("信息消费至少要有一个组成部分", "information consumption needs at least one component").OnField("parts")
	}
	if len(parts) > MaxInfoParts {
		return i18n.Errorf("信息消费最多 %d 个组成部分", "information consumption has at most %d components", MaxInfoParts).OnField("parts")
	}
	items, err := InfoItems(ctx, db)
	if err != nil {
		return err
	}
	okItem := map[string]bool{}
	for _, it := range items {
		okItem[it.Code] = true
	}
	series, err := InfoSeries(ctx, db)
	if err != nil {
		return err
	}
	okSeries := map[string]bool{}
	for _, e := range series {
		okSeries[e.Code] = true
	}
	seen := map[string]bool{}
	for i := range parts {
		p := &parts[i]
		n := i + 1
		p.Code = strings.ToUpper(strings.TrimSpace(p.Code))
		p.Kind = strings.TrimSpace(p.Kind)
		p.Category = strings.TrimSpace(p.Category)
		p.Name.Zh, p.Name.En = strings.TrimSpace(p.Name.Zh), strings.TrimSpace(p.Name.En)
		p.Source = i18n.Text{}
		switch p.Kind {
		case FromSurvey:
			if !okItem[p.Code] {
				return i18n.Errorf("第 %d 个组成部分：调查表中没有金额项目 %q", "component %d: no survey has a money item %q", n, p.Code).OnField("parts")
			}
		case FromMonitor:
			if !okSeries[p.Code] {
				return i18n.Errorf("第 %d 个组成部分：监测中没有按年报送的数值指标 %q", "component %d: monitoring has no yearly numeric data element %q", n, p.Code).OnField("parts")
			}
		default:
			return i18n.Errorf("第 %d 个组成部分的来源类型 %q 应为 survey（抽样调查）或 published（监测公布数）", "component %d: kind %q must be survey or published", n, p.Kind).OnField("parts")
		}
		if p.Category != InfoGoodsCategory && p.Category != InfoServicesCategory {
			return i18n.Errorf("第 %d 个组成部分的类别 %q 应为 goods（信息产品消费）或 services（信息服务消费）", "component %d: category %q must be goods or services", n, p.Category).OnField("parts")
		}
		if len([]rune(p.Name.Zh)) > 100 || len([]rune(p.Name.En)) > 200 {
			return i18n.Errorf("第 %d 个组成部分的名称过长", "component %d: the name is too long", n).OnField("parts")
		}
		key := p.Kind + ":" + p.Code
		if seen[key] {
			return i18n.Errorf("第 %d 个组成部分 %s 重复", "component %d: %s is listed twice", n, p.Code).OnField("parts")
		}
		seen[key] = true
	}
	return nil
}

// SaveInfoComposition replaces the composition of information consumption
// with parts, audited with the composition before and after.
func SaveInfoComposition(ctx context.Context, db *store.DB, a audit.Actor, parts []InfoPart) error {
	parts = append([]InfoPart(nil), parts...)
	if err := checkParts(ctx, db, parts); err != nil {
		return err
	}
	before, err := InfoComposition(ctx, db)
	if err != nil {
		return err
	}
	type stored struct {
		Kind, Code, Category string
		Name                 i18n.Text
	}
	view := func(ps []InfoPart) []stored {
		out := make([]stored, len(ps))
		for i, p := range ps {
			out[i] = stored{p.Kind, p.Code, p.Category, p.Name}
		}
		return out
	}
	bj, _ := json.Marshal(view(before))
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ecstat_info_part`); err != nil {
			return fmt.Errorf("ecstat: save composition: %w", err)
		}
		for i, p := range parts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_info_part (position, kind, code, category, name_zh, name_en) VALUES ($1, $2, $3, $4, $5, $6)`,
				i, p.Kind, p.Code, p.Category, p.Name.Zh, p.Name.En); err != nil {
				return fmt.Errorf("ecstat: save composition: %w", err)
			}
		}
		return audit.Record(ctx, tx, a, "update", "ecstat_info_composition", "composition", "/41/",
			map[string]json.RawMessage{"parts": bj}, map[string]any{"parts": view(parts)})
	})
}

// sumEstimate estimates, for the province with the ratio estimator, the
// total of the sum of items over s's respondents (the survey part of
// information consumption, estimated together for its standard error).
// ok is false when s lacks an item, is not drawn, or nobody answered.
func sumEstimate(ctx context.Context, db *store.DB, s *Survey, items []string) (c Cell, ok bool, err error) {
	for _, code := range items {
		if it, has := s.Item(code); !has || it.Kind != Money {
			return c, false, nil
		}
	}
	strata, err := loadStrata(ctx, db, s.ID)
	if err != nil || len(strata) == 0 {
		return c, false, err
	}
	resp, _, err := loadRespondents(ctx, db, s.ID, items, false)
	if err != nil || len(resp) == 0 {
		return c, false, err
	}
	est := survey.NewEstimator(strata)
	for _, r := range resp {
		est.Respond(r.h)
		est.Add(orgunit.Root, r.h, r.y, r.revenue)
	}
	X, err := auxTotals(ctx, db, s, ByCity)
	if err != nil {
		return c, false, err
	}
	c.Estimate = est.Ratio(orgunit.Root, X[orgunit.Root])
	c.Code = orgunit.Root
	c.mark()
	return c, true, nil
}

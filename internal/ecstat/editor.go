package ecstat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// FormSchema owns what the survey forms add to the survey tables: the
// quarter of a quarterly survey, its deadline and reminders, and the
// reasons respondents give for answers an edit warns of.
var FormSchema = store.Schema{Component: "ecstat_forms", Migrations: []store.Migration{{Version: 1, SQL: `
ALTER TABLE ecstat_survey ADD COLUMN quarter INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ecstat_survey ADD COLUMN deadline TEXT NOT NULL DEFAULT '';
ALTER TABLE ecstat_survey ADD COLUMN remind_days INTEGER NOT NULL DEFAULT 0;
CREATE TABLE ecstat_confirm (
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	edit_no INTEGER NOT NULL,
	item TEXT NOT NULL,
	message_zh TEXT NOT NULL,
	message_en TEXT NOT NULL,
	reason TEXT NOT NULL,
	PRIMARY KEY (survey_id, enterprise_id, edit_no)
);
CREATE TABLE ecstat_reminder (
	id {{ID}},
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	stage TEXT NOT NULL,
	sent_at {{TS}} NOT NULL,
	recipients INTEGER NOT NULL,
	UNIQUE (survey_id, enterprise_id, stage)
);
CREATE INDEX ecstat_reminder_survey ON ecstat_reminder (survey_id, enterprise_id);
`}}}

// Schemas are the module's schemas in the order they migrate.
var Schemas = []store.Schema{Schema, FormSchema, InfoSchema}

// ParsePeriod reads a survey period: a year ("2025", annual) or a quarter
// of one ("2025Q1", "2025-Q1", "2025 Q1", "2025年第1季度", "2025年一季度").
// quarter is 0 for a year.
func ParsePeriod(s string) (year, quarter int, err *i18n.Error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	bad := i18n.Errorf("报告期应为 2000–2100 之间的年份（如 2025）或季度（如 2025Q1）：%q", "the period must be a year between 2000 and 2100 (such as 2025) or a quarter (such as 2025Q1): %q", s)
	if len(t) < 4 {
		return 0, 0, bad
	}
	y, e := strconv.Atoi(t[:4])
	if e != nil || y < 2000 || y > 2100 {
		return 0, 0, bad
	}
	rest := strings.TrimSpace(t[4:])
	if rest == "" {
		return y, 0, nil
	}
	rest = strings.TrimPrefix(rest, "-")
	rest = strings.TrimSpace(strings.TrimPrefix(rest, "年"))
	switch {
	case strings.HasPrefix(rest, "Q"):
		rest = strings.TrimPrefix(rest, "Q")
	case strings.HasPrefix(rest, "第") && strings.HasSuffix(rest, "季度"):
		rest = strings.TrimSuffix(strings.TrimPrefix(rest, "第"), "季度")
	case strings.HasSuffix(rest, "季度"):
		rest = strings.TrimSuffix(rest, "季度")
	default:
		return 0, 0, bad
	}
	q := map[string]int{"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}[strings.TrimSpace(rest)]
	if q == 0 {
		return 0, 0, bad
	}
	return y, q, nil
}

// periodText is a year or a quarter in words.
func periodText(year, quarter int) i18n.Text {
	if quarter == 0 {
		return i18n.Text{Zh: fmt.Sprintf("%d 年", year), En: strconv.Itoa(year)}
	}
	return i18n.Text{Zh: fmt.Sprintf("%d 年第 %d 季度", year, quarter), En: fmt.Sprintf("%d Q%d", year, quarter)}
}

// Period is the survey's period: "2025" or "2025Q1".
func (s *Survey) Period() string {
	if s.Quarter == 0 {
		return strconv.Itoa(s.Year)
	}
	return fmt.Sprintf("%dQ%d", s.Year, s.Quarter)
}

// PeriodText is the survey's period in lang.
func (s *Survey) PeriodText(lang string) string { return periodText(s.Year, s.Quarter).In(lang) }

// Quarterly reports whether the survey is quarterly.
func (s *Survey) Quarterly() bool { return s.Quarter > 0 }

// EditKinds are the kinds of edit the form editor offers.
var EditKinds = []string{EditRange, EditRatio, EditChange, EditLE, EditZeroUnless, EditLERevenue}

// checkEdits validates a form's edits against its items, in place.
func checkEdits(items []Item, edits []Edit) error {
	if len(edits) > 100 {
		return i18n.Errorf("审核规则最多 100 条", "a form has at most 100 edits").OnField("edits")
	}
	byCode := map[string]Item{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	for i := range edits {
		ed := &edits[i]
		n := i + 1
		ed.Left = strings.ToUpper(strings.TrimSpace(ed.Left))
		ed.Right = strings.ToUpper(strings.TrimSpace(ed.Right))
		if ed.Severity == "" {
			ed.Severity = SevError
		}
		if ed.Severity != SevError && ed.Severity != SevWarning {
			return i18n.Errorf("第 %d 条审核规则的处理方式 %q 应为 error 或 warning", "edit %d: severity %q must be error or warning", n, ed.Severity).OnField("edits")
		}
		known := false
		for _, k := range EditKinds {
			known = known || k == ed.Kind
		}
		if !known {
			return i18n.Errorf("第 %d 条审核规则的类型 %q 无效", "edit %d: kind %q is not known", n, ed.Kind).OnField("edits")
		}
		l, ok := byCode[ed.Left]
		if !ok {
			return i18n.Errorf("第 %d 条审核规则的项目 %q 不在调查表中", "edit %d: item %q is not on the form", n, ed.Left).OnField("edits")
		}
		needRight := ed.Kind == EditRatio || ed.Kind == EditLE || ed.Kind == EditZeroUnless
		if needRight {
			r, ok := byCode[ed.Right]
			if !ok || ed.Right == ed.Left {
				return i18n.Errorf("第 %d 条审核规则需要另一个项目，%q 不在调查表中", "edit %d needs a second item of the form; %q is not one", n, ed.Right).OnField("edits")
			}
			if ed.Kind == EditZeroUnless && r.Kind != YesNo || ed.Kind != EditZeroUnless && !r.Numeric() {
				return i18n.Errorf("第 %[1]d 条审核规则的项目「%[2]s」类型不符", "edit %[1]d: item %[3]s is not of a kind the edit compares", n, r.Name, r.Code).OnField("edits")
			}
		} else {
			ed.Right = ""
		}
		if !l.Numeric() {
			return i18n.Errorf("第 %[1]d 条审核规则的项目「%[2]s」不是数值项目", "edit %[1]d: item %[3]s is not a number", n, l.Name, l.Code).OnField("edits")
		}
		finite := func(p *float64) bool { return p == nil || !math.IsNaN(*p) && !math.IsInf(*p, 0) && math.Abs(*p) < 1e15 }
		switch ed.Kind {
		case EditRange, EditRatio:
			ed.Factor = 0
			if ed.Min == nil && ed.Max == nil || !finite(ed.Min) || !finite(ed.Max) || ed.Min != nil && ed.Max != nil && *ed.Min > *ed.Max {
				return i18n.Errorf("第 %d 条审核规则需要下限或上限，且下限不大于上限", "edit %d needs a lower or an upper bound, the lower not above the upper", n).OnField("edits")
			}
		case EditChange, EditLERevenue:
			ed.Min, ed.Max = nil, nil
			if math.IsNaN(ed.Factor) || ed.Factor <= 1 && ed.Kind == EditChange || ed.Factor <= 0 || ed.Factor > 1e6 {
				return i18n.Errorf("第 %d 条审核规则的倍数应大于 1（且不超过 1000000）", "edit %d: the factor must be above 1 (and at most 1000000)", n).OnField("edits")
			}
		default:
			ed.Min, ed.Max, ed.Factor = nil, nil, 0
		}
	}
	return nil
}

// ErrFormLocked refuses changes to a form that enterprises have answered.
var ErrFormLocked = i18n.Errorf("已有企业报送本调查，调查表和审核规则不能再修改", "enterprises have answered this survey; its form and edits can no longer change")

// SaveForm replaces survey id's items and edits (the form editor), while
// nobody has answered it, audited with the form before and after.
func SaveForm(ctx context.Context, db *store.DB, a audit.Actor, id int64, items []Item, edits []Edit) error {
	if err := checkItems(items); err != nil {
		return err
	}
	if err := checkEdits(items, edits); err != nil {
		return err
	}
	if edits == nil {
		edits = []Edit{}
	}
	ib, _ := json.Marshal(items)
	eb, _ := json.Marshal(edits)
	return db.InTx(ctx, func(tx *store.Tx) error {
		var oldItems, oldEdits string
		err := tx.QueryRowContext(ctx, `SELECT items, edits FROM ecstat_survey WHERE id = $1`, id).Scan(&oldItems, &oldEdits)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("ecstat: survey %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_return WHERE survey_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrFormLocked
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ecstat_survey SET items = $1, edits = $2 WHERE id = $3`, string(ib), string(eb), id); err != nil {
			return fmt.Errorf("ecstat: save form: %w", err)
		}
		return audit.Record(ctx, tx, a, "update", "ecstat_survey", strconv.FormatInt(id, 10), "/41/",
			map[string]json.RawMessage{"items": json.RawMessage(oldItems), "edits": json.RawMessage(oldEdits)},
			map[string]any{"items": items, "edits": edits})
	})
}

// Answered counts the returns of survey id.
func Answered(ctx context.Context, db *store.DB, id int64) (int, error) {
	var n int
	err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_return WHERE survey_id = $1`, id).Scan(&n)
	return n, err
}

// EditText says edit ed of s in words, with its items' names and whether
// it refuses the form or asks for a reason.
func (s *Survey) EditText(ed Edit) i18n.Text {
	l, _ := s.Item(ed.Left)
	r, _ := s.Item(ed.Right)
	ln, rn := i18n.Text{Zh: "「" + l.Name + "」", En: l.NameEn}, i18n.Text{Zh: "「" + r.Name + "」", En: r.NameEn}
	if ln.En == "" {
		ln.En = l.Code
	}
	if rn.En == "" {
		rn.En = r.Code
	}
	f := strconv.FormatFloat(ed.Factor, 'g', -1, 64)
	var t i18n.Text
	switch ed.Kind {
	case EditLE:
		t = i18n.Text{Zh: ln.Zh + "不大于" + rn.Zh, En: ln.En + " at most " + rn.En}
	case EditZeroUnless:
		t = i18n.Text{Zh: rn.Zh + "为「否」时" + ln.Zh + "为 0", En: ln.En + " is 0 unless " + rn.En + " is yes"}
	case EditLERevenue:
		t = i18n.Text{Zh: ln.Zh + "不超过名录库营业收入的 " + f + " 倍", En: ln.En + " at most " + f + " times the registered revenue"}
	case EditChange:
		t = i18n.Text{Zh: ln.Zh + "与本企业上期数相比变化不超过 " + f + " 倍", En: ln.En + " within " + f + " times the enterprise's last-period value"}
	case EditRange:
		b := bounds(ed.Min, ed.Max)
		t = i18n.Text{Zh: ln.Zh + b.Zh, En: ln.En + " " + b.En}
		if ed.Min != nil && ed.Max != nil {
			t.Zh = ln.Zh + "在 " + b.Zh + " 之间"
		}
	case EditRatio:
		b := bounds(ed.Min, ed.Max)
		t = i18n.Text{Zh: ln.Zh + "与" + rn.Zh + "之比" + b.Zh, En: "the ratio of " + ln.En + " to " + rn.En + " " + b.En}
		if ed.Min != nil && ed.Max != nil {
			t.Zh = ln.Zh + "与" + rn.Zh + "之比在 " + b.Zh + " 之间"
		}
	default:
		t = i18n.Text{Zh: ed.Kind, En: ed.Kind}
	}
	if ed.Warning() {
		t.Zh += "（不符时提示，可说明原因后报送）"
		t.En += " (a warning: the answer may stand with a reason)"
	} else {
		t.Zh += "（不符时不能报送）"
		t.En += " (an error: the form is refused)"
	}
	return t
}

package publiceval

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/pdffont"
	"zhihui/internal/spreadsheet"
	"zhihui/internal/store"
)

// The monthly bulletin (月度通报): the units directly under a unit ranked
// by the month's satisfaction, with their 差评 rate, rectification rate
// and timeliness, call-back rate and 主动评价率, and the rules these
// figures follow. It is computed from the statistics whenever it is
// asked for; the monthly job records that the month's bulletin was
// issued and tells the units once.

// KindBulletin is the message the units get when a month's bulletin is
// issued.
var KindBulletin = notify.DefineKind("publiceval.bulletin", "notify.kind.publiceval.bulletin", false)

// BulletinRules state how the bulletin's figures are made, in order.
var BulletinRules = []i18n.Text{
	{Zh: "满意率 = （非常满意 + 满意 + 基本满意）÷ 有效评价数；有效评价不含疑似刷评（待核查）和经申诉认定为恶意的评价。",
		En: "Satisfaction = (very satisfied + satisfied + fairly satisfied) ÷ valid ratings; valid ratings leave out flagged ratings (under review) and those judged malicious on appeal."},
	{Zh: "差评率 = （不满意 + 非常不满意）÷ 有效评价数。", En: "Complaint rate = (dissatisfied + very dissatisfied) ÷ valid ratings."},
	{Zh: "整改率 = 已答复（整改或说明）的差评工单 ÷ 差评工单数；按时率 = 按时联系且在整改期限内答复的工单 ÷ 已答复工单。",
		En: "Rectification rate = complaint cases answered (rectified or explained) ÷ complaint cases; on-time rate = cases contacted and answered by their deadlines ÷ cases answered."},
	{Zh: "回访率 = 已联系评价人的差评工单 ÷ 差评工单数。", En: "Call-back rate = complaint cases whose rater was contacted ÷ complaint cases."},
	{Zh: "主动评价率 = 有效评价数 ÷ 办件量，只统计已填报办件量的事项和月份。", En: "Active rating rate = valid ratings ÷ cases handled, over the items and months whose case volume is recorded."},
	{Zh: "排名按满意率从高到低（按精确比值比较），满意率相同时有效评价多者在前，再按单位代码；当月没有有效评价的单位不排名。",
		En: "Units rank by satisfaction, highest first (compared as exact fractions), then by more valid ratings, then by unit code; units without a valid rating in the month are not ranked."},
	{Zh: "评价按北京时间的评价月份统计；差评工单随评价计入评价当月，其后的处理进展更新当月数据。",
		En: "Ratings count in their month in Beijing time; a complaint case counts in its rating's month, and later handling updates that month's figures."},
}

// Bulletin is one month's bulletin for the units under Unit.
type Bulletin struct {
	Unit   orgunit.Unit
	Month  string // YYYYMM
	Totals Counts
	Rows   []RankRow
	Issued *time.Time // when the monthly job or the office issued it, if it was
}

// MonthName is the month as 2026年3月 / March 2026.
func (b Bulletin) MonthName(lang string) string {
	t, err := time.Parse("200601", b.Month)
	if err != nil {
		return b.Month
	}
	if len(lang) >= 2 && lang[:2] == "en" {
		return t.Format("January 2006")
	}
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月"
}

// BuildBulletin computes the bulletin of month (YYYYMM) for the units
// directly under unit.
func BuildBulletin(ctx context.Context, db *store.DB, unit orgunit.Unit, month string) (Bulletin, error) {
	p, err := ParsePeriod(month)
	if err != nil || len(month) != 6 {
		return Bulletin{}, i18n.Errorf("请选择通报月份（YYYYMM）", "choose the bulletin's month (YYYYMM)").OnField("month")
	}
	b := Bulletin{Unit: unit, Month: month}
	if b.Totals, err = Stats(ctx, db, unit.Path, p); err != nil {
		return b, err
	}
	if b.Rows, err = RankUnits(ctx, db, unit.Path, p); err != nil {
		return b, err
	}
	var at time.Time
	err = db.R.QueryRowContext(ctx, `SELECT issued_at FROM publiceval_bulletin WHERE month = $1 AND org_path = $2`, month, unit.Path).Scan(&at)
	switch {
	case err == nil:
		b.Issued = &at
	case !errors.Is(err, sql.ErrNoRows):
		return b, fmt.Errorf("publiceval: bulletin: %w", err)
	}
	return b, nil
}

// Issue records that month's bulletin for the units under unit was
// issued and tells the handling staff of each unit in it (users holding
// a handling role at the unit or above) with a link to the bulletin, in
// one transaction. A month issued before is not issued again: issued is
// false then.
func Issue(ctx context.Context, db *store.DB, a audit.Actor, unit orgunit.Unit, month string, now time.Time) (issued bool, err error) {
	b, err := BuildBulletin(ctx, db, unit, month)
	if err != nil {
		return false, err
	}
	if b.Issued != nil {
		return false, nil
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO publiceval_bulletin (month, org_path, issued_at, actor_name) VALUES ($1, $2, $3, $4)
			ON CONFLICT (month, org_path) DO NOTHING`, month, unit.Path, now, a.Name)
		if err != nil {
			return fmt.Errorf("publiceval: issue bulletin: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // issued meanwhile
		}
		issued = true
		var to []notify.Recipient
		paths := []string{}
		for _, r := range b.Rows {
			u, err := orgunit.Get(ctx, db, r.Code)
			if err != nil {
				return err
			}
			paths = append(paths, u.Path)
		}
		if len(paths) == 0 {
			paths = append(paths, unit.Path)
		}
		for _, p := range paths {
			for _, role := range []auth.Role{auth.Reporter, auth.Approver, auth.Office} {
				to = append(to, notify.Covering(role, p))
			}
		}
		link := BulletinLink(unit.Code, month)
		if _, err := notify.Send(ctx, tx, notify.Message{Kind: KindBulletin, Key: "notify.publiceval.bulletin",
			Args: []any{i18n.Text{Zh: b.MonthName("zh-CN"), En: b.MonthName("en")}, i18n.Text{Zh: unit.Name, En: unit.DisplayName("en")}},
			Link: link, To: to, Except: a.UserID}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "issue", "publiceval_bulletin", month, unit.Path, nil, map[string]any{"month": month, "units": len(b.Rows)})
	})
	return issued, err
}

// BulletinLink is the bulletin page of unit code and month.
func BulletinLink(code, month string) string {
	return "/publiceval/bulletin?unit=" + code + "&month=" + month
}

// IssueLastMonth issues, for the province, the bulletin of the month
// before now (Asia/Shanghai) unless it was issued: the monthly job.
func IssueLastMonth(ctx context.Context, db *store.DB, now time.Time) (bool, error) {
	root, err := orgunit.Get(ctx, db, orgunit.Root)
	if err != nil {
		return false, err
	}
	t := now.In(shanghai)
	last := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, shanghai).AddDate(0, -1, 0)
	return Issue(ctx, db, audit.Actor{Name: ActorBulletin}, root, last.Format("200601"), now)
}

// BulletinHead are the bulletin's columns: their catalogue keys.
var BulletinHead = []string{"col.rank", "col.code", "col.unit", "col.valid", "col.satisfaction", "col.bad_rate", "col.cases",
	"col.rectify_rate", "col.ontime_rate", "col.callback_rate", "col.handled", "col.active_rate"}

// Cells are a ranking row's cells in the order of [BulletinHead]: counts
// as numbers, rates as text with one decimal ("—" without a
// denominator).
func Cells(r RankRow) []any {
	c := r.Counts
	rank := any(r.Rank)
	if r.Rank == 0 {
		rank = "—"
	}
	return []any{rank, r.Code, r.Name, c.Valid(), c.Satisfaction().String(), c.BadRate().String(), c.Cases, c.RectifyRate().String(),
		c.OnTimeRate().String(), c.CallbackRate().String(), c.Handled, c.ActiveRate().String()}
}

// WriteBulletinPDF writes the bulletin as an A4 landscape PDF in the
// reader's language lang, with the column names head (translated
// [BulletinHead]), the title and the labels given.
func WriteBulletinPDF(w io.Writer, b Bulletin, lang string, head []string, title, totalsLabel, rulesLabel string) error {
	pdf := pdffont.New("L")
	pdf.SetMargins(12, 12, 12)
	pdf.SetAutoPageBreak(true, 14)
	pdf.SetTitle(title, true)
	pdf.SetCreator("zhihui", true)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont(pdffont.Family, "", 8)
		pdf.SetTextColor(100, 100, 100)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s  %d/{nb}", title, pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	pdf.SetFont(pdffont.Family, "", 16)
	pdf.CellFormat(0, 10, title, "", 1, "C", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 10)
	c := b.Totals
	pdffont.MultiCell(pdf, 0, 6, fmt.Sprintf("%s: %d / %d / %s / %s / %s / %s / %s", totalsLabel, c.Total, c.Valid(), c.Satisfaction(), c.BadRate(),
		c.RectifyRate(), c.CallbackRate(), c.ActiveRate()))
	pdf.Ln(2)
	widths := []float64{12, 22, 50, 18, 20, 18, 18, 20, 20, 20, 20, 22}
	pdf.SetFont(pdffont.Family, "", 8.5)
	pdf.SetFillColor(221, 235, 247)
	// the table breaks pages itself: a row never splits, and every page
	// it continues on starts with the header again
	pdf.SetAutoPageBreak(false, 14)
	_, pageH := pdf.GetPageSize()
	left, _, _, _ := pdf.GetMargins()
	const lineH = 4.2
	var row func(cells []string, header bool)
	row = func(cells []string, header bool) {
		lines := make([][]string, len(cells))
		n := 1
		for i, s := range cells {
			// names wrap within their cell instead of being cut
			lines[i] = pdffont.Lines(pdf, s, widths[i]-2)
			if len(lines[i]) == 0 {
				lines[i] = []string{""}
			}
			n = max(n, len(lines[i]))
		}
		h := max(7, float64(n)*lineH+2.5)
		if pdf.GetY()+h > pageH-14 {
			pdf.AddPage()
			if !header {
				row(head, true)
			}
		}
		x, y := left, pdf.GetY()
		style := "D"
		if header {
			style = "FD"
		}
		for i := range cells {
			pdf.Rect(x, y, widths[i], h, style)
			align := "C"
			if i == 2 {
				align = "L"
			}
			top := y + (h-float64(len(lines[i]))*lineH)/2
			for j, l := range lines[i] {
				pdf.SetXY(x+1, top+float64(j)*lineH)
				pdf.CellFormat(widths[i]-2, lineH, l, "", 0, align, false, 0, "")
			}
			x += widths[i]
		}
		pdf.SetXY(left, y+h)
	}
	row(head, true)
	for _, r := range b.Rows {
		var cells []string
		for _, v := range Cells(r) {
			cells = append(cells, fmt.Sprint(v))
		}
		row(cells, false)
	}
	pdf.SetAutoPageBreak(true, 14)
	pdf.Ln(4)
	pdf.SetFont(pdffont.Family, "", 11)
	pdf.CellFormat(0, 7, rulesLabel, "", 1, "L", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 9)
	for i, rule := range BulletinRules {
		pdffont.MultiCell(pdf, 0, 5, fmt.Sprintf("%d. %s", i+1, rule.In(lang)))
	}
	return pdf.Output(w)
}

// BulletinTitle is the bulletin's title in lang.
func BulletinTitle(b Bulletin, lang string) string {
	return i18n.T(lang, "publiceval.bulletin_doc_title", b.Unit.DisplayName(lang), b.MonthName(lang))
}

// BulletinColumns are the bulletin's column names in lang.
func BulletinColumns(lang string) []string {
	head := make([]string, len(BulletinHead))
	for i, k := range BulletinHead {
		head[i] = i18n.T(lang, "publiceval."+k)
	}
	return head
}

// BulletinRows are the bulletin's rows for its XLSX download: a row per
// unit in the order of [BulletinHead], then an empty row, the rules'
// heading and each rule in lang.
func BulletinRows(b Bulletin, lang string) [][]any {
	rows := make([][]any, 0, len(b.Rows)+len(BulletinRules)+2)
	for _, x := range b.Rows {
		rows = append(rows, Cells(x))
	}
	rows = append(rows, []any{}, []any{i18n.T(lang, "publiceval.bulletin_rules")})
	for _, x := range BulletinRules {
		rows = append(rows, []any{x.In(lang)})
	}
	return rows
}

// BulletinFormats are the formats [WriteBulletin] writes.
var BulletinFormats = []string{"pdf", "xlsx", "json"}

// WriteBulletin writes the bulletin to w as a PDF, an XLSX workbook or
// JSON ([BulletinData]), its words in lang: what the bulletin page's
// downloads, the API and `zhihui ratings bulletin fetch` give.
func WriteBulletin(w io.Writer, b Bulletin, lang, format string) error {
	switch format {
	case "pdf":
		return WriteBulletinPDF(w, b, lang, BulletinColumns(lang), BulletinTitle(b, lang), i18n.T(lang, "publiceval.bulletin_totals"), i18n.T(lang, "publiceval.bulletin_rules"))
	case "xlsx":
		return spreadsheet.Write(w, BulletinColumns(lang), BulletinRows(b, lang))
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(b.Data(lang))
	}
	return i18n.Errorf("通报格式「%s」应为 pdf、xlsx 或 json", "the bulletin's format %q is pdf, xlsx or json", clip(format, 20)).OnField("format")
}

// Rates are a row's rates in percent, nil without a denominator.
type Rates struct {
	Satisfaction *float64 `json:"satisfaction"`
	Bad          *float64 `json:"bad"`
	Rectify      *float64 `json:"rectify"`
	OnTime       *float64 `json:"on_time"`
	Callback     *float64 `json:"callback"`
	Active       *float64 `json:"active"`
}

// RatesOf are c's rates.
func RatesOf(c Counts) Rates {
	pct := func(r Rate) *float64 {
		if r.Den == 0 {
			return nil
		}
		v := r.Percent()
		return &v
	}
	return Rates{Satisfaction: pct(c.Satisfaction()), Bad: pct(c.BadRate()), Rectify: pct(c.RectifyRate()), OnTime: pct(c.OnTimeRate()),
		Callback: pct(c.CallbackRate()), Active: pct(c.ActiveRate())}
}

// BulletinRow is one unit of the bulletin in JSON.
type BulletinRow struct {
	RankRow
	Rates Rates `json:"rates"`
}

// BulletinData is the bulletin in JSON: the unit, the month, when it was
// issued (null: not yet), the totals and the ranked units with their
// counts and rates, and the rules in lang.
type BulletinData struct {
	Unit     string        `json:"unit"`
	UnitName string        `json:"unit_name"`
	Month    string        `json:"month"`
	Title    string        `json:"title"`
	Issued   *time.Time    `json:"issued_at"`
	Totals   Counts        `json:"totals"`
	Rates    Rates         `json:"rates"`
	Rows     []BulletinRow `json:"rows"`
	Rules    []string      `json:"rules"`
}

// Data is the bulletin in JSON, its words in lang.
func (b Bulletin) Data(lang string) BulletinData {
	d := BulletinData{Unit: b.Unit.Code, UnitName: b.Unit.DisplayName(lang), Month: b.Month, Title: BulletinTitle(b, lang), Issued: b.Issued,
		Totals: b.Totals, Rates: RatesOf(b.Totals), Rows: []BulletinRow{}}
	for _, r := range b.Rows {
		d.Rows = append(d.Rows, BulletinRow{RankRow: r, Rates: RatesOf(r.Counts)})
	}
	for _, x := range BulletinRules {
		d.Rules = append(d.Rules, x.In(lang))
	}
	return d
}

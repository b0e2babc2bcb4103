package monitor

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"zhihui/internal/i18n"
	"zhihui/internal/period"
)

// SheetInfo is what the import read from one worksheet (or the one CSV).
type SheetInfo struct {
	Name        string      `json:"name"`
	Shape       string      `json:"shape,omitempty"` // long, wide, or "" when no header was found
	HeaderRow   int         `json:"header_row,omitempty"`
	ReportUnit  string      `json:"report_unit,omitempty"` // 填报单位
	Period      string      `json:"period,omitempty"`      // 报告期
	Unit        string      `json:"unit,omitempty"`        // 计量单位 line
	Rows        int         `json:"rows"`                  // data rows read
	Values      int         `json:"values"`                // values read (before duplicates)
	Missing     int         `json:"missing"`               // cells marked as no data (—, …, /)
	Columns     []string    `json:"columns,omitempty"`     // "C 城镇家庭户数 ← 城镇家庭 / 户数（户）"
	Conversions []i18n.Text `json:"conversions,omitempty"` // "D 万户 → 户 ×10000", in both languages
	Skipped     i18n.Text   `json:"skipped,omitzero"`      // why a sheet gave nothing
	// Template identifies the header's wording; Unmatched are its
	// columns that name no element (read past unless mapped).
	Template  string      `json:"template,omitempty"`
	Unmatched []Unmatched `json:"unmatched,omitempty"`
}

// UnmarshalJSON reads a sheet's summary, also one a preview of an earlier
// release stored with its conversions and reason for skipping as one
// "中文 / English" string each.
func (si *SheetInfo) UnmarshalJSON(b []byte) error {
	type plain SheetInfo
	var w struct {
		plain
		Conversions []json.RawMessage `json:"conversions"`
		Skipped     json.RawMessage   `json:"skipped"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*si = SheetInfo(w.plain)
	var err error
	if si.Skipped, err = i18n.DecodeText(w.Skipped); err != nil {
		return err
	}
	si.Conversions = nil
	for _, c := range w.Conversions {
		t, err := i18n.DecodeText(c)
		if err != nil {
			return err
		}
		si.Conversions = append(si.Conversions, t)
	}
	return nil
}

// noDataMarks are what statistical tables write in a cell without a
// figure: the cell is a missing value, not an error.
var noDataMarks = map[string]bool{"—": true, "——": true, "－": true, "--": true, "-": true, "…": true, "……": true, "...": true, "/": true, "／": true, "×": true}

// isNoData reports whether a cell holds a no-data mark.
func isNoData(s string) bool { return noDataMarks[strings.TrimSpace(s)] }

var spacedThousands = regexp.MustCompile(`^[+-]?\d{1,3}([ \x{00A0}\x{2009}\x{202F}\x{3000}]\d{3})+(\.\d+)?$`)

// normalizeNumber folds full-width characters to their ASCII forms and
// drops spaces used as thousands separators ("24 876"); other text is
// returned folded but otherwise as it was.
func normalizeNumber(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c == ' ' || c == '\t' {
			plain = false
			break
		}
	}
	if plain {
		return s // the common case: nothing to fold
	}
	s = strings.TrimSpace(width.Narrow.String(s))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '−':
			return '-'
		case '，':
			return ','
		}
		return r
	}, s)
	if spacedThousands.MatchString(s) {
		s = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '\u202F' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// unitScales are the units of count and money that convert into each
// other: a value in the first unit times the scale is in the base unit.
var unitScales = map[string]struct {
	base  string
	scale int64
}{
	"个": {"个", 1}, "万个": {"个", 10000},
	"户": {"户", 1}, "万户": {"户", 10000},
	"人": {"人", 1}, "万人": {"人", 10000},
	"家": {"家", 1}, "万家": {"家", 10000},
	"元": {"元", 1}, "万元": {"元", 10000}, "亿元": {"元", 100000000},
	"%": {"%", 1}, "％": {"%", 1}, "百分比": {"%", 1},
}

var unitRE = regexp.MustCompile(`[（(]\s*([^（）()]{1,6})\s*[）)]\s*$`)

// headerUnit is the unit a header states in trailing brackets, "" if none.
func headerUnit(label string) string {
	m := unitRE.FindStringSubmatch(strings.TrimSpace(label))
	if m == nil {
		return ""
	}
	u := strings.TrimSpace(m[1])
	if _, ok := unitScales[u]; ok {
		return u
	}
	return ""
}

// unitFactor is what a value in unit from is multiplied by to be in unit
// to. ok is false when the units are of different kinds.
func unitFactor(from, to string) (*big.Rat, bool) {
	if from == "" || to == "" || from == to {
		return big.NewRat(1, 1), true
	}
	f, ok1 := unitScales[from]
	t, ok2 := unitScales[to]
	if !ok1 || !ok2 || f.base != t.base {
		return nil, false
	}
	return big.NewRat(f.scale, t.scale), true
}

// convertNumber multiplies the decimal s by f exactly and writes the result
// as a decimal without exponent; ok is false when s is not a number.
func convertNumber(s string, f *big.Rat) (string, bool) {
	s = strings.ReplaceAll(s, ",", "")
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", false
	}
	r.Mul(r, f)
	if r.IsInt() {
		return r.Num().String(), true
	}
	// f is a power of ten over a power of ten: the result has a finite
	// decimal expansion; 12 places are more than any element keeps.
	out := strings.TrimRight(r.FloatString(12), "0")
	return strings.TrimSuffix(out, "."), true
}

// factorText shows a conversion factor: ×10000 or ÷10000.
func factorText(f *big.Rat) string {
	if f.IsInt() {
		return "×" + f.Num().String()
	}
	return "÷" + new(big.Int).Div(f.Denom(), f.Num()).String()
}

// metaKeyRE finds 填报单位 / 报告期 / 计量单位 / 单位 keys in a cell that may
// hold several: "填报单位：开封市工信局　　报告期：2024年　　计量单位：户、个".
var metaKeyRE = regexp.MustCompile(`(填报单位|报告期|计量单位|单位)\s*[:：]`)

// metaPairs reads every key and value of a pre-header cell.
func metaPairs(c string) [][2]string {
	idx := metaKeyRE.FindAllStringSubmatchIndex(c, -1)
	var out [][2]string
	for k, m := range idx {
		end := len(c)
		if k+1 < len(idx) {
			end = idx[k+1][0]
		}
		key := c[m[2]:m[3]]
		if key == "单位" && m[2] >= 3 && strings.HasSuffix(c[:m[2]], "计量") {
			continue
		}
		v := strings.TrimSpace(strings.Trim(c[m[1]:end], " \u3000\t"))
		out = append(out, [2]string{key, v})
	}
	return out
}

var columnNumberRE = regexp.MustCompile(`^(甲|乙|丙|丁|戊|[0-9]{1,3})$`)

// isColumnNumberRow reports whether rec is the 甲/乙/1/2/3 row under a
// statistical table's header.
func isColumnNumberRow(rec []string) bool {
	n := 0
	for _, c := range rec {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !columnNumberRE.MatchString(c) {
			return false
		}
		n++
	}
	return n >= 2
}

var (
	cnRangeRE = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*[-－~～至到]\s*(\d{1,2})\s*月$`)
	dotMonth  = regexp.MustCompile(`^(\d{4})[./](\d{1,2})$`)
)

// normalizeReportPeriod extends normalizePeriod with the spellings of
// report headers: 2024年度, 2024年1-6月 (a half-year), 2024年1-3月 (a
// quarter), 2024年1-12月, 2024.06.
func normalizeReportPeriod(s string) string {
	s = strings.TrimSpace(width.Narrow.String(s))
	s = strings.TrimSuffix(s, "度")
	if m := dotMonth.FindStringSubmatch(s); m != nil {
		var mo int
		fmt.Sscanf(m[2], "%d", &mo)
		if mo >= 1 && mo <= 12 {
			return fmt.Sprintf("%s%02d", m[1], mo)
		}
	}
	if m := cnRangeRE.FindStringSubmatch(s); m != nil {
		var a, b int
		fmt.Sscanf(m[2], "%d", &a)
		fmt.Sscanf(m[3], "%d", &b)
		switch {
		case a == 1 && b == 12:
			return m[1]
		case a == 1 && b == 6:
			return m[1] + "S1"
		case a == 7 && b == 12:
			return m[1] + "S2"
		case b == a+2 && (a-1)%3 == 0:
			return fmt.Sprintf("%sQ%d", m[1], (a-1)/3+1)
		case a == b:
			return fmt.Sprintf("%s%02d", m[1], a)
		}
		return s
	}
	return normalizePeriod(s)
}

// periodType is the type of a period id, 0 when it does not parse.
func periodType(pe string) period.Type {
	p, err := period.Parse(pe)
	if err != nil {
		return 0
	}
	return p.Type
}

// headerAliases are header texts of common 统计报表 that name an element
// other than by its catalogue name (after parents are joined to children).
var headerAliases = map[string]string{
	"行政村总数":   "ADMIN_VILLAGES",
	"行政村个数":   "ADMIN_VILLAGES",
	"行政村通宽带":  "ADMIN_VILLAGES_BB",
	"通宽带行政村数": "ADMIN_VILLAGES_BB",
	"行政村通光纤":  "ADMIN_VILLAGES_FIBER",
	"通光纤行政村数": "ADMIN_VILLAGES_FIBER",
}

// unsupportedFormat names a spreadsheet format the import does not read,
// rather than guessing at it as CSV.
func unsupportedFormat(ext string, head []byte) *i18n.Error {
	name := map[string]string{".xls": "Excel 97–2003 (.xls)", ".et": "WPS 表格 (.et)", ".ods": "OpenDocument (.ods)",
		".numbers": "Numbers (.numbers)", ".wps": "WPS (.wps)", ".xlsb": "Excel 二进制 (.xlsb)"}[ext]
	if name == "" {
		name = "Office 97–2003 / WPS"
	}
	return i18n.Errorf("暂不能直接读取 %s 文件：请在 Excel 或 WPS 中“另存为” .xlsx（或 CSV）后再导入", "%s files cannot be read yet: save the workbook as .xlsx (or CSV) in Excel or WPS and import that", name)
}

// groupErrors merges errors of one cause in one sheet into one message
// with the rows it affects ("第4–12行缺少报告期（共 37 个单元格）");
// errors of a cause met once are kept as they are.
func groupErrors(errs []*i18n.Error) []*i18n.Error {
	type key struct{ sheet, zh, en, col string }
	type group struct {
		rows  []int
		cols  map[string]bool
		first int
	}
	groups := map[key]*group{}
	for i, e := range errs {
		if e.Row == 0 {
			continue
		}
		k := key{e.Sheet, e.Zh, e.En, ""}
		g := groups[k]
		if g == nil {
			g = &group{cols: map[string]bool{}, first: i}
			groups[k] = g
		}
		g.rows = append(g.rows, e.Row)
		g.cols[e.Col] = true
	}
	out := make([]*i18n.Error, 0, len(errs))
	emitted := map[key]bool{}
	for _, e := range errs {
		if e.Row == 0 {
			out = append(out, e)
			continue
		}
		k := key{e.Sheet, e.Zh, e.En, ""}
		g := groups[k]
		if len(g.rows) == 1 {
			out = append(out, e)
			continue
		}
		if emitted[k] {
			continue
		}
		emitted[k] = true
		zh, en := rowRanges(g.rows)
		cols := make([]string, 0, len(g.cols))
		for c := range g.cols {
			if c != "" {
				cols = append(cols, c)
			}
		}
		sort.Strings(cols)
		colZh, colEn := "", ""
		if len(cols) > 0 && len(cols) <= 5 {
			colZh, colEn = "「"+strings.Join(cols, "、")+"」列", ", column "+strings.Join(cols, ", ")
		}
		ge := &i18n.Error{Text: i18n.Text{Zh: fmt.Sprintf("%s（%s%s，共 %d 个单元格）", e.Zh, zh, colZh, len(g.rows)),
			En: fmt.Sprintf("%s (%s%s; %d cells)", e.En, en, colEn, len(g.rows))}}
		ge.Sheet = e.Sheet
		out = append(out, ge)
	}
	return out
}

// rowRanges writes sorted rows as ranges: 第4–12、15行 / rows 4–12, 15.
func rowRanges(rows []int) (zh, en string) {
	sort.Ints(rows)
	var parts []string
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1] <= rows[j]+1 {
			j++
		}
		if rows[i] == rows[j] {
			parts = append(parts, fmt.Sprint(rows[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d–%d", rows[i], rows[j]))
		}
		i = j + 1
	}
	if len(parts) > 8 {
		parts = append(parts[:8], "…")
	}
	return "第" + strings.Join(parts, "、") + "行", "rows " + strings.Join(parts, ", ")
}

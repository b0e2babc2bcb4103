package publiceval

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Record is one rating in the exchange format shared with the provincial
// rating system (省政务服务“好差评”系统), as CSV (one row per rating, the
// header naming the columns below, in any order; Chinese headers are
// accepted too) or JSON (an array of objects, or {"ratings": [...]}).
// See docs/guide.md, 公众评价, for the shape.
type Record struct {
	// RatingID identifies the rating in the provincial system (or, for a
	// rating made here, "ZH-<id>"); importing a rating id twice changes
	// nothing.
	RatingID string   `json:"rating_id"`
	Target   string   `json:"target"`
	Level    int      `json:"level"`
	Tags     []string `json:"tags"`
	Comment  string   `json:"comment"`
	Case     string   `json:"case_no"`
	Name     string   `json:"rater_name"`
	Phone    string   `json:"rater_phone"`
	Channel  string   `json:"channel"`
	// RatedAt is RFC 3339, or "2006-01-02 15:04:05" in Asia/Shanghai.
	RatedAt string `json:"rated_at"`

	at  time.Time
	row int // where it is in its file
}

// ExchangeColumns are the CSV columns, in the order exports write them.
var ExchangeColumns = []string{"rating_id", "target", "level", "tags", "comment", "case_no", "rater_name", "rater_phone", "channel", "rated_at"}

// exchangeAliases are the Chinese headers the provincial system writes.
var exchangeAliases = map[string]string{
	"评价编号": "rating_id", "评价对象": "target", "评价等级": "level", "原因标签": "tags", "评价内容": "comment",
	"办件编号": "case_no", "评价人": "rater_name", "联系电话": "rater_phone", "评价渠道": "channel", "评价时间": "rated_at",
}

// MaxExchangeRows bounds one exchange file.
const MaxExchangeRows = 50_000

var ratingIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseExchange reads an exchange file: JSON when name ends in .json or
// the content starts with [ or {, CSV otherwise. It returns the records
// and every problem found, each located at its row (the CSV line, the
// JSON array index + 1) and column; records are usable only when there
// are no errors.
func ParseExchange(name string, r io.Reader) ([]Record, []*i18n.Error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, []*i18n.Error{i18n.Errorf("文件读取失败", "the file could not be read")}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, []*i18n.Error{i18n.Errorf("文件不是 UTF-8 编码的文本", "the file is not UTF-8 text")}
	}
	trim := bytes.TrimSpace(data)
	var recs []Record
	var errs []*i18n.Error
	var rowOf func(i int) int
	if strings.HasSuffix(strings.ToLower(name), ".json") || (len(trim) > 0 && (trim[0] == '[' || trim[0] == '{')) {
		recs, errs = parseExchangeJSON(trim)
		rowOf = func(i int) int { return i + 1 }
	} else {
		var lines []int
		recs, lines, errs = parseExchangeCSV(data)
		rowOf = func(i int) int { return lines[i] }
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(recs) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件中没有评价", "the file holds no ratings")}
	}
	if len(recs) > MaxExchangeRows {
		return nil, []*i18n.Error{i18n.Errorf("一个文件最多 %d 条评价，此文件有 %d 条", "one file holds at most %d ratings; this one has %d", MaxExchangeRows, len(recs))}
	}
	seen, cases := map[string]int{}, map[string]int{}
	for i := range recs {
		row := rowOf(i)
		recs[i].row = row
		if e := recs[i].check(); e != nil {
			errs = append(errs, e.At(row, e.Field))
			continue
		}
		if first, ok := seen[recs[i].RatingID]; ok {
			errs = append(errs, i18n.Errorf("评价编号「%s」与第 %d 行重复", "rating id %q repeats row %d", clip(recs[i].RatingID, 40), first).At(row, "rating_id"))
		} else {
			seen[recs[i].RatingID] = row
		}
		if c := recs[i].Case; c != "" {
			if first, ok := cases[c]; ok {
				errs = append(errs, i18n.Errorf("办件编号「%s」与第 %d 行重复，每个办件只能评价一次", "case number %q repeats row %d; each case is rated once", c, first).At(row, "case_no"))
			} else {
				cases[c] = row
			}
		}
		if len(errs) >= 200 {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return recs, nil
}

func parseExchangeJSON(data []byte) ([]Record, []*i18n.Error) {
	var recs []Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var err error
	if len(data) > 0 && data[0] == '{' {
		var wrap struct {
			Ratings []Record `json:"ratings"`
		}
		err = dec.Decode(&wrap)
		recs = wrap.Ratings
	} else {
		err = dec.Decode(&recs)
	}
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err != nil {
		return nil, []*i18n.Error{i18n.Errorf("不是有效的评价交换 JSON：%v", "not a valid rating exchange JSON: %v", clip(err.Error(), 200))}
	}
	return recs, nil
}

func parseExchangeCSV(data []byte) ([]Record, []int, []*i18n.Error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, []*i18n.Error{i18n.Errorf("第 1 行应为列名", "line 1 should name the columns").At(1, "")}
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if a, ok := exchangeAliases[h]; ok {
			h = a
		}
		known := false
		for _, c := range ExchangeColumns {
			known = known || c == h
		}
		if !known {
			return nil, nil, []*i18n.Error{i18n.Errorf("不认识的列「%s」；可用的列：%s", "unknown column %q; the columns are %s", clip(h, 40), strings.Join(ExchangeColumns, ", ")).At(1, clip(h, 40))}
		}
		if _, dup := col[h]; dup {
			return nil, nil, []*i18n.Error{i18n.Errorf("列「%s」出现了两次", "column %q appears twice", h).At(1, h)}
		}
		col[h] = i
	}
	for _, need := range []string{"rating_id", "target", "level"} {
		if _, ok := col[need]; !ok {
			return nil, nil, []*i18n.Error{i18n.Errorf("缺少必需的列「%s」", "the required column %q is missing", need).At(1, need)}
		}
	}
	var recs []Record
	var lines []int
	var errs []*i18n.Error
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs = append(errs, i18n.Errorf("CSV 格式错误（如引号未闭合）", "malformed CSV (such as an unclosed quote)").At(line, ""))
			break
		}
		line, _ := cr.FieldPos(0)
		if len(recs) >= MaxExchangeRows {
			recs = append(recs, Record{})
			break
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		r := Record{RatingID: get("rating_id"), Target: get("target"), Comment: get("comment"), Case: get("case_no"),
			Name: get("rater_name"), Phone: get("rater_phone"), Channel: get("channel"), RatedAt: get("rated_at")}
		if s := get("level"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, i18n.Errorf("评价等级「%s」应为 1 至 5 的整数", "the level %q is a whole number from 1 to 5", clip(s, 20)).At(line, "level"))
				continue
			}
			r.Level = n
		}
		for _, t := range strings.FieldsFunc(get("tags"), func(r rune) bool { return r == ';' || r == '；' || r == '|' }) {
			r.Tags = append(r.Tags, strings.TrimSpace(t))
		}
		recs = append(recs, r)
		lines = append(lines, line)
		if len(errs) >= 200 {
			break
		}
	}
	return recs, lines, errs
}

// check validates r as a rating and normalises it; masked identities
// (an export's 张* and 138****1234) are taken as absent.
func (r *Record) check() *i18n.Error {
	fe := func(field string, e *i18n.Error) *i18n.Error { return e.OnField(field) }
	r.RatingID = strings.TrimSpace(r.RatingID)
	if !ratingIDRE.MatchString(r.RatingID) {
		return fe("rating_id", i18n.Errorf("评价编号应为 1 至 64 位字母、数字、点、下划线或连字符", "the rating id has 1 to 64 letters, digits, dots, underscores or hyphens"))
	}
	if strings.Contains(r.Name, "*") || strings.Contains(r.Phone, "*") {
		r.Name, r.Phone = "", ""
	}
	in := Input{Target: r.Target, Level: r.Level, Tags: r.Tags, Comment: r.Comment, Case: r.Case, Name: r.Name, Phone: r.Phone}
	if err := in.check(); err != nil {
		ue := err.(*i18n.Error)
		field := map[string]string{"target": "target", "level": "level", "tags": "tags", "comment": "comment", "case": "case_no", "name": "rater_name", "phone": "rater_phone"}[ue.Field]
		return fe(field, ue)
	}
	r.Target, r.Tags, r.Comment, r.Case, r.Name, r.Phone = in.Target, in.Tags, in.Comment, in.Case, in.Name, in.Phone
	r.Channel = strings.TrimSpace(r.Channel)
	if utf8.RuneCountInString(r.Channel) > 20 {
		return fe("channel", i18n.Errorf("评价渠道最多 20 字", "the channel has at most 20 characters"))
	}
	at, err := parseRatedAt(r.RatedAt)
	if err != nil {
		return fe("rated_at", i18n.Errorf("评价时间「%s」应写作 2026-03-01 09:30:00（北京时间）或 RFC 3339", "the time %q is 2026-03-01 09:30:00 (Beijing time) or RFC 3339", clip(r.RatedAt, 40)))
	}
	if at.Year() < 2000 || at.After(time.Now().Add(24*time.Hour)) {
		return fe("rated_at", i18n.Errorf("评价时间「%s」不在 2000 年至今之间", "the time %q is not between 2000 and now", clip(r.RatedAt, 40)))
	}
	r.at = at.UTC().Truncate(time.Microsecond)
	return nil
}

func parseRatedAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, f := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(f, s, shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad time")
}

// ImportResult says what an import did (or, in a dry run, would do).
type ImportResult struct {
	Rows     int           `json:"rows"`
	New      int           `json:"new"`      // ratings added
	Existing int           `json:"existing"` // already here: left as they are
	Cases    int           `json:"cases"`    // 差评 cases opened
	Written  bool          `json:"written"`
	Errors   []*i18n.Error `json:"errors,omitempty"`
}

// OK reports whether the file had no errors.
func (r ImportResult) OK() bool { return len(r.Errors) == 0 }

// Import reads an exchange file and, unless dryRun, adds its ratings that
// are not here yet in one transaction (all or nothing): ratings of
// targets the caller may act for (allowed), on channel "import", their
// 差评 opening cases like any other, the month figures kept with them.
// A rating id already imported — or "ZH-<id>" of a rating made here —
// is left as it is, so the same file twice changes nothing.
func (s *Service) Import(ctx context.Context, a audit.Actor, name string, r io.Reader, dryRun bool, allowed func(path string) bool) (ImportResult, error) {
	recs, errs := ParseExchange(name, r)
	res := ImportResult{Rows: len(recs), Errors: errs}
	if len(errs) > 0 {
		return res, nil
	}
	targets := map[string]Target{}
	for _, rc := range recs {
		if _, ok := targets[rc.Target]; ok || len(res.Errors) >= 200 {
			continue
		}
		t, err := s.target(ctx, rc.Target)
		if err == ErrNoTarget {
			res.Errors = append(res.Errors, i18n.Errorf("评价对象「%s」未登记", "nothing is registered as %q", clip(rc.Target, 40)).At(rc.row, "target"))
			continue
		}
		if err != nil {
			return res, err
		}
		if !allowed(t.OrgPath) {
			res.Errors = append(res.Errors, i18n.Errorf("您不能为「%s」导入评价", "you may not import ratings for %s", t.Name).At(rc.row, "target"))
			continue
		}
		targets[rc.Target] = t
	}
	if len(res.Errors) > 0 {
		return res, nil
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		res.New, res.Existing, res.Cases = 0, 0, 0
		b := batchState{months: map[Key]Counts{}, paths: map[int64]string{}}
		for _, rc := range recs {
			exists, err := ratingExists(ctx, tx, rc.RatingID)
			if err != nil {
				return err
			}
			if exists {
				res.Existing++
				continue
			}
			if rc.Case != "" {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE case_no = $1`, rc.Case).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return ErrCaseRated.At(rc.row, "case_no")
				}
			}
			res.New++
			if dryRun {
				continue
			}
			t := targets[rc.Target]
			rt := Rating{TargetID: t.ID, Target: t.Key, OrgPath: t.OrgPath, Month: MonthOf(rc.at), Level: rc.Level, Tags: rc.Tags,
				Comment: rc.Comment, Case: rc.Case, Named: rc.Name != "", Channel: ChannelImport, CreatedAt: rc.at}
			var caseNo any
			if rc.Case != "" {
				caseNo = rc.Case
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO publiceval_rating (target_id, org_path, month, level, tags, comment, case_no,
				rater_name, rater_phone, channel, ip, net, device, origin, flags, excluded, external_id, demo, created_at, recorded_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', '', $11, '', FALSE, $12, FALSE, $13, $14) RETURNING id`,
				t.ID, t.OrgPath, rt.Month, rt.Level, strings.Join(rt.Tags, ","), rt.Comment, caseNo, rc.Name, rc.Phone, ChannelImport,
				clip(rc.Channel, 20), rc.RatingID, rc.at, s.now()).Scan(&rt.ID); err != nil {
				return fmt.Errorf("publiceval: import rating %s: %w", rc.RatingID, err)
			}
			var cs *caseRow
			if IsBad(rt.Level) {
				if b.settings == nil {
					set, err := LoadSettings(ctx, tx)
					if err != nil {
						return err
					}
					b.settings = &set
				}
				c, err := s.openCase(ctx, tx, *b.settings, rt, t, rc.at)
				if err != nil {
					return err
				}
				cs = &c
				res.Cases++
			}
			k := Key{Month: rt.Month, Target: t.ID}
			sum := b.months[k]
			sum.Add(Contribution(rowOf(rt), cs))
			b.months[k], b.paths[t.ID] = sum, t.OrgPath
		}
		for k, d := range b.months {
			if err := addMonth(ctx, tx, k.Month, k.Target, b.paths[k.Target], d); err != nil {
				return err
			}
		}
		if dryRun || res.New == 0 {
			return nil
		}
		return audit.Record(ctx, tx, a, "import", "publiceval_rating", name, "/"+orgunit.Root+"/", nil,
			map[string]any{"file": name, "rows": res.Rows, "new": res.New, "existing": res.Existing, "cases": res.Cases})
	})
	var ue *i18n.Error
	if errors.As(err, &ue) {
		res.Errors = append(res.Errors, ue)
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Written = !dryRun && res.New > 0
	return res, nil
}

// ratingExists reports whether the rating id is here: imported under it,
// or "ZH-<id>" of a rating made here.
func ratingExists(ctx context.Context, tx *store.Tx, id string) (bool, error) {
	var n int
	if rest, ok := strings.CutPrefix(id, "ZH-"); ok {
		if zid, err := strconv.ParseInt(rest, 10, 64); err == nil {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE id = $1`, zid).Scan(&n); err != nil {
				return false, err
			}
			if n > 0 {
				return true, nil
			}
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE external_id = $1`, id).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// MaxExport bounds an exchange export.
const MaxExport = 100_000

// Export returns the ratings of the subtree path over p in the exchange
// format, oldest first, the rater's identity masked. Ratings judged
// malicious and flagged ones are included (their state is the other
// system's to see in the statistics); at most [MaxExport].
func Export(ctx context.Context, db *store.DB, path string, p Period) ([]Record, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT r.id, COALESCE(r.external_id, ''), t.tkey, r.level, r.tags, r.comment, COALESCE(r.case_no, ''),
		r.rater_name, r.rater_phone, r.channel, r.created_at
		FROM publiceval_rating r JOIN publiceval_target t ON t.id = r.target_id
		WHERE r.org_path >= $1 AND r.org_path < $2 AND r.month >= $3 AND r.month <= $4
		ORDER BY r.created_at, r.id LIMIT `+strconv.Itoa(MaxExport), lo, hi, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("publiceval: export: %w", err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var rc Record
		var id int64
		var tags string
		var at time.Time
		if err := rows.Scan(&id, &rc.RatingID, &rc.Target, &rc.Level, &tags, &rc.Comment, &rc.Case, &rc.Name, &rc.Phone, &rc.Channel, &at); err != nil {
			return nil, err
		}
		if rc.RatingID == "" {
			rc.RatingID = "ZH-" + strconv.FormatInt(id, 10)
		}
		rc.Tags = []string{}
		if tags != "" {
			rc.Tags = strings.Split(tags, ",")
		}
		rc.Name, rc.Phone = MaskName(rc.Name), MaskPhone(rc.Phone)
		rc.RatedAt = at.In(shanghai).Format(time.RFC3339)
		out = append(out, rc)
	}
	return out, rows.Err()
}

// WriteCSV writes records as an exchange CSV; text cells a spreadsheet
// would evaluate (starting with = + - @) are written with a leading '.
func WriteCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExchangeColumns); err != nil {
		return err
	}
	for _, r := range recs {
		row := []string{r.RatingID, r.Target, strconv.Itoa(r.Level), strings.Join(r.Tags, ";"), r.Comment, r.Case, r.Name, r.Phone, r.Channel, r.RatedAt}
		for i, v := range row {
			if v != "" && strings.ContainsRune("=+-@", rune(v[0])) && i != 0 && i != 9 {
				row[i] = "'" + v
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes records as an exchange JSON document.
func WriteJSON(w io.Writer, recs []Record) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(map[string]any{"ratings": recs})
}

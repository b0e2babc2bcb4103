package ecstat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// ResponseLine is one answer of one enterprise, as the API and the command
// line take them: the enterprise's credit code, the survey's period (may
// be empty), the item and its value, and optionally the reason that keeps
// the answer when an edit of severity warning questions it (a reason on
// an item confirms every warning about that item).
type ResponseLine struct {
	CreditCode string `json:"credit_code"`
	Period     string `json:"period,omitempty"`
	Item       string `json:"item"`
	Value      string `json:"value"`
	Reason     string `json:"reason,omitempty"`
	// Row is where the line was read in a file (its row, from 1); 0 for
	// a list, whose lines are numbered from 1 in order.
	Row int `json:"-"`
}

// MaxResponseRows bounds the rows of a file of answers.
const MaxResponseRows = 100_000

// responseCols are the columns of a file of answers and the names a
// header may give them.
var responseCols = map[string][]string{
	"credit_code": {"credit_code", "统一社会信用代码", "信用代码"},
	"item":        {"item", "项目", "项目代码"},
	"value":       {"value", "数值", "填报值", "值"},
	"reason":      {"reason", "说明"},
	"period":      {"period", "报告期"},
}

// ReadResponses reads answers from a CSV or XLSX file (by the extension
// of name) whose header names the columns credit_code, item and value,
// and optionally reason and period (or their Chinese names: 统一社会信用代码,
// 项目, 数值, 说明, 报告期), one answer a row, for [SubmitLines]; each line
// keeps its row. A file without those columns, or with too many rows, is
// refused with a bilingual error.
func ReadResponses(name string, r io.Reader) ([]ResponseLine, error) {
	var cols map[string]int
	var out []ResponseLine
	var tooMany bool
	uerr, err := readTable(name, r, func(n int, rec []string) error {
		if cols == nil {
			if blank(rec) {
				return nil
			}
			cols = map[string]int{}
			for i, h := range rec {
				h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
				for key, names := range responseCols {
					for _, x := range names {
						if h == x {
							cols[key] = i
						}
					}
				}
			}
			return nil
		}
		if blank(rec) {
			return nil
		}
		if len(out) == MaxResponseRows {
			tooMany = true
			return errStop
		}
		get := func(key string) string {
			if i, ok := cols[key]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		out = append(out, ResponseLine{CreditCode: get("credit_code"), Item: get("item"), Value: get("value"), Reason: get("reason"), Period: get("period"), Row: n})
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	if uerr != nil {
		return nil, uerr
	}
	if cols == nil {
		return nil, i18n.Errorf("文件是空的", "the file is empty").OnField("file")
	}
	for _, key := range []string{"credit_code", "item", "value"} {
		if _, ok := cols[key]; !ok {
			return nil, i18n.Errorf("文件的表头缺少 %s 列（应有 credit_code、item、value，可选 reason、period）", "the file's header has no column %s (credit_code, item and value are needed; reason and period are optional)", key).At(1, key)
		}
	}
	if tooMany {
		return nil, i18n.Errorf("文件超过 %d 行", "the file has more than %d rows", MaxResponseRows).OnField("file")
	}
	return out, nil
}

// Problem codes of a refused form in the API's error list.
const (
	// CodeEditWarning is a warning without a reason: give one (the
	// field names the item) to keep the answer.
	CodeEditWarning = "edit_warning"
	// CodeEditError is an answer to correct.
	CodeEditError = "edit_error"
)

// Problems lists a refused form's errors and unconfirmed warnings for the
// API: errors with code edit_error, warnings with code edit_warning, each
// on its item's field and, when code is not empty, at place code (the
// enterprise's credit code).
func (e *FormError) Problems(code string) i18n.Errors {
	var out i18n.Errors
	for _, x := range e.Errors {
		out = append(out, x.WithCode(CodeEditError).AtPlace(code))
	}
	for _, w := range e.Warnings {
		out = append(out, w.Err.WithCode(CodeEditWarning).AtPlace(code))
	}
	return out
}

// ReasonsByItem turns reasons given per item into reasons per edit of s:
// each edit about an item with a reason (its left-hand item) gets it.
func (s *Survey) ReasonsByItem(byItem map[string]string) map[int]string {
	out := map[int]string{}
	for i, ed := range s.Edits {
		if r := strings.TrimSpace(byItem[ed.Left]); r != "" {
			out[i] = r
		}
	}
	return out
}

// SubmitResult counts what [SubmitLines] stored.
type SubmitResult struct {
	Saved     int `json:"saved"`
	Confirmed int `json:"confirmed"`
}

// SubmitLines stores the answers of every enterprise the lines name, one
// return each (every item of the form, as the page takes it), with the
// reasons given for answers an edit warns of, all or nothing: every
// enterprise's return is checked first, and only when none has a problem
// are they all stored, in one transaction. access says whether the caller
// may answer for an enterprise and whether it does so on the enterprise's
// behalf; an error of access that is not a user error (a refusal) stops
// at once. Otherwise every problem of every line is listed
// ([i18n.Errors]), each at its line (Row, from 1) and column
// (credit_code, period, item, value or reason), a form's problems on
// their item's field at the enterprise's credit code (Place). Lines must
// carry s's period when they carry one.
func SubmitLines(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, lines []ResponseLine,
	access func(Enterprise) (onBehalf bool, err error)) (SubmitResult, error) {
	var res SubmitResult
	type firm struct {
		first           int            // the enterprise's first line
		rows            map[string]int // item → its line
		values, reasons map[string]string
	}
	by := map[string]*firm{}
	var order []string
	var errs i18n.Errors
	for i, x := range lines {
		row := i + 1
		if x.Row > 0 {
			row = x.Row
		}
		code := NormalizeCreditCode(x.CreditCode)
		if code == "" {
			errs = append(errs, i18n.Errorf("第 %d 条缺少统一社会信用代码", "entry %d has no credit code", row).At(row, "credit_code"))
			continue
		}
		if x.Period != "" {
			if y, q, perr := ParsePeriod(x.Period); perr != nil || y != s.Year || q != s.Quarter {
				errs = append(errs, i18n.Errorf("第 %d 条的期别 %q 不是本调查的报告期 %s", "entry %d: period %q is not the survey's period %s", row, x.Period, s.Period()).At(row, "period").AtPlace(code))
			}
		}
		item := strings.ToUpper(strings.TrimSpace(x.Item))
		if _, ok := s.Item(item); !ok {
			errs = append(errs, i18n.Errorf("第 %d 条的项目 %q 不在本调查表中", "entry %d: item %q is not on the survey's form", row, x.Item).At(row, "item").AtPlace(code))
			continue
		}
		f := by[code]
		if f == nil {
			f = &firm{first: row, rows: map[string]int{}, values: map[string]string{}, reasons: map[string]string{}}
			by[code] = f
			order = append(order, code)
		}
		if prev, dup := f.rows[item]; dup {
			errs = append(errs, i18n.Errorf("第 %d 条重复了第 %d 条（同一企业的项目 %s）", "entry %d repeats entry %d (item %s of the same enterprise)", row, prev, item).At(row, "item").AtPlace(code))
			continue
		}
		f.rows[item] = row
		f.values[item] = x.Value
		if r := strings.TrimSpace(x.Reason); r != "" {
			f.reasons[item] = r
		}
	}
	if len(lines) == 0 {
		return res, i18n.Errorf("没有要保存的数据", "nothing to store")
	}
	type checked struct {
		e       Enterprise
		values  map[string]string
		reasons map[int]string
		behalf  bool
		c       *Checked
	}
	var ok []checked
	for _, code := range order {
		f := by[code]
		e, err := enterpriseByCode(ctx, db, code)
		if errors.Is(err, store.ErrNotFound) {
			errs = append(errs, i18n.Errorf("名录库中没有统一社会信用代码为 %q 的企业", "the register has no enterprise with credit code %q", code).At(f.first, "credit_code").AtPlace(code))
			continue
		}
		if err != nil {
			return res, err
		}
		behalf, err := access(e)
		if ue := (*i18n.Error)(nil); errors.As(err, &ue) {
			errs = append(errs, ue.At(f.first, "credit_code").AtPlace(code))
			continue
		}
		if err != nil {
			return res, err
		}
		values := map[string]string{}
		for _, it := range s.Items {
			values[it.Code] = strings.TrimSpace(f.values[it.Code])
		}
		reasons := s.ReasonsByItem(f.reasons)
		c, err := checkReturn(ctx, db, s, e, values, reasons)
		var fe *FormError
		switch {
		case errors.As(err, &fe):
			for _, p := range fe.Problems(code) {
				if row, has := f.rows[p.Field]; has {
					col := "value"
					if p.Col == "reason" {
						col = "reason"
					}
					errs = append(errs, p.At(row, col))
				} else {
					errs = append(errs, p.At(f.first, "item"))
				}
			}
			continue
		case errors.Is(err, ErrNotSampled):
			errs = append(errs, i18n.Errorf("企业 %s 不在本调查的样本中", "enterprise %s is not in this survey's sample", code).At(f.first, "credit_code").AtPlace(code).Wrap(err))
			continue
		case err != nil:
			return res, err
		}
		ok = append(ok, checked{e: e, values: values, reasons: reasons, behalf: behalf, c: c})
	}
	if len(errs) > 0 {
		return res, errs
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, x := range ok {
			if err := storeReturn(ctx, tx, a, s, x.e, x.values, x.c, x.reasons, x.behalf); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	for _, x := range ok {
		res.Saved++
		res.Confirmed += len(x.c.Warnings)
	}
	return res, nil
}

// enterpriseByCode returns the register's enterprise with credit code
// code (wraps store.ErrNotFound when there is none).
func enterpriseByCode(ctx context.Context, db *store.DB, code string) (Enterprise, error) {
	e, err := scanEnterprise(db.R.QueryRowContext(ctx, `SELECT `+entCols+` FROM ecstat_enterprise WHERE credit_code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("ecstat: enterprise %s: %w", code, store.ErrNotFound)
	}
	return e, err
}

// FormSpec is a survey's form as the API and the command line read and
// write it: its items and edits, and whether answers lock it.
type FormSpec struct {
	Items  []Item `json:"items"`
	Edits  []Edit `json:"edits"`
	Locked bool   `json:"locked"`
	// Described says each edit in words, in the order of Edits.
	Described []i18n.Text `json:"described,omitempty"`
}

// GetFormSpec returns survey s's form with each edit described.
func GetFormSpec(ctx context.Context, db *store.DB, s *Survey) (*FormSpec, error) {
	n, err := Answered(ctx, db, s.ID)
	if err != nil {
		return nil, err
	}
	f := &FormSpec{Items: s.Items, Edits: s.Edits, Locked: n > 0}
	if f.Edits == nil {
		f.Edits = []Edit{}
	}
	for _, ed := range s.Edits {
		f.Described = append(f.Described, s.EditText(ed))
	}
	return f, nil
}

package ecstat

import (
	"context"
	"errors"
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
// reasons given for answers an edit warns of. access says whether the
// caller may answer for an enterprise and whether it does so on the
// enterprise's behalf. Lines must carry s's period when they carry one.
// The enterprises are checked in the order they first appear; the first
// refused return stops the rest (the ones before it are stored), and its
// error names the enterprise.
func SubmitLines(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, lines []ResponseLine,
	access func(Enterprise) (onBehalf bool, err error)) (SubmitResult, error) {
	var res SubmitResult
	type firm struct {
		values, reasons map[string]string
	}
	by := map[string]*firm{}
	var order []string
	for i, x := range lines {
		if x.Period != "" {
			if y, q, perr := ParsePeriod(x.Period); perr != nil || y != s.Year || q != s.Quarter {
				return res, i18n.Errorf("第 %d 条的期别 %q 不是本调查的报告期 %s", "entry %d: period %q is not the survey's period %s", i+1, x.Period, s.Period()).At(i+1, "period")
			}
		}
		code := NormalizeCreditCode(x.CreditCode)
		f := by[code]
		if f == nil {
			f = &firm{values: map[string]string{}, reasons: map[string]string{}}
			by[code] = f
			order = append(order, code)
		}
		item := strings.ToUpper(strings.TrimSpace(x.Item))
		f.values[item] = x.Value
		if r := strings.TrimSpace(x.Reason); r != "" {
			f.reasons[item] = r
		}
	}
	if len(order) == 0 {
		return res, i18n.Errorf("没有要保存的数据", "nothing to store")
	}
	for _, code := range order {
		list, _, err := Enterprises(ctx, db, Filter{Scopes: []string{"/41/"}, Query: code, Limit: 1})
		if err != nil {
			return res, err
		}
		if len(list) != 1 || list[0].CreditCode != code {
			return res, i18n.Errorf("名录库中没有统一社会信用代码为 %q 的企业", "the register has no enterprise with credit code %q", code).AtPlace(code)
		}
		e := list[0]
		behalf, err := access(e)
		if err != nil {
			return res, err
		}
		f := by[code]
		values := map[string]string{}
		for _, it := range s.Items {
			values[it.Code] = strings.TrimSpace(f.values[it.Code])
		}
		reasons := s.ReasonsByItem(f.reasons)
		err = SubmitConfirmed(ctx, db, a, s, e, values, reasons, behalf)
		var fe *FormError
		if errors.As(err, &fe) {
			return res, fe.Problems(code)
		}
		if errors.Is(err, ErrNotSampled) {
			return res, i18n.Errorf("企业 %s 不在本调查的样本中", "enterprise %s is not in this survey's sample", code).AtPlace(code).Wrap(err)
		}
		if err != nil {
			return res, err
		}
		res.Saved++
		cs, err := Confirmations(ctx, db, s.ID, e.ID)
		if err != nil {
			return res, err
		}
		res.Confirmed += len(cs)
	}
	return res, nil
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

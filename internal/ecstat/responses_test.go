package ecstat

import (
	"context"
	"errors"
	"strings"
	"testing"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestSubmitLinesAllOrNothing: returns for several enterprises at once are
// stored all or nothing. A list with a bad line anywhere — a value an edit
// refuses for the third firm, an unknown credit code, an item not on the
// form, a repeated line, a firm outside the sample, a wrong period —
// stores no return at all, and every problem is listed at its line and
// column in Chinese and English; the same list corrected stores every
// return in one go; a refusal of access stops the list and stores
// nothing.
func TestSubmitLinesAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		csv := header
		var codes []string
		for i := 0; i < 4; i++ {
			codes = append(codes, code("410102", 900+i))
			csv += codes[i] + ",批量企业" + string(rune('甲'+i)) + ",F5292,410102,小型,是,10,1000\n"
		}
		if res := importCSV(t, db, 2015, csv, all, false); !res.OK() {
			t.Fatalf("register: %+v", res.Errors)
		}
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "批量报送", Period: "2015",
			Items: []Item{{Code: EcomSales, Name: "电子商务销售额", Unit: "万元"}, {Code: OnlineRetail, Name: "网上零售额", Unit: "万元"}}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := GetSurvey(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 10, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		// The fourth firm leaves the sample.
		fourth, err := enterpriseByCode(ctx, db, codes[3])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `DELETE FROM ecstat_sample WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, fourth.ID); err != nil {
			t.Fatal(err)
		}
		line := func(c, item, v string) ResponseLine {
			return ResponseLine{CreditCode: c, Period: "2015", Item: item, Value: v}
		}
		good := []ResponseLine{
			line(codes[0], EcomSales, "100"), line(codes[0], OnlineRetail, "50"),
			line(codes[1], EcomSales, "200"), line(codes[1], OnlineRetail, "20"),
			line(codes[2], EcomSales, "300"), line(codes[2], OnlineRetail, "30"),
		}
		anyone := func(Enterprise) (bool, error) { return true, nil }
		bad := append([]ResponseLine{}, good...)
		bad[5].Value = "3000" // online retail above sales: refused
		bad = append(bad,
			line(code("410102", 999), EcomSales, "1"), // 7: not in the register
			line(codes[0], "NOPE", "1"),               // 8: not on the form
			line(codes[1], EcomSales, "200"),          // 9: repeats line 3
			line(codes[3], EcomSales, "1"),            // 10: not in the sample
			ResponseLine{CreditCode: codes[3], Period: "2016", Item: OnlineRetail, Value: "1"}, // 11: another period
		)
		_, err = SubmitLines(ctx, db, office, s, bad, anyone)
		var errs i18n.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("a bad list: %v", err)
		}
		want := []struct {
			row int
			col string
			en  string
		}{{11, "period", "not the survey's period"}, {8, "item", "not on the survey's form"}, {9, "item", "repeats entry 3"},
			{6, "value", "cannot exceed"}, {7, "credit_code", "no enterprise"}, {10, "credit_code", "not in this survey's sample"}}
		if len(errs) != len(want) {
			t.Fatalf("errors: %v", err)
		}
		for _, w := range want {
			found := false
			for _, e := range errs {
				if e.Row == w.row && e.Col == w.col && strings.Contains(e.En, w.en) && e.Zh != "" && e.Zh != e.En {
					found = true
				}
			}
			if !found {
				t.Errorf("no error at row %d column %s (%s): %v", w.row, w.col, w.en, err)
			}
		}
		if n, _ := Answered(ctx, db, s.ID); n != 0 {
			t.Fatalf("a refused list stored %d returns", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_response WHERE survey_id = $1`, s.ID); n != 0 {
			t.Fatalf("a refused list stored %d answers", n)
		}
		// A refusal of access stops the list: nothing is stored.
		refused := errors.New("forbidden")
		if _, err := SubmitLines(ctx, db, office, s, good, func(e Enterprise) (bool, error) {
			if e.CreditCode == codes[2] {
				return false, refused
			}
			return true, nil
		}); !errors.Is(err, refused) {
			t.Fatalf("access refused: %v", err)
		}
		if n, _ := Answered(ctx, db, s.ID); n != 0 {
			t.Fatalf("a refused caller stored %d returns", n)
		}
		res, err := SubmitLines(ctx, db, office, s, good, anyone)
		if err != nil || res.Saved != 3 {
			t.Fatalf("the corrected list: %+v %v", res, err)
		}
		if n, _ := Answered(ctx, db, s.ID); n != 3 {
			t.Fatalf("returns stored: %d", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_return WHERE survey_id = $1 AND on_behalf = 1`, s.ID); n != 3 {
			t.Fatalf("on behalf: %d", n)
		}
	})
}

// TestReadResponses: a file of answers is read by its header (English or
// Chinese column names, any order), blank rows skipped, each line keeping
// its row for the errors; a header without a needed column is refused
// naming it.
func TestReadResponses(t *testing.T) {
	csv := "\ufeff项目,统一社会信用代码,数值,说明\nECOM_SALES,91410102000000001X,100,\n\nONLINE_RETAIL,91410102000000001X,50,新开网店\n"
	lines, err := ReadResponses("answers.csv", strings.NewReader(csv))
	if err != nil || len(lines) != 2 || lines[0].CreditCode != "91410102000000001X" || lines[0].Item != "ECOM_SALES" || lines[0].Row != 2 ||
		lines[1].Row != 3 || lines[1].Value != "50" || lines[1].Reason != "新开网店" {
		t.Fatalf("lines: %+v %v", lines, err)
	}
	_, err = ReadResponses("answers.csv", strings.NewReader("credit_code,item\nX,Y\n"))
	var ue *i18n.Error
	if !errors.As(err, &ue) || !strings.Contains(ue.En, "no column value") || ue.Row != 1 {
		t.Fatalf("no value column: %v", err)
	}
	if _, err := ReadResponses("answers.pdf", strings.NewReader("x")); !errors.As(err, &ue) {
		t.Fatalf("a PDF: %v", err)
	}
}

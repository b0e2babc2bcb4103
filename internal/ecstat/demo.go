package ecstat

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// DemoRegisterSize is the number of enterprises in the demo register.
const DemoRegisterSize = 20000

// DemoYears are the years of the demo surveys.
var DemoYears = []int{2014, 2015, 2016, 2017, 2018, 2019, 2020}

// demoDivisions are GB/T 4754 divisions the synthetic enterprises are
// spread over, heavier where e-commerce is (retail, wholesale,
// manufacturing, IT services).
var demoDivisions = []string{"5292", "5191", "5123", "5261", "1369", "1810", "3874", "3914", "3951", "6432", "6513", "6572", "5431", "6110", "7251", "4720", "8810", "0141"}

// GenerateRegister makes n synthetic enterprises (named as demo data) in
// the given counties, reproducibly from rng: valid credit codes, sizes
// and revenue drawn log-normally, about 12 % above the size threshold,
// born between 2013 and 2020 and a few closed since.
func GenerateRegister(rng *rand.Rand, counties []orgunit.Unit, n int) []Enterprise {
	out := make([]Enterprise, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		c := counties[rng.IntN(len(counties))]
		body := "91" + c.Code
		for len(body) < 17 {
			body += string(creditAlphabet[rng.IntN(len(creditAlphabet))])
		}
		ch, _ := CreditCheck(body)
		code := body + string(ch)
		if seen[code] {
			continue
		}
		seen[code] = true
		ind := demoDivisions[rng.IntN(len(demoDivisions))]
		_, sec, _ := ParseIndustry(ind)
		u := rng.Float64()
		size, emp, rev := Micro, 2+rng.IntN(18), math.Exp(rng.NormFloat64()*0.6+4.5)
		switch {
		case u < 0.02:
			size, emp, rev = Large, 1000+rng.IntN(5000), math.Exp(rng.NormFloat64()*0.5+11.5)
		case u < 0.10:
			size, emp, rev = Medium, 300+rng.IntN(700), math.Exp(rng.NormFloat64()*0.5+9.6)
		case u < 0.45:
			size, emp, rev = Small, 20+rng.IntN(280), math.Exp(rng.NormFloat64()*0.6+7.2)
		}
		above := size == Large || size == Medium || (size == Small && rev > 2000)
		born := 2013
		if rng.Float64() < 0.35 {
			born = 2014 + rng.IntN(7)
		}
		closed := 0
		if rng.Float64() < 0.06 {
			closed = born + 1 + rng.IntN(2021-born)
			if closed > 2020 {
				closed = 0
			}
		}
		pc := orgunit.PathCodes(c.Path)
		out = append(out, Enterprise{CreditCode: code, Name: fmt.Sprintf("示例企业%05d有限公司（演示）", len(out)+1), Industry: ind, Section: sec,
			OrgCode: c.Code, OrgPath: c.Path, CityCode: pc[1], Size: size, AboveScale: above, Employees: int64(emp),
			Revenue: Amount(math.Round(rev * 100)), BornYear: born, ClosedYear: closed})
	}
	return out
}

// DemoAnswers makes an enterprise's synthetic answers for year: the share
// of firms trading online and their e-commerce intensity grow over the
// years, larger firms trade online more often.
func DemoAnswers(rng *rand.Rand, e Enterprise, year int) map[string]string {
	k := float64(year - 2014)
	p := 0.25 + 0.06*k
	if e.Size == Large || e.Size == Medium {
		p += 0.25
	}
	rev := e.Revenue.Float()
	trades := rng.Float64() < p
	a := map[string]string{TradesOnline: "no", Platform: "none", EcomSales: "0", EcomPurchases: "0", OnlineRetail: "0"}
	if trades {
		intensity := (1.6 + 0.25*k) * math.Exp(rng.NormFloat64()*0.3)
		sales := math.Min(rev*intensity*0.55, rev*1.4)
		purch := rev * intensity * 0.45
		retail := sales * (0.2 + 0.5*rng.Float64())
		if e.Section != "F" {
			retail *= 0.3
		}
		a[TradesOnline] = "yes"
		a[Platform] = []string{"self", "third", "both"}[rng.IntN(3)]
		a[EcomSales] = money(sales)
		a[EcomPurchases] = money(purch)
		a[OnlineRetail] = money(retail)
	}
	a[InfoGoods] = money(rev * (0.004 + 0.0006*k) * math.Exp(rng.NormFloat64()*0.4))
	a[InfoServices] = money(rev * (0.006 + 0.0012*k) * math.Exp(rng.NormFloat64()*0.4))
	return a
}

func money(v float64) string { return strconv.FormatFloat(math.Floor(v*100)/100, 'f', 2, 64) }

// LoadDemo loads the demo register, one survey per year of DemoYears
// drawn with a recorded seed, about 90 % of the sample answering, and
// the published estimates; the demo enterprise account answers for one
// sampled firm of 郑州市 whose latest form is still open. It does nothing
// when the register has enterprises.
func LoadDemo(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_enterprise`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	a := audit.Actor{Name: "demo"}
	counties, err := orgunit.Descendants(ctx, db, "/"+orgunit.Root+"/", orgunit.LevelOf[orgunit.County], 0)
	if err != nil {
		return err
	}
	if len(counties) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(2013, 83))
	reg := GenerateRegister(rng, counties, DemoRegisterSize)
	if err := insertRegister(ctx, db, a, reg); err != nil {
		return err
	}
	var user *auth.User
	if u, err := auth.UserByName(ctx, db, "enterprise"); err == nil {
		user = u
	}
	for _, y := range DemoYears {
		id, err := CreateSurvey(ctx, db, a, NewSurvey{Name: fmt.Sprintf("%d年电子商务和信息消费统计调查（演示数据）", y), Period: strconv.Itoa(y)})
		if err != nil {
			return err
		}
		s, err := GetSurvey(ctx, db, id)
		if err != nil {
			return err
		}
		if _, err := Draw(ctx, db, a, s, DesignSpec{Method: Neyman, CV: 0.03, Seed: uint64(y)}); err != nil {
			return err
		}
		sample, err := Sample(ctx, db, id, []string{"/" + orgunit.Root + "/"}, 0)
		if err != nil {
			return err
		}
		keep := -1 // the demo account's open form
		for i, e := range sample {
			if user != nil && y == DemoYears[len(DemoYears)-1] && keep < 0 && e.CityCode == "4101" && !e.Certainty {
				keep = i
				if err := LinkAccount(ctx, db, a, []string{"/" + orgunit.Root + "/"}, e.ID, user.ID); err != nil {
					return err
				}
			}
		}
		if _, err := StoreDemoAnswers(ctx, db, s, sample, keep, rand.New(rand.NewPCG(uint64(y), 15))); err != nil {
			return err
		}
		if _, err := Publish(ctx, db, a, s, Ratio); err != nil {
			return err
		}
	}
	return nil
}

// insertRegister writes generated enterprises with their birth and death
// records in one transaction.
func insertRegister(ctx context.Context, db *store.DB, a audit.Actor, reg []Enterprise) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		if err := ensureCells(ctx, tx); err != nil {
			return err
		}
		now := store.Now()
		d := cells{}
		var tmp big.Int
		for i := range reg {
			d.enterprise(&reg[i], 1, &tmp)
		}
		if err := applyCells(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.Copy(ctx, "ecstat_enterprise", []string{"credit_code", "name", "industry", "section", "org_code", "org_path", "city_code",
			"size", "above_scale", "employees", "revenue", "born_year", "closed_year", "updated_at", "registered_by", "registered_at"}, func(yield func([]any) error) error {
			for _, e := range reg {
				if err := yield([]any{e.CreditCode, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode, e.Size, b2i(e.AboveScale),
					e.Employees, int64(e.Revenue), e.BornYear, e.ClosedYear, now, a.Name, now}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		ids := map[string]int64{}
		rows, err := tx.QueryContext(ctx, `SELECT id, credit_code FROM ecstat_enterprise`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var c string
			if err := rows.Scan(&id, &c); err != nil {
				rows.Close()
				return err
			}
			ids[c] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Births are the enterprises' rows themselves (see Changes).
		if _, err := tx.Copy(ctx, "ecstat_change", []string{"enterprise_id", "year", "kind", "detail", "actor_name", "at"}, func(yield func([]any) error) error {
			for _, e := range reg {
				if e.ClosedYear != 0 {
					if err := yield([]any{ids[e.CreditCode], e.ClosedYear, "death", `{"closed_year":[0,` + strconv.Itoa(e.ClosedYear) + `]}`, a.Name, now}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "import", "ecstat_register", "demo", "/41/", nil, map[string]int{"enterprises": len(reg)})
	})
}

// StoreDemoAnswers stores synthetic answers ([DemoAnswers]) for about
// 90 % of sample (never for index skip), validated like a form, in one
// transaction, and returns how many enterprises answered. It is for the
// demo and the benchmark.
func StoreDemoAnswers(ctx context.Context, db *store.DB, s *Survey, sample []Selected, skip int, rng *rand.Rand) (int, error) {
	type row struct {
		id   int64
		item string
		amt  any
		text string
	}
	var rows []row
	var returned []int64
	for i, e := range sample {
		ans := DemoAnswers(rng, e.Enterprise, s.Year)
		if i == skip || rng.Float64() < 0.1 {
			continue
		}
		checked, errs := CheckForm(s, e.Enterprise, ans)
		if len(errs) > 0 {
			continue // a synthetic answer the edits refuse is non-response
		}
		for _, it := range s.Items {
			an := checked[it.Code]
			var amt any
			if an.amount != nil {
				amt = *an.amount
			}
			rows = append(rows, row{e.ID, it.Code, amt, an.text})
		}
		returned = append(returned, e.ID)
	}
	return len(returned), db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Copy(ctx, "ecstat_response", []string{"survey_id", "enterprise_id", "item", "amount", "text_value"}, func(yield func([]any) error) error {
			for _, r := range rows {
				if err := yield([]any{s.ID, r.id, r.item, r.amt, r.text}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		now := store.Now()
		_, err := tx.Copy(ctx, "ecstat_return", []string{"survey_id", "enterprise_id", "submitted_at", "submitted_by", "on_behalf"}, func(yield func([]any) error) error {
			for _, id := range returned {
				if err := yield([]any{s.ID, id, now, "demo", 0}); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	})
}

package publiceval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func xlsxOf(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestParseVolumes: CSV and XLSX with English or Chinese headers in any
// order give the same volumes; every bad cell is reported at its row and
// column in both languages, and a file with any error gives no volume.
func TestParseVolumes(t *testing.T) {
	csvText := "\xef\xbb\xbf事项名称,月份,办件量,评价对象\n不动产登记,2026-03,120,service-1\n\n不动产登记,202604,\"1,300\",service-1\n社保卡,2026年4月,0,service-2\n"
	vs, errs := ParseVolumes("v.csv", []byte(csvText))
	if len(errs) > 0 {
		t.Fatalf("csv: %v", errs)
	}
	want := []Volume{{Target: "service-1", Month: "202603", Handled: 120, row: 2}, {Target: "service-1", Month: "202604", Handled: 1300, row: 4},
		{Target: "service-2", Month: "202604", Handled: 0, row: 5}}
	if fmt.Sprint(vs) != fmt.Sprint(want) {
		t.Fatalf("csv volumes %+v, want %+v", vs, want)
	}
	x := xlsxOf(t, [][]any{{"target", "name", "unit", "month", "handled"}, {"service-1", "不动产登记", "410102", "2026-03", 120},
		{}, {"service-1", "不动产登记", "410102", "202604", 1300}, {"service-2", "社保卡", "410102", "2026/4", 0}})
	xs, errs := ParseVolumes("v.xlsx", x)
	if len(errs) > 0 || fmt.Sprint(xs) != fmt.Sprint(want) {
		t.Fatalf("xlsx volumes %+v %v, want %+v", xs, errs, want)
	}

	bad := "target,month,handled\nservice-1,2026-13,5\n,202603,abc\nservice-1,202603,5\nservice-1,2026-03,6\n"
	vs, errs = ParseVolumes("bad.csv", []byte(bad))
	if vs != nil {
		t.Fatalf("volumes from a file with errors: %+v", vs)
	}
	got := map[string]bool{}
	for _, e := range errs {
		if e.Zh == "" || e.En == "" || e.Row == 0 || e.Col == "" {
			t.Fatalf("an error without both languages or its place: %+v", e)
		}
		got[fmt.Sprintf("%d/%s", e.Row, e.Col)] = true
	}
	for _, w := range []string{"2/month", "3/target", "3/handled", "5/month"} {
		if !got[w] {
			t.Errorf("no error at row/column %s: %v", w, errs)
		}
	}
	if len(errs) != 4 {
		t.Errorf("%d errors, want 4: %v", len(errs), errs)
	}
	xb := xlsxOf(t, [][]any{{"target", "month", "handled"}, {"service-1", "2026-03", -4}})
	_, errs = ParseVolumes("b.xlsx", xb)
	if len(errs) != 1 || errs[0].Sheet != "Sheet1" || errs[0].Row != 2 || errs[0].Col != "handled" || !strings.Contains(errs[0].Message("en"), "sheet Sheet1, row 2, column handled") {
		t.Fatalf("xlsx error: %+v", errs)
	}
	for name, in := range map[string]string{
		"missing column": "target,handled\nservice-1,3\n",
		"unknown column": "target,month,handled,colour\n",
		"header only":    "target,month,handled\n",
		"broken quote":   "target,month,handled\n\"service-1,202603,3\n",
		"not utf-8":      "target,month,handled\n\xff,202603,1\n",
		"not xlsx":       "PK\x03\x04 not a zip",
	} {
		if vs, errs := ParseVolumes("f.csv", []byte(in)); vs != nil || len(errs) == 0 {
			t.Errorf("%s: %+v %v", name, vs, errs)
		}
	}
	for in, want := range map[string]string{"202603": "202603", "2026-3": "202603", "2026年12月": "202612", "2026.03": "202603", "2026-13": "", "20263": "", "1999-01": ""} {
		if got, ok := ParseMonth(in); got != want || ok != (want != "") {
			t.Errorf("ParseMonth(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// TestVolumesAndActiveRate: volumes are saved all or nothing, only for
// services and disclosures of the caller's units and past months; the
// same file twice changes nothing; the 主动评价率 of a unit, a ranking
// row and a target is the valid ratings of the target-months with a
// recorded volume over the cases handled, counted here from the ratings
// themselves.
func TestVolumesAndActiveRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 6, 10, 0, 0, 0, shanghai)
		s, siteKey := setup(t, db, at)
		var svc []Target
		for _, o := range []string{"410102", "410103", "410102"} {
			tg, err := AddTarget(ctx, db, staff, NewTarget{Kind: KindService, Name: "事项 " + o, OrgCode: o}, all)
			if err != nil {
				t.Fatal(err)
			}
			svc = append(svc, tg)
		}
		rng := rand.New(rand.NewPCG(3, 14))
		for i := 0; i < 90; i++ {
			ts := time.Date(2026, time.Month(2+rng.IntN(3)), 1+rng.IntN(27), 9, 0, 0, 0, shanghai)
			in := Input{Target: svc[rng.IntN(3)].Key, Level: 1 + rng.IntN(5), IP: fmt.Sprintf("192.0.%d.%d", i/200, 1+i%200), UserAgent: "v", At: ts}
			if i%13 == 0 {
				in.Website = "robot" // flagged: never counted
			}
			if _, err := s.Rate(ctx, in, false); err != nil {
				t.Fatal(err)
			}
		}
		inside := func(path string) bool { return strings.HasPrefix(path, "/41/4101/410102/") }
		file := "target,month,handled\n" + svc[0].Key + ",202603,40\n" + svc[0].Key + ",202604,35\n" + svc[2].Key + ",202603,12\n"
		vs, errs := ParseVolumes("v.csv", []byte(file))
		if errs != nil {
			t.Fatal(errs)
		}
		// one row outside the caller's units refuses the whole file
		outside := append(append([]Volume{}, vs...), Volume{Target: svc[1].Key, Month: "202603", Handled: 9, row: 5})
		res, err := SaveVolumes(ctx, db, staff, outside, at, inside)
		if err != nil || res.OK() || res.Errors[0].Row != 5 || res.Errors[0].Col != "target" {
			t.Fatalf("a row outside: %+v %v", res, err)
		}
		for name, v := range map[string]Volume{
			"a website":  {Target: siteKey, Month: "202603", Handled: 3, row: 2},
			"next month": {Target: svc[0].Key, Month: "202606", Handled: 3, row: 2},
			"unknown":    {Target: "service-99999", Month: "202603", Handled: 3, row: 2},
		} {
			if res, err := SaveVolumes(ctx, db, staff, []Volume{v}, at, all); err != nil || res.OK() {
				t.Errorf("%s: %+v %v", name, res, err)
			}
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_volume`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("refused files wrote %d volumes %v", n, err)
		}
		res, err = SaveVolumes(ctx, db, staff, vs, at, inside)
		if err != nil || !res.OK() || res.New != 3 {
			t.Fatalf("save: %+v %v", res, err)
		}
		res, err = SaveVolumes(ctx, db, staff, vs, at, inside)
		if err != nil || res.New != 0 || res.Changed != 0 || res.Same != 3 {
			t.Fatalf("the same file again: %+v %v", res, err)
		}
		res, err = SaveVolumes(ctx, db, staff, []Volume{{Target: svc[1].Key, Month: "202604", Handled: 20}}, at, all)
		if err != nil || res.New != 1 {
			t.Fatalf("entry: %+v %v", res, err)
		}

		// the expected figures, from the ratings themselves
		handled := map[Key]int64{{"202603", svc[0].ID}: 40, {"202604", svc[0].ID}: 35, {"202603", svc[2].ID}: 12, {"202604", svc[1].ID}: 20}
		rated := map[Key]int64{}
		rows, err := db.R.QueryContext(ctx, `SELECT month, target_id FROM publiceval_rating WHERE flags = '' AND NOT excluded`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k Key
			if err := rows.Scan(&k.Month, &k.Target); err != nil {
				t.Fatal(err)
			}
			if _, ok := handled[k]; ok {
				rated[k]++
			}
		}
		rows.Close()
		sum := func(keep func(Key) bool) Rate {
			var r Rate
			for k, h := range handled {
				if keep(k) {
					r.Den += h
					r.Num += rated[k]
				}
			}
			return r
		}
		p, _ := ParsePeriod("2026")
		city, _ := orgunit.Get(ctx, db, "4101")
		c, err := Stats(ctx, db, city.Path, p)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.ActiveRate(), sum(func(Key) bool { return true }); got != want || want.Num == 0 {
			t.Fatalf("city 主动评价率 %v, want %v", got, want)
		}
		march, _ := ParsePeriod("202603")
		county, _ := orgunit.Get(ctx, db, "410102")
		c, err = Stats(ctx, db, county.Path, march)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.ActiveRate(), sum(func(k Key) bool { return k.Month == "202603" && k.Target != svc[1].ID }); got != want {
			t.Fatalf("中原区 March 主动评价率 %v, want %v", got, want)
		}
		units, err := RankUnits(ctx, db, city.Path, p)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, u := range units {
			var want Rate
			switch u.Code {
			case "410102":
				want = sum(func(k Key) bool { return k.Target != svc[1].ID })
			case "410103":
				want = sum(func(k Key) bool { return k.Target == svc[1].ID })
			default:
				continue
			}
			seen++
			if u.Counts.ActiveRate() != want {
				t.Errorf("%s: %v, want %v", u.Code, u.Counts.ActiveRate(), want)
			}
		}
		if seen != 2 {
			t.Fatalf("ranking rows %+v", units)
		}
		targets, err := RankTargets(ctx, db, city.Path, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range targets {
			for _, tg := range svc {
				if tg.Key == r.Code {
					if want := sum(func(k Key) bool { return k.Target == tg.ID }); r.Counts.ActiveRate() != want {
						t.Errorf("%s: %v, want %v", r.Code, r.Counts.ActiveRate(), want)
					}
				}
			}
		}
		list, err := Volumes(ctx, db, city.Path, p)
		if err != nil || len(list) != 4 || list[0].Month != "202604" {
			t.Fatalf("list: %+v %v", list, err)
		}
		for _, v := range list {
			tg, _ := Resolve(ctx, db, v.Target)
			if k := (Key{v.Month, tg.ID}); v.Handled != handled[k] || v.Rated != rated[k] {
				t.Errorf("listed %+v, want %d handled %d rated", v, handled[k], rated[k])
			}
		}
		// the month figures are untouched by volumes
		stored, _ := Stored(ctx, db)
		again, _ := Recompute(ctx, db)
		if fmt.Sprint(stored) != fmt.Sprint(again) {
			t.Fatal("the month figures no longer equal a recomputation")
		}
	})
}

// FuzzParseVolumes feeds arbitrary bytes as CSV or XLSX: the parser
// returns volumes or bilingual errors, never both and never a panic;
// accepted volumes have a target, a valid month and a count in range.
func FuzzParseVolumes(f *testing.F) {
	f.Add("v.csv", []byte("target,month,handled\nservice-1,2026-03,120\n"))
	f.Add("v.csv", []byte("\xef\xbb\xbf评价对象,月份,办件量\nservice-1,2026年3月,\"1,200\"\n"))
	f.Add("v.csv", []byte("target,month,handled\n\"a,b\n"))
	f.Add("v.xlsx", []byte("PK\x03\x04junk"))
	f.Add("v.csv", []byte("month,handled,target,name,unit\n202601,1.0,x,,\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		vs, errs := ParseVolumes(name, data)
		if (vs == nil) == (errs == nil) {
			t.Fatalf("volumes %v and errors %v", vs, errs)
		}
		for _, e := range errs {
			var ue *i18n.Error = e
			if ue.Zh == "" || ue.En == "" {
				t.Fatalf("an error without both languages: %+v", e)
			}
		}
		for _, v := range vs {
			if v.Target == "" || len(v.Month) != 6 || v.Month < "200001" || v.Month > "210012" || v.Handled < 0 || v.Handled > MaxHandled || v.row < 2 {
				t.Fatalf("accepted %+v", v)
			}
		}
	})
}

// TestVolumesJSONAndDryRun: volumes sent as JSON rows (numbers or text,
// a listing posted back as it is) are read like a file, errors located
// at the row (the object's place from 1) and field in both languages; a
// checking run says what saving would do and writes nothing; the CSV of
// a listing is read back by the file parser and changes nothing.
func TestVolumesJSONAndDryRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 6, 10, 0, 0, 0, shanghai)
		setup(t, db, at)
		a, err := AddTarget(ctx, db, staff, NewTarget{Kind: KindService, Name: "=不动产登记", OrgCode: "410102"}, all)
		if err != nil {
			t.Fatal(err)
		}
		b, err := AddTarget(ctx, db, staff, NewTarget{Kind: KindDisclosure, Name: "依申请公开", OrgCode: "410103"}, all)
		if err != nil {
			t.Fatal(err)
		}
		body := `{"volumes": [{"target": "` + a.Key + `", "month": 202603, "handled": 40},
			{"target": "` + a.Key + `", "month": "2026-04", "handled": "35", "name": "x", "org_code": "410102", "rated": 3, "active_rate": "8.6%"},
			{"target": "` + b.Key + `", "month": "2026年4月", "handled": 7}]`
		vs, errs := ParseVolumesJSON([]byte(body + "}"))
		if errs != nil || len(vs) != 3 || vs[0].Month != "202603" || vs[1].Handled != 35 || vs[2].row != 3 {
			t.Fatalf("json: %+v %v", vs, errs)
		}
		_, errs = ParseVolumesJSON([]byte(`[{"target":"x","month":"2026-13","handled":1},{"target":"x","month":"202603","handled":-1,"colour":"red"},{"target":true,"month":"202603","handled":1}]`))
		got := map[string]bool{}
		for _, e := range errs {
			if e.Zh == "" || e.En == "" {
				t.Fatalf("an error without both languages: %+v", e)
			}
			got[fmt.Sprintf("%d/%s", e.Row, e.Col)] = true
		}
		if !got["2/colour"] || !got["3/target"] || len(errs) != 2 {
			t.Fatalf("json errors: %v", errs)
		}
		_, errs = ParseVolumesJSON([]byte(`[{"target":"x","month":"2026-13","handled":1},{"target":"x","month":"202603","handled":-1},{"target":"x","month":"202603","handled":2}]`))
		got = map[string]bool{}
		for _, e := range errs {
			got[fmt.Sprintf("%d/%s", e.Row, e.Col)] = true
		}
		if !got["1/month"] || !got["2/handled"] || !got["3/month"] || !strings.Contains(errs[len(errs)-1].Message("en"), "repeat row 2") {
			t.Fatalf("json errors located %v", errs)
		}
		for _, in := range []string{``, `{}`, `[1, 2]`, `{"volumes": 3}`, `[]`} {
			if vs, errs := ParseVolumesJSON([]byte(in)); vs != nil || len(errs) == 0 {
				t.Errorf("%q: %+v %v", in, vs, errs)
			}
		}

		count := func() int {
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_volume`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		inside := func(path string) bool { return strings.HasPrefix(path, "/41/4101/410102/") }
		res, err := CheckVolumes(ctx, db, staff, vs, at, inside)
		if err != nil || res.OK() || len(res.Errors) != 1 || res.Errors[0].Row != 3 || res.Errors[0].Col != "target" || count() != 0 {
			t.Fatalf("a checking run with a row outside: %+v %v", res, err)
		}
		res, err = CheckVolumes(ctx, db, staff, vs, at, all)
		if err != nil || !res.OK() || !res.DryRun || res.New != 3 || count() != 0 {
			t.Fatalf("checking run: %+v %v (%d stored)", res, err, count())
		}
		var audits int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'publiceval_volume'`).Scan(&audits); err != nil || audits != 0 {
			t.Fatalf("a checking run audited %d %v", audits, err)
		}
		if res, err = SaveVolumes(ctx, db, staff, vs, at, all); err != nil || res.New != 3 || count() != 3 {
			t.Fatalf("save: %+v %v", res, err)
		}
		vs[0].Handled = 41
		if res, err = CheckVolumes(ctx, db, staff, vs, at, all); err != nil || res.Changed != 1 || res.Same != 2 {
			t.Fatalf("checking a change: %+v %v", res, err)
		}
		p, _ := ParsePeriod("2026")
		prov, _ := orgunit.Get(ctx, db, "41")
		list, err := Volumes(ctx, db, prov.Path, p)
		if err != nil || len(list) != 3 {
			t.Fatalf("list: %+v %v", list, err)
		}
		for _, v := range list {
			if v.Active != v.ActiveRate().String() {
				t.Errorf("listed %+v without its active rate", v)
			}
		}
		var csvOut bytes.Buffer
		if err := WriteVolumesCSV(&csvOut, list); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(csvOut.String(), "'=不动产登记") || !strings.HasPrefix(csvOut.String(), "target,name,unit,month,handled,rated,active_rate\n") {
			t.Fatalf("csv:\n%s", csvOut.String())
		}
		back, errs := ParseVolumes("list.csv", csvOut.Bytes())
		if errs != nil {
			t.Fatal(errs)
		}
		if res, err = SaveVolumes(ctx, db, staff, back, at, all); err != nil || res.Same != 3 || res.New+res.Changed != 0 {
			t.Fatalf("the listing again: %+v %v", res, err)
		}
		js, _ := json.Marshal(list)
		back, errs = ParseVolumesJSON(js)
		if errs != nil || len(back) != 3 {
			t.Fatalf("the JSON listing back: %v", errs)
		}
	})
}

// FuzzParseVolumesJSON: arbitrary JSON gives volumes or bilingual
// errors, never both and never a panic.
func FuzzParseVolumesJSON(f *testing.F) {
	f.Add([]byte(`[{"target":"service-1","month":202603,"handled":12}]`))
	f.Add([]byte(`{"volumes":[{"target":"service-1","month":"2026-03","handled":"1,200"}]}`))
	f.Add([]byte(`[{"target":null,"month":[],"handled":{}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		vs, errs := ParseVolumesJSON(data)
		if (vs == nil) == (errs == nil) {
			t.Fatalf("volumes %v and errors %v", vs, errs)
		}
		for _, e := range errs {
			if e.Zh == "" || e.En == "" {
				t.Fatalf("an error without both languages: %+v", e)
			}
		}
		for _, v := range vs {
			if v.Target == "" || len(v.Month) != 6 || v.Handled < 0 || v.Handled > MaxHandled || v.row < 1 {
				t.Fatalf("accepted %+v", v)
			}
		}
	})
}

package publiceval

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func countRatings(t *testing.T, db *store.DB) (ratings, cases int) {
	t.Helper()
	ctx := context.Background()
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating`).Scan(&ratings); err != nil {
		t.Fatal(err)
	}
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_case`).Scan(&cases); err != nil {
		t.Fatal(err)
	}
	return
}

// TestExchangeImportIsIdempotentAndAllOrNothing imports a CSV file of the
// provincial system twice (the second time changes nothing), a JSON file,
// refuses a file with one bad row as a whole with its row and column in
// both languages, and re-imports an export of this system unchanged.
func TestExchangeImportIsIdempotentAndAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, key := setup(t, db, time.Date(2026, 4, 10, 10, 0, 0, 0, shanghai))
		a := audit.Actor{Name: "office"}
		file := "评价编号,评价对象,评价等级,原因标签,评价内容,办件编号,评价人,联系电话,评价渠道,评价时间\n" +
			"HN-0001," + key + ",5,clear;accurate,很好,,,,app,2026-03-01 09:30:00\n" +
			"HN-0002," + key + ",1,no_answer,\"电话没人接,很着急\",CASE-77,赵六,13800001234,pc,2026-03-02T10:00:00+08:00\n" +
			"\n" +
			"HN-0003," + key + ",3,,,,,,window,2026-03-31 23:59:59\n"
		res, err := s.Import(ctx, a, "hn.csv", strings.NewReader(file), true, all)
		if err != nil || !res.OK() || res.New != 3 || res.Written {
			t.Fatalf("dry run: %+v %v", res, err)
		}
		if n, _ := countRatings(t, db); n != 0 {
			t.Fatalf("a dry run stored %d ratings", n)
		}
		res, err = s.Import(ctx, a, "hn.csv", strings.NewReader(file), false, all)
		if err != nil || !res.OK() || res.New != 3 || res.Cases != 1 || !res.Written {
			t.Fatalf("import: %+v %v", res, err)
		}
		figures, _ := Stored(ctx, db)
		// the same file again: nothing changes
		res, err = s.Import(ctx, a, "hn.csv", strings.NewReader(file), false, all)
		if err != nil || !res.OK() || res.New != 0 || res.Existing != 3 || res.Written {
			t.Fatalf("second import: %+v %v", res, err)
		}
		if n, c := countRatings(t, db); n != 3 || c != 1 {
			t.Fatalf("after the second import: %d ratings, %d cases", n, c)
		}
		if again, _ := Stored(ctx, db); !reflect.DeepEqual(again, figures) {
			t.Fatalf("figures changed: %v → %v", figures, again)
		}
		var month, channel, origin string
		if err := db.R.QueryRowContext(ctx, `SELECT month, channel, origin FROM publiceval_rating WHERE external_id = 'HN-0003'`).Scan(&month, &channel, &origin); err != nil ||
			month != "202603" || channel != ChannelImport || origin != "window" {
			t.Fatalf("HN-0003: %s %s %s %v", month, channel, origin, err)
		}

		// JSON, with one new rating and one already here
		js := `{"ratings":[{"rating_id":"HN-0001","target":"` + key + `","level":5,"rated_at":"2026-03-01 09:30:00"},
			{"rating_id":"HN-0004","target":"` + key + `","level":4,"tags":["timely"],"rated_at":"2026-04-01T08:00:00Z"}]}`
		res, err = s.Import(ctx, a, "hn.json", strings.NewReader(js), false, all)
		if err != nil || !res.OK() || res.New != 1 || res.Existing != 1 {
			t.Fatalf("json: %+v %v", res, err)
		}

		// one bad row refuses the whole file, located, in both languages
		bad := "rating_id,target,level,rated_at\nHN-0100," + key + ",4,2026-03-05 08:00:00\nHN-0101," + key + ",7,2026-03-05 08:00:00\nHN-0102,service-999999,4,2026-03-05 08:00:00\n"
		res, err = s.Import(ctx, a, "bad.csv", strings.NewReader(bad), false, all)
		if err != nil || res.OK() || res.Written {
			t.Fatalf("bad file: %+v %v", res, err)
		}
		if e := res.Errors[0]; e.Row != 3 || e.Col != "level" || !strings.Contains(e.Message("zh-CN"), "第3行") || !strings.Contains(e.Message("en"), "row 3") {
			t.Fatalf("bad level located as %+v: %s / %s", e, e.Message("zh-CN"), e.Message("en"))
		}
		bad = "rating_id,target,level,rated_at\nHN-0100," + key + ",4,2026-03-05 08:00:00\nHN-0102,service-999999,4,2026-03-05 08:00:00\n"
		res, err = s.Import(ctx, a, "bad.csv", strings.NewReader(bad), false, all)
		if err != nil || len(res.Errors) != 1 || res.Errors[0].Row != 3 || res.Errors[0].Col != "target" {
			t.Fatalf("unknown target: %+v %v", res, err)
		}
		if n, _ := countRatings(t, db); n != 4 {
			t.Fatalf("a refused file stored ratings: %d", n)
		}

		// an export of this system re-imported changes nothing; identities masked
		if _, err := s.Rate(ctx, Input{Target: key, Level: 2, Tags: []string{"broken"}, Comment: "=HYPERLINK(\"x\")", IP: "192.0.2.4", Case: "CASE-88", Name: "钱七", Phone: "13912345678"}, false); err != nil {
			t.Fatal(err)
		}
		recs, err := Export(ctx, db, "/41/", Period{From: "202601", To: "202612"})
		if err != nil || len(recs) != 5 {
			t.Fatalf("export: %d %v", len(recs), err)
		}
		var csvOut, jsonOut bytes.Buffer
		if err := WriteCSV(&csvOut, recs); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&jsonOut, recs); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(csvOut.String(), "钱七") || strings.Contains(csvOut.String(), "13912345678") || !strings.Contains(csvOut.String(), "钱*") ||
			!strings.Contains(csvOut.String(), "'=HYPERLINK") {
			t.Fatalf("export not masked or not neutralised:\n%s", csvOut.String())
		}
		before, _ := Stored(ctx, db)
		for name, body := range map[string]string{"out.csv": csvOut.String(), "out.json": jsonOut.String()} {
			res, err := s.Import(ctx, a, name, strings.NewReader(body), false, all)
			if err != nil || !res.OK() || res.New != 0 || res.Existing != 5 {
				t.Fatalf("re-import of %s: %+v %v", name, res, err)
			}
		}
		if after, _ := Stored(ctx, db); !reflect.DeepEqual(after, before) {
			t.Fatal("re-importing an export changed the figures")
		}
		got, _ := Stored(ctx, db)
		want, _ := Recompute(ctx, db)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("figures %v, recomputed %v", got, want)
		}
		// not the caller's units: refused
		res, err = s.Import(ctx, a, "hn.csv", strings.NewReader(strings.ReplaceAll(file, "HN-", "HX-")), false, func(string) bool { return false })
		if err != nil || res.OK() || res.Errors[0].Col != "target" {
			t.Fatalf("outside the caller's units: %+v %v", res, err)
		}
	})
}

func TestParseExchangeLocatesErrors(t *testing.T) {
	for name, c := range map[string]struct {
		file      string
		row       int
		col, text string
	}{
		"unknown column": {"rating_id,target,level,colour\n", 1, "colour", "unknown column"},
		"missing column": {"rating_id,level\nA,5\n", 1, "target", "required column"},
		"bad time":       {"rating_id,target,level,rated_at\nA,site-1,5,yesterday\n", 2, "rated_at", "Beijing time"},
		"future":         {"rating_id,target,level,rated_at\nA,site-1,5,2999-01-01\n", 2, "rated_at", "between 2000 and now"},
		"bad tag":        {"rating_id,target,level,tags,rated_at\nA,site-1,5,broken,2026-01-01\n", 2, "tags", "does not go with"},
		"repeated id":    {"rating_id,target,level,rated_at\nA,site-1,5,2026-01-01\nA,site-1,4,2026-01-01\n", 3, "rating_id", "repeats row 2"},
		"repeated case":  {"rating_id,target,level,case_no,rated_at\nA,site-1,5,CASE-1,2026-01-01\nB,site-1,4,CASE-1,2026-01-01\n", 3, "case_no", "each case"},
		"bad id":         {"rating_id,target,level,rated_at\n<x>,site-1,5,2026-01-01\n", 2, "rating_id", "rating id"},
		"json index":     {`[{"rating_id":"A","target":"site-1","level":5,"rated_at":"2026-01-01"},{"rating_id":"B","target":"site-1","level":0,"rated_at":"2026-01-01"}]`, 2, "level", "level"},
	} {
		_, errs := ParseExchange("f", strings.NewReader(c.file))
		if len(errs) == 0 {
			t.Errorf("%s: no error", name)
			continue
		}
		e := errs[0]
		if e.Row != c.row || e.Col != c.col || !strings.Contains(e.Message("en"), c.text) || e.Zh == "" || e.Zh == e.En {
			t.Errorf("%s: %+v: %s", name, e, e.Message("en"))
		}
	}
}

func FuzzParseExchange(f *testing.F) {
	f.Add("rating_id,target,level,tags,comment,case_no,rater_name,rater_phone,channel,rated_at\nA-1,site-1,1,broken;no_answer,\"x,y\",CASE-1,张三,13800001234,pc,2026-03-01 09:30:00\n")
	f.Add(`{"ratings":[{"rating_id":"A","target":"site-1","level":5,"rated_at":"2026-01-01T00:00:00Z"}]}`)
	f.Add("评价编号,评价对象,评价等级\nA,site-1,3\n")
	f.Add("\xef\xbb\xbfrating_id,target,level\n\"unterminated,site-1,3\n")
	f.Fuzz(func(t *testing.T, data string) {
		recs, errs := ParseExchange("f", strings.NewReader(data))
		if len(errs) > 0 {
			if recs != nil {
				t.Fatal("records returned with errors")
			}
			for _, e := range errs {
				if e.Zh == "" || e.En == "" {
					t.Fatalf("an error without both languages: %+v", e)
				}
			}
			return
		}
		for _, r := range recs {
			if r.Level < 1 || r.Level > 5 || r.RatingID == "" || r.Target == "" || r.at.IsZero() || r.row < 1 {
				t.Fatalf("accepted a bad record %+v", r)
			}
			if r.Name != "" && r.Phone == "" {
				t.Fatalf("a named record without a phone: %+v", r)
			}
		}
		// what was accepted survives its own export format unchanged
		var b bytes.Buffer
		if err := WriteJSON(&b, recs); err != nil {
			t.Fatal(err)
		}
		again, errs := ParseExchange("f.json", &b)
		if len(errs) > 0 || len(again) != len(recs) {
			t.Fatalf("own JSON refused: %v", errs)
		}
		for i := range recs {
			if again[i].RatingID != recs[i].RatingID || again[i].Level != recs[i].Level || fmt.Sprint(again[i].Tags) != fmt.Sprint(recs[i].Tags) {
				t.Fatalf("JSON round trip changed %+v into %+v", recs[i], again[i])
			}
		}
	})
}

// TestByChannel: ratings through the page, the widget, the API and an
// import are counted per channel, flagged ones apart, and the channels
// add up to the month figures.
func TestByChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, key := setup(t, db, time.Date(2026, 7, 1, 10, 0, 0, 0, shanghai))
		for i, in := range []Input{
			{Level: 5, Channel: ChannelWeb}, {Level: 1, Channel: ChannelWeb}, {Level: 4, Channel: ChannelWidget},
			{Level: 2, Channel: ChannelWidget, Website: "bot"}, {Level: 3, Channel: ChannelAPI},
		} {
			in.Target, in.IP = key, fmt.Sprintf("192.0.2.%d", i)
			if _, err := s.Rate(ctx, in, false); err != nil {
				t.Fatal(err)
			}
		}
		file := "rating_id,target,level,rated_at\nHN-1," + key + ",5,2026-07-01 08:00:00\n"
		if res, err := s.Import(ctx, audit.Actor{Name: "office"}, "f.csv", strings.NewReader(file), false, all); err != nil || !res.OK() {
			t.Fatalf("%+v %v", res, err)
		}
		got, err := ByChannel(ctx, db, "/41/4101/", Period{From: "202607", To: "202607"})
		if err != nil {
			t.Fatal(err)
		}
		want := []ChannelCount{{Channel: ChannelWeb, Total: 2, Valid: 2, Good: 1, Bad: 1}, {Channel: ChannelWidget, Total: 2, Suspicious: 1, Valid: 1, Good: 1},
			{Channel: ChannelAPI, Total: 1, Valid: 1, Good: 1}, {Channel: ChannelImport, Total: 1, Valid: 1, Good: 1}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("by channel %+v, want %+v", got, want)
		}
		st, err := Stats(ctx, db, "/41/4101/", Period{From: "202607", To: "202607"})
		if err != nil {
			t.Fatal(err)
		}
		var total, valid, bad int64
		for _, c := range got {
			total, valid, bad = total+c.Total, valid+c.Valid, bad+c.Bad
		}
		if total != st.Total || valid != st.Valid() || bad != st.Bad() {
			t.Fatalf("channels add to %d/%d/%d, figures %+v", total, valid, bad, st)
		}
		if other, err := ByChannel(ctx, db, "/41/4102/", Period{From: "202607", To: "202607"}); err != nil || len(other) != 0 {
			t.Fatalf("another city: %+v %v", other, err)
		}
	})
}

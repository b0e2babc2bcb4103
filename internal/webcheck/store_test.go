package webcheck

import (
	"context"
	"errors"
	"testing"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/probe"
)

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setupStore(t, db)
		id := mustSite(t, db, "http://www.zhengzhou.gov.cn/", "郑州市人民政府", KindCity, "4101").ID
		base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		var rs []probe.Result
		for i := range 30 {
			rs = append(rs, probe.Result{URL: "ignored", Time: base.Add(time.Duration(i) * 6 * time.Hour), Status: 200, ElapsedMS: int64(i), OK: i%10 != 3})
		}
		rs[3].Err, rs[3].Status = "timeout", 0
		if err := SaveProbes(ctx, db, id, rs); err != nil {
			t.Fatal(err)
		}
		got, err := Probes(ctx, db, id, base.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 26 || !got[0].Time.Equal(base.Add(24*time.Hour)) || got[0].URL != "http://www.zhengzhou.gov.cn/" {
			t.Fatalf("probes %d %+v", len(got), got[:1])
		}
		if s := probe.Summarize(got); s.Failures != 2 {
			t.Fatalf("summary %+v", s)
		}

		r := &Result{URL: "http://www.zhengzhou.gov.cn/", Started: base, Finished: base.Add(time.Minute), Pages: 10,
			BrokenLinks: []BrokenLink{{URL: "http://www.zhengzhou.gov.cn/x", Status: 404, FoundOn: []string{"http://www.zhengzhou.gov.cn/"}}}}
		r.Metrics = map[string]Metric{"broken_links_home": {Value: 1, Known: true, Evidence: []Evidence{{URL: "http://www.zhengzhou.gov.cn/x"}}}}
		r.Verdict, r.Score = DefaultScheme().Evaluate(r.Metrics)
		iid, err := SaveInspection(ctx, db, id, r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Inspection(ctx, db, iid)
		if err != nil {
			t.Fatal(err)
		}
		if back.Pages != 10 || len(back.BrokenLinks) != 1 || back.Score.Total != r.Score.Total || back.Verdict.Deductions[0].Evidence[0].URL != "http://www.zhengzhou.gov.cn/x" {
			t.Fatalf("round trip %+v", back)
		}
		if _, err := Inspection(ctx, db, iid+100); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing inspection: %v", err)
		}

		ss := DBStateStore{DB: db, Key: "http://www.zhengzhou.gov.cn/"}
		if _, err := ss.Load(ctx); !errors.Is(err, crawl.ErrNoState) {
			t.Fatalf("empty state: %v", err)
		}
		for _, n := range []int{1, 2} {
			if err := ss.Save(ctx, &crawl.State{Seed: ss.Key, Pages: n}); err != nil {
				t.Fatal(err)
			}
		}
		st, err := ss.Load(ctx)
		if err != nil || st.Pages != 2 || st.Seed != ss.Key {
			t.Fatalf("state %+v %v", st, err)
		}
	})
}

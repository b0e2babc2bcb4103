package webcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/webcheck/sitegen"
)

// DemoSites are the government websites registered by the demo: the
// provincial portal, departments, every city and two counties. Their URLs
// are real addresses; the demo never fetches them.
var DemoSites = []SiteInput{
	{URL: "https://www.henan.gov.cn/", Name: "河南省人民政府门户网站", Kind: KindPortal, OrgCode: "41D-ZFB"},
	{URL: "https://gxt.henan.gov.cn/", Name: "河南省工业和信息化厅", Kind: KindDepartment, OrgCode: "41D-GXT"},
	{URL: "https://fgw.henan.gov.cn/", Name: "河南省发展和改革委员会", Kind: KindDepartment, OrgCode: "41D-FGW"},
	{URL: "https://czt.henan.gov.cn/", Name: "河南省财政厅", Kind: KindDepartment, OrgCode: "41D-CZT"},
	{URL: "https://jyt.henan.gov.cn/", Name: "河南省教育厅", Kind: KindDepartment, OrgCode: "41D-JYT"},
	{URL: "https://kjt.henan.gov.cn/", Name: "河南省科学技术厅", Kind: KindDepartment, OrgCode: "41D-KJT"},
	{URL: "https://hrss.henan.gov.cn/", Name: "河南省人力资源和社会保障厅", Kind: KindDepartment, OrgCode: "41D-RST"},
	{URL: "https://tjj.henan.gov.cn/", Name: "河南省统计局", Kind: KindDepartment, OrgCode: "41D-TJJ"},
	{URL: "https://hnjs.henan.gov.cn/", Name: "河南省住房和城乡建设厅", Kind: KindDepartment, OrgCode: "41D-ZJT"},
	{URL: "https://jtyst.henan.gov.cn/", Name: "河南省交通运输厅", Kind: KindDepartment, OrgCode: "41D-JTT"},
	{URL: "https://mzt.henan.gov.cn/", Name: "河南省民政厅", Kind: KindDepartment, OrgCode: "41D-MZT"},
	{URL: "https://slt.henan.gov.cn/", Name: "河南省水利厅", Kind: KindDepartment, OrgCode: "41D-SLT"},
	{URL: "https://www.zhengzhou.gov.cn/", Name: "郑州市人民政府", Kind: KindCity, OrgCode: "4101"},
	{URL: "https://www.kaifeng.gov.cn/", Name: "开封市人民政府", Kind: KindCity, OrgCode: "4102"},
	{URL: "https://www.ly.gov.cn/", Name: "洛阳市人民政府", Kind: KindCity, OrgCode: "4103"},
	{URL: "https://www.pds.gov.cn/", Name: "平顶山市人民政府", Kind: KindCity, OrgCode: "4104"},
	{URL: "https://www.anyang.gov.cn/", Name: "安阳市人民政府", Kind: KindCity, OrgCode: "4105"},
	{URL: "https://www.hebi.gov.cn/", Name: "鹤壁市人民政府", Kind: KindCity, OrgCode: "4106"},
	{URL: "https://www.xinxiang.gov.cn/", Name: "新乡市人民政府", Kind: KindCity, OrgCode: "4107"},
	{URL: "https://www.jiaozuo.gov.cn/", Name: "焦作市人民政府", Kind: KindCity, OrgCode: "4108"},
	{URL: "https://www.puyang.gov.cn/", Name: "濮阳市人民政府", Kind: KindCity, OrgCode: "4109"},
	{URL: "https://www.xuchang.gov.cn/", Name: "许昌市人民政府", Kind: KindCity, OrgCode: "4110"},
	{URL: "https://www.luohe.gov.cn/", Name: "漯河市人民政府", Kind: KindCity, OrgCode: "4111"},
	{URL: "https://www.smx.gov.cn/", Name: "三门峡市人民政府", Kind: KindCity, OrgCode: "4112"},
	{URL: "https://www.nanyang.gov.cn/", Name: "南阳市人民政府", Kind: KindCity, OrgCode: "4113"},
	{URL: "https://www.shangqiu.gov.cn/", Name: "商丘市人民政府", Kind: KindCity, OrgCode: "4114"},
	{URL: "https://www.xinyang.gov.cn/", Name: "信阳市人民政府", Kind: KindCity, OrgCode: "4115"},
	{URL: "https://www.zhoukou.gov.cn/", Name: "周口市人民政府", Kind: KindCity, OrgCode: "4116"},
	{URL: "https://www.zhumadian.gov.cn/", Name: "驻马店市人民政府", Kind: KindCity, OrgCode: "4117"},
	{URL: "https://www.zhongyuan.gov.cn/", Name: "郑州市中原区人民政府", Kind: KindCounty, OrgCode: "410102"},
	{URL: "https://www.lankao.gov.cn/", Name: "兰考县人民政府", Kind: KindCounty, OrgCode: "410225"},
}

// LoadDemoSites registers DemoSites (marked demo) unless they exist.
// Units missing from the store are skipped.
func LoadDemoSites(ctx context.Context, db *store.DB) (int, error) {
	n := 0
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		for _, s := range DemoSites {
			var path string
			err := tx.QueryRowContext(ctx, `SELECT path FROM orgunit WHERE code = $1`, s.OrgCode).Scan(&path)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO webcheck_site (url, name, kind, org_code, org_path, demo, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6) ON CONFLICT (url) DO NOTHING`, s.URL, s.Name, s.Kind, s.OrgCode, path, now)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("webcheck: demo sites: %w", err)
	}
	return n, nil
}

// demoRounds are the rounds the demo builds: an earlier one whose
// rectification deadline has passed and a recent one.
var demoRounds = []struct {
	name    string
	ago     time.Duration
	variant uint64
}{
	{"2026年第一季度政府网站检查（演示）", 120 * 24 * time.Hour, 1},
	{"2026年第三季度政府网站检查（演示）", 10 * 24 * time.Hour, 2},
}

// LoadDemoRounds builds the demo's inspection rounds, unless a demo round
// exists: for every demo site it generates a government website with
// planted problems, serves it on 127.0.0.1, runs the real inspector on it,
// and stores the result under the demo site's address. Meant to run in the
// background after the server has started; it takes about a second per
// site.
func LoadDemoRounds(ctx context.Context, db *store.DB, log *slog.Logger) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM webcheck_round WHERE demo = TRUE`).Scan(&n); err != nil {
		return fmt.Errorf("webcheck: demo rounds: %w", err)
	}
	if n > 0 {
		return nil
	}
	var sites []Site
	all, err := ListSites(ctx, db, SiteFilter{})
	if err != nil {
		return err
	}
	for _, s := range all {
		if s.Demo {
			sites = append(sites, s)
		}
	}
	if len(sites) == 0 {
		return nil
	}
	start := time.Now()
	actor := audit.Actor{Name: "demo"}
	for _, dr := range demoRounds {
		at := store.Now().Add(-dr.ago)
		var roundID int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_round (name, scheme, deadline_days, created_by, created_at, demo)
				VALUES ($1, $2, 30, 'demo', $3, TRUE) RETURNING id`, dr.name, string(defaultScheme), at).Scan(&roundID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, actor, "create", "webcheck_round", fmt.Sprint(roundID), orgunit.Root, nil, map[string]any{"name": dr.name, "demo": true})
		})
		if err != nil {
			return fmt.Errorf("webcheck: demo round: %w", err)
		}
		for _, s := range sites {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h := fnv.New64a()
			h.Write([]byte(s.URL))
			r, err := inspectGenerated(ctx, s, h.Sum64()*3+dr.variant, at)
			if err != nil {
				log.Warn("webcheck demo inspection", "site", s.URL, "err", err)
				continue
			}
			if err := storeDemoResult(ctx, db, actor, roundID, s.ID, at, r); err != nil {
				return err
			}
		}
	}
	if err := demoWorkflow(ctx, db, actor); err != nil {
		return err
	}
	log.Info("webcheck demo rounds built", "sites", len(sites), "rounds", len(demoRounds), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// inspectGenerated serves a generated site for s on 127.0.0.1, inspects it
// as of `at`, and rewrites the local address to s.URL in the result.
func inspectGenerated(ctx context.Context, s Site, seed uint64, at time.Time) (*Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	gen := sitegen.Generate(sitegen.Options{Articles: 120 + int(seed%80), Base: base, Seed: seed | 1, Name: strings.TrimSuffix(s.Name, "门户网站"), Now: at})
	srv := &http.Server{Handler: gen, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	r, err := Inspect(ctx, base+"/", Options{AllowPrivate: true, Probes: 1, PerHost: 4, Workers: 8, PerHostRate: -1, Now: at, Timeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	host := strings.TrimSuffix(strings.SplitN(s.URL, "://", 2)[1], "/")
	txt := strings.NewReplacer(base+"/", s.URL, base, strings.TrimSuffix(s.URL, "/"), "https://127.0.0.1/", "https://"+host+"/", "127.0.0.1", host).Replace(string(b))
	var out Result
	if err := json.Unmarshal([]byte(txt), &out); err != nil {
		return nil, err
	}
	shiftTimes(&out, at.Sub(out.Started))
	return &out, nil
}

// shiftTimes moves every time in r by d, so that a demo inspection made
// now reads as made on its round's date.
func shiftTimes(r *Result, d time.Duration) {
	sh := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.Add(d)
		}
	}
	shEv := func(es []Evidence) {
		for i := range es {
			sh(&es[i].Time)
		}
	}
	sh(&r.Started)
	sh(&r.Finished)
	sh(&r.Home.Fetched)
	sh(&r.TLS.Checked)
	for i := range r.BrokenLinks {
		sh(&r.BrokenLinks[i].CheckedAt)
	}
	for i := range r.Availability.Probes {
		sh(&r.Availability.Probes[i].Time)
	}
	shEv(r.MixedContent)
	shEv(r.SevereErrors)
	for i := range r.Verdict.Vetoes {
		shEv(r.Verdict.Vetoes[i].Evidence)
	}
	for i := range r.Verdict.Deductions {
		shEv(r.Verdict.Deductions[i].Evidence)
	}
	for i := range r.Score.Indicators {
		for j := range r.Score.Indicators[i].Losses {
			shEv(r.Score.Indicators[i].Losses[j].Evidence)
		}
	}
}

// storeDemoResult records r as the finished job of site in a demo round.
func storeDemoResult(ctx context.Context, db *store.DB, actor audit.Actor, roundID, siteID int64, at time.Time, r *Result) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var jobID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_job (round_id, site_id, purpose, status, attempts, claimed_by, created_at, started_at, finished_at)
			VALUES ($1, $2, $3, $4, 1, 'demo', $5, $5, $5) RETURNING id`, roundID, siteID, PurposeRound, JobDone, at).Scan(&jobID); err != nil {
			return err
		}
		id, err := insertInspection(ctx, tx, siteID, roundID, jobID, PurposeRound, true, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webcheck_job SET inspection_id = $1 WHERE id = $2`, id, jobID); err != nil {
			return err
		}
		return raiseProblems(ctx, tx, actor, siteID, id, roundID, at.AddDate(0, 0, 30), r)
	})
}

// demoWorkflow moves some problems of the earlier demo round along the
// rectification workflow, so that every status shows: most fixed and
// confirmed, some fixed awaiting a check, the rest left open (overdue).
func demoWorkflow(ctx context.Context, db *store.DB, actor audit.Actor) error {
	var first int64
	if err := db.R.QueryRowContext(ctx, `SELECT MIN(id) FROM webcheck_round WHERE demo = TRUE`).Scan(&first); err != nil {
		return err
	}
	ps, err := ListProblems(ctx, db, ProblemFilter{RoundID: first, Limit: 10000})
	if err != nil {
		return err
	}
	for i, p := range ps {
		switch i % 5 {
		case 0, 1, 2:
			if _, err := UpdateProblem(ctx, db, nil, actor, p.ID, ActionFix, "已按要求整改（演示）"); err != nil {
				return err
			}
			if i%5 != 2 {
				if _, err := UpdateProblem(ctx, db, nil, actor, p.ID, ActionClose, "第三方复核确认（演示）"); err != nil {
					return err
				}
			}
		case 3:
			if _, err := UpdateProblem(ctx, db, nil, actor, p.ID, ActionFix, "已整改（演示）"); err != nil {
				return err
			}
			if _, err := UpdateProblem(ctx, db, nil, actor, p.ID, ActionReopen, "复核仍存在（演示）"); err != nil {
				return err
			}
		}
	}
	return nil
}

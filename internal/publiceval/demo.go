package publiceval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/store"
	"zhihui/internal/webcheck"
)

// DemoActor is the author of demo case steps.
var DemoActor = audit.Actor{Name: ActorDemo}

// demoTargets are the services and disclosure items of the demo, each
// labelled 演示 (demo) in its name.
var demoTargets = []NewTarget{
	{Kind: KindService, Name: "【演示】不动产登记查询", URL: "https://www.henan.gov.cn/", OrgCode: "41"},
	{Kind: KindDisclosure, Name: "【演示】郑州市政府信息公开年报", URL: "https://www.zhengzhou.gov.cn/", OrgCode: "4101"},
	{Kind: KindService, Name: "【演示】中原区社保卡办理", URL: "https://www.zhengzhou.gov.cn/", OrgCode: "410102"},
	{Kind: KindPage, Name: "【演示】开封市政策解读栏目", URL: "https://www.kaifeng.gov.cn/", OrgCode: "4102"},
}

var demoComments = map[bool][]string{
	false: {"办事指南写得很清楚", "查到了需要的文件", "页面打开很快", "", "", "信息更新及时"},
	true:  {"办事指南还是去年的版本", "链接打不开", "咨询三天没有人回复", "找不到申请表下载", ""},
}

// LoadDemo adds demo targets and a year of demo ratings up to now, with
// 差评 cases in every state and a few flagged ratings, unless demo
// ratings exist. Everything it writes is marked demo.
func LoadDemo(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE demo`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return demoVolumes(ctx, db)
	}
	var keys []string
	sites, err := webcheck.ListSites(ctx, db, webcheck.SiteFilter{})
	if err != nil {
		return err
	}
	for i, s := range sites {
		if s.Demo && i < 8 {
			keys = append(keys, SiteKey(s.ID))
		}
	}
	for _, t := range demoTargets {
		t.Demo = true
		nt, err := AddTarget(ctx, db, DemoActor, t, func(string) bool { return true })
		if err != nil {
			return fmt.Errorf("publiceval: demo target: %w", err)
		}
		keys = append(keys, nt.Key)
	}
	rng := rand.New(rand.NewPCG(2026, 14))
	end := time.Now().UTC()
	start := end.AddDate(-1, 0, 0)
	const total = 480
	span := end.Sub(start)
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(int64(span) / total * int64(i))).Add(time.Duration(rng.IntN(3600)) * time.Second)
		level := []int{5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1}[rng.IntN(11)]
		in := Input{Target: keys[rng.IntN(len(keys))], Level: level, Channel: []string{ChannelWeb, ChannelWidget}[rng.IntN(2)],
			IP: fmt.Sprintf("10.%d.%d.%d", rng.IntN(250), rng.IntN(250), 1+rng.IntN(250)), UserAgent: "demo", At: at, Demo: true}
		cs := demoComments[IsBad(level)]
		in.Comment = cs[rng.IntN(len(cs))]
		if tags := TagsFor(level); rng.IntN(2) == 0 {
			in.Tags = []string{tags[rng.IntN(len(tags))].Code}
		}
		if IsBad(level) && rng.IntN(3) > 0 {
			in.Name, in.Phone, in.Case = "演示用户", fmt.Sprintf("138%08d", rng.IntN(1e8)), fmt.Sprintf("DEMO-%06d", i)
		}
		if i%97 == 50 {
			in.Website = "http://spam.example" // a robot: stored, flagged
		}
		s := &Service{DB: db, Now: func() time.Time { return at }}
		r, err := s.Rate(ctx, in, false)
		if err != nil {
			return fmt.Errorf("publiceval: demo rating: %w", err)
		}
		if r.CaseID == 0 {
			continue
		}
		if err := demoHandle(ctx, db, r.CaseID, at, end, rng); err != nil {
			return err
		}
	}
	return demoVolumes(ctx, db)
}

// demoVolumes records, unless demo volumes exist, the cases each demo
// service and disclosure item handled in each month it was rated: three
// to eight times its valid ratings, so that the 主动评价率 of the demo
// lies between about 12 % and 35 %.
func demoVolumes(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_volume WHERE demo`).Scan(&n); err != nil || n > 0 {
		return err
	}
	rows, err := db.R.QueryContext(ctx, `SELECT t.tkey, m.month, m.l1 + m.l2 + m.l3 + m.l4 + m.l5 FROM publiceval_month m
		JOIN publiceval_target t ON t.id = m.target_id WHERE t.demo AND t.kind IN ('service', 'disclosure') ORDER BY t.tkey, m.month`)
	if err != nil {
		return err
	}
	var vs []Volume
	rng := rand.New(rand.NewPCG(2026, 3))
	for rows.Next() {
		var v Volume
		var valid int64
		if err := rows.Scan(&v.Target, &v.Month, &valid); err != nil {
			rows.Close()
			return err
		}
		v.Handled, v.Demo = valid*int64(3+rng.IntN(6))+int64(rng.IntN(5)), true
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(vs) == 0 {
		return err
	}
	res, err := SaveVolumes(ctx, db, DemoActor, vs, time.Now(), func(string) bool { return true })
	if err == nil && !res.OK() {
		err = res.Errors[0]
	}
	if err != nil {
		return fmt.Errorf("publiceval: demo volumes: %w", err)
	}
	return nil
}

// demoHandle takes a demo case through some of its steps: older cases
// further than recent ones, so that every state appears.
func demoHandle(ctx context.Context, db *store.DB, id int64, at, end time.Time, rng *rand.Rand) error {
	all := func(string) bool { return true }
	step := func(after time.Duration, st Step) error {
		at = at.Add(after)
		if at.After(end) {
			return errStop
		}
		s := &Service{DB: db, Now: func() time.Time { return at }}
		return s.Do(ctx, DemoActor, id, st, all)
	}
	age := end.Sub(at)
	steps := []struct {
		after time.Duration
		st    Step
	}{
		{time.Duration(2+rng.IntN(40)) * time.Hour, Step{Kind: "contact", Text: "已电话联系评价人（演示）"}},
	}
	if rng.IntN(8) == 0 {
		steps = append(steps, struct {
			after time.Duration
			st    Step
		}{time.Hour, Step{Kind: "triage", Choice: TriageAppeal, Text: "评价内容与本单位无关（演示）"}})
		if age > 20*24*time.Hour {
			steps = append(steps, struct {
				after time.Duration
				st    Step
			}{48 * time.Hour, Step{Kind: "appeal", Choice: []string{"upheld", "rejected"}[rng.IntN(2)], Text: "经核查（演示）"}})
		}
	} else {
		steps = append(steps,
			struct {
				after time.Duration
				st    Step
			}{time.Hour, Step{Kind: "triage", Choice: []string{TriageImmediate, TriageDeadline, TriageExplain}[rng.IntN(3)], Text: "（演示）"}},
			struct {
				after time.Duration
				st    Step
			}{time.Duration(24+rng.IntN(240)) * time.Hour, Step{Kind: "answer", Text: "已更新相关内容并答复（演示）"}},
			struct {
				after time.Duration
				st    Step
			}{48 * time.Hour, Step{Kind: "satisfaction", Choice: []string{SatisfactionYes, SatisfactionYes, SatisfactionNo}[rng.IntN(3)]}})
	}
	// recent cases stop earlier
	keep := len(steps)
	if age < 45*24*time.Hour {
		keep = rng.IntN(len(steps) + 1)
	}
	for _, s := range steps[:keep] {
		if err := step(s.after, s.st); err == errStop {
			return nil
		} else if err != nil {
			return fmt.Errorf("publiceval: demo case %d: %w", id, err)
		}
	}
	return nil
}

var errStop = fmt.Errorf("publiceval: stop")

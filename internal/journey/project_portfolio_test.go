package journey

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/project"
)

// TestProjectOMRequestFlaggedAndCut: 中原区's project officer asks for next
// year's O&M money of a system of the catalogue from the 运维经费 page,
// 30 % above what the office granted last year, and sees the request
// flagged with the reason; the provincial office filters the flagged
// requests, exports them (the file holds exactly the list), opens the
// request and cuts it with a reason. The store holds the flag, the cut
// and its audit record.
func TestProjectOMRequestFlaggedAndCut(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		all := []string{"/41/"}
		sid, err := svc.AddSystem(ctx, a, all, project.NewSystem{Owner: "410102", Name: "中原区政务服务平台（已建）", OMCost: 1000000, MLPSLevel: 3})
		if err != nil {
			return err
		}
		if _, err := svc.AddSystem(ctx, a, all, project.NewSystem{Owner: "410102", Name: "中原区协同办公系统（已建）", OMCost: 500000, MLPSLevel: 2}); err != nil {
			return err
		}
		spent := project.Money(1000000)
		id, err := svc.SubmitOM(ctx, a, all, project.NewOM{SystemID: sid, Year: 2025, Amount: 1000000, LastActual: &spent})
		if err != nil {
			return err
		}
		return svc.ReviewOM(ctx, a, all, id, project.OMApprove, nil, "")
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("zy-om", "中原区项目负责人", auth.Reporter, "410102")
		s.User("ban", "省信息化办公室", auth.Office, "41")
		svc := project.New(s.DB)

		owner := browser.NewTab(t, s.URL)
		owner.Login("zy-om", Password)
		owner.Follow("项目管理")
		owner.Follow("运维经费")
		owner.WaitText("申请运维经费")
		owner.Fill("信息系统", "中原区政务服务平台（已建）", "申请运维经费")
		owner.Fill("年度", "2026", "申请运维经费")
		owner.Fill("申请金额（万元）", "130", "申请运维经费")
		owner.Fill("测算依据", "新增数据治理服务", "申请运维经费")
		owner.Press("提交申请")
		owner.WaitText("运维经费申请已提交")
		main := owner.Text("main")
		for _, want := range []string{"本申请有 2 项异常提示", "高于上年支出", "比上年核定金额 100 万元高出 30%", "高于目录运维费", "上年核定金额"} {
			if !strings.Contains(main, want) {
				t.Fatalf("the owner's request page lacks %q: %s", want, main)
			}
		}
		if owner.Has("保存审核") {
			t.Fatal("the owner is offered the office's review")
		}
		// The other system's request, from a file: first with a bad amount
		// (nothing is imported, the row and column are named), then right.
		dir := t.TempDir()
		bad, good := filepath.Join(dir, "bad.csv"), filepath.Join(dir, "good.csv")
		head := "年度,单位代码,信息系统,申请金额（万元）,上年实际支出（万元）\n"
		if err := os.WriteFile(bad, []byte(head+"2026,410102,中原区协同办公系统（已建）,1.23456,50\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(good, []byte(head+"2026,410102,中原区协同办公系统（已建）,50,50\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		owner.Follow("运维经费")
		owner.Follow("导入运维经费申请")
		owner.Fill("申请清单文件", bad)
		owner.Press("导入")
		owner.WaitText("未导入任何申请")
		if !owner.Has("第2行") || !owner.Has("申请金额（万元）") {
			t.Fatalf("the import's error: %s", owner.Text("main"))
		}
		owner.Fill("申请清单文件", good)
		owner.Press("导入")
		owner.WaitText("运维经费申请已全部导入")
		owner.WaitText("中原区协同办公系统（已建）")

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("项目管理")
		office.Follow("运维经费")
		office.Fill("提示", "有提示的")
		office.Press("筛选")
		office.WaitText("共 1 份，其中有提示 1 份")
		data, ctype := office.Download("导出 XLSX")
		rows := xlsxRows(t, data, ctype)
		if len(rows) != 2 || rows[1][0] != "2026" || rows[1][1] != "中原区政务服务平台（已建）" || rows[1][4] != "130" || !strings.Contains(rows[1][8], "30%") {
			t.Fatalf("the export of the flagged list: %q", rows)
		}
		office.Follow("中原区政务服务平台（已建）", "2026")
		office.WaitText("本申请有 2 项异常提示")
		office.Fill("核减", "on")
		office.Fill("核定金额（万元，核减时填写）", "110")
		office.Press("保存审核")
		office.WaitText("核减须说明理由")
		office.Fill("核减", "on")
		office.Fill("核定金额（万元，核减时填写）", "110")
		office.Fill("核减理由", "新增服务内容未经论证，按上年水平加 10% 核定")
		office.Press("保存审核")
		office.WaitText("审核结果已保存")
		if !office.Has("已核减") || !office.Has("110") {
			t.Fatalf("after the cut: %s", office.Text("main"))
		}

		if _, tot, err := svc.ListOM(ctx, project.OMFilter{Scopes: []string{"/41/"}, Year: 2026}); err != nil || tot.Count != 2 || tot.Flagged != 1 {
			t.Fatalf("2026's requests: %+v %v", tot, err)
		}
		rs, _, err := svc.ListOM(ctx, project.OMFilter{Scopes: []string{"/41/"}, Year: 2026, Flag: "any"})
		if err != nil || len(rs) != 1 {
			t.Fatalf("stored: %v %v", rs, err)
		}
		r := rs[0]
		if r.Amount != 1300000 || r.Status != project.OMCut || r.Approved == nil || *r.Approved != 1100000 || r.ReviewedBy != "ban" ||
			len(r.Flags) != 2 || r.Flags[0].Code != project.FlagOverLastYear || r.ActorName != "zy-om" {
			t.Fatalf("stored request: %+v", r)
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'portfolio_om' AND action = 'review' AND entity_id = $1`, strconv.FormatInt(r.ID, 10)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the cut is audited %d times: %v", n, err)
		}
	})
}

// TestProjectPortfolioLeaderOnPhone: a provincial leader on a 390×844
// phone opens 项目总览 from the home page through the menu and the project
// pages, reads the exact totals and the red project, drills down to 郑州市
// and exports its by-unit table: the file holds exactly the rows on screen.
// No page scrolls sideways.
func TestProjectPortfolioLeaderOnPhone(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		all := []string{"/41/"}
		var red int64
		for _, x := range []struct {
			name, owner string
			est         project.Money
		}{{"郑州市智慧城管平台建设项目", "4101", 12345678}, {"中原区政务服务平台升级改造项目", "410102", 2000001}, {"开封市数据共享交换平台建设项目", "4102", 5000000}} {
			id, err := svc.Register(ctx, a, all, project.NewProject{Name: x.name, Owner: x.owner, Category: "new", Funding: "财政", Estimate: x.est, Year: 2016})
			if err != nil {
				return err
			}
			if x.owner == "4101" {
				red = id
			}
		}
		if err := svc.SetBaseline(ctx, a, all, red, project.NewBaseline{Start: "2016-04-01", End: "2017-06-30", Cost: 12345678}); err != nil {
			return err
		}
		c := project.Money(14000000)
		return svc.ReportProgress(ctx, a, all, red, project.NewProgress{ProjectedCost: &c})
	}}, func(t *testing.T, s *Site) {
		s.User("lingdao-xm", "省领导", auth.Leader, "41")
		b := browser.NewTab(t, s.URL)
		b.Size(390, 844)
		b.Login("lingdao-xm", Password)
		b.Click("菜单")
		b.WaitFor("the menu to open", `document.getElementById("sidenav").getBoundingClientRect().left >= 0`)
		b.Follow("项目管理")
		b.Follow("项目总览")
		b.WaitText("按阶段")
		main := b.Text("main")
		// 1234.5678 + 200.0001 + 500 万元, exactly
		for _, want := range []string{"1934.5679", "红灯 1", "郑州市智慧城管平台建设项目", "13.4%"} {
			if !strings.Contains(main, want) {
				t.Fatalf("the province's portfolio lacks %q: %s", want, main)
			}
		}
		if b.ScrollsSideways() {
			t.Error("the portfolio scrolls sideways on a phone")
		}
		b.Follow("郑州市")
		b.WaitText("项目总览 · 郑州市")
		if b.Has("开封市数据共享交换平台建设项目") || !b.Has("1434.5679") {
			t.Fatalf("郑州市's portfolio: %s", b.Text("main"))
		}
		if b.ScrollsSideways() {
			t.Error("the city's portfolio scrolls sideways on a phone")
		}
		data, ctype := b.Download("导出 XLSX", "按单位")
		rows := xlsxRows(t, data, ctype)
		if len(rows) != 4 || rows[1][0] != "本级" || rows[1][1] != "1" || rows[1][2] != "1234.5678" || rows[2][0] != "中原区" || rows[2][2] != "200.0001" ||
			rows[3][0] != "合计" || rows[3][2] != "1434.5679" {
			t.Fatalf("the by-unit export: %q", rows)
		}
		b.Screenshots()
	})
}

// TestProjectPublicVisitor: the provincial office publishes one of three
// projects from 信息公开 and adds the summary to the published fields; a
// visitor who is not logged in follows 项目公开 from the home page and sees
// only that project, with only the chosen fields. Publishing is audited.
func TestProjectPublicVisitor(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		for _, name := range []string{"郑州市社会信用信息平台建设项目", "郑州市应急指挥信息系统建设项目", "开封市智慧教育云平台建设项目"} {
			owner := "4101"
			if strings.HasPrefix(name, "开封") {
				owner = "4102"
			}
			if _, err := svc.Register(ctx, a, []string{"/41/"}, project.NewProject{Name: name, Owner: owner, Category: "new", Funding: "财政",
				Estimate: 3000000, Year: 2017, Summary: name + "概要：归集信用信息", Content: "内部论证材料"}); err != nil {
				return err
			}
		}
		return nil
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban-pub", "省信息化办公室", auth.Office, "41")
		office := browser.NewTab(t, s.URL)
		office.Login("ban-pub", Password)
		office.Follow("项目管理")
		office.Follow("信息公开")
		office.WaitText("公开字段")
		office.Press("公开", "郑州市社会信用信息平台建设项目")
		office.WaitText("已公开")
		office.Fill("项目概要", "on")
		office.Fill("估算（万元）", "off")
		office.Press("保存公开字段")
		office.WaitText("保存")

		visitor := browser.NewTab(t, s.URL)
		visitor.Home()
		visitor.Follow("项目公开")
		visitor.WaitText("已公开项目")
		main := visitor.Text("main")
		if !strings.Contains(main, "郑州市社会信用信息平台建设项目") || !strings.Contains(main, "归集信用信息") || !strings.Contains(main, "郑州市") {
			t.Fatalf("the published project: %s", main)
		}
		for _, hidden := range []string{"郑州市应急指挥信息系统建设项目", "开封市智慧教育云平台建设项目", "内部论证材料", "300"} {
			if strings.Contains(main, hidden) {
				t.Fatalf("the public page shows %q: %s", hidden, main)
			}
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('publish', 'public_fields')`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("publishing audited %d times: %v", n, err)
		}
	})
}

package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/calendar"
	dom "zhihui/internal/project"
	"zhihui/internal/store"
)

// a11yDetailPages stores what the detail pages of the project portfolio
// and of the calls need — a project, an expert with an absence and a tie,
// a call under review with an application, its panel and a recusal, and an open call
// — and returns those pages for the accessibility check.
func a11yDetailPages(t *testing.T, db *store.DB) []string {
	t.Helper()
	ctx := context.Background()
	s := dom.New(db)
	a := audit.Actor{Name: "a11y"}
	all := []string{"/41/"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pid, err := s.Register(ctx, a, all, dom.NewProject{Name: "中原区政务服务一体化平台", Owner: "410102", Category: "new", Funding: "区级财政预算资金",
		Estimate: 2605000, Content: "整合各部门政务服务事项，建设统一的网上办事大厅。"})
	must(err)
	var expert int64
	for i, name := range []string{"王建国", "李海燕", "张志强"} {
		id, err := s.AddExpert(ctx, a, dom.Expert{Name: name, Fields: []string{"egov"}, Employer: "郑州大学", Region: "4101", Available: true, Account: fmt.Sprint("a11y-e", i)})
		must(err)
		expert = id
	}
	day := calendar.Format(time.Now().AddDate(0, 0, 30))
	_, err = s.AddAbsence(ctx, a, expert, day, day, "出国访问")
	must(err)
	_, err = s.AddTie(ctx, a, expert, dom.TieEmployed, "4117", "2000-12-31", "原驻马店市信息中心")
	must(err)
	deadline := calendar.Format(time.Now().AddDate(0, 0, 20))
	cid, err := s.OpenCall(ctx, a, all, dom.NewCall{Kind: dom.CallAward, Title: "2026 年度优秀信息化工程评选", Description: "评选成效显著的信息化工程。", Org: "41",
		Deadline: deadline, Criteria: "应用成效 50\n创新性 50", Field: "egov", PanelSize: 3})
	must(err)
	app, err := s.Apply(ctx, a, all, cid, dom.NewApplication{Unit: "410102", ProjectID: pid, Body: "平台上线两年，办件量增长三倍。", DocName: "申报书.txt", Doc: []byte("申报书")})
	must(err)
	must(s.CheckApplication(ctx, a, all, app, true, "材料齐全"))
	must(s.CloseCall(ctx, a, all, cid))
	must(s.DrawCallPanel(ctx, a, all, cid, nil))
	seats, err := s.CallSeats(ctx, cid)
	must(err)
	must(s.Recuse(ctx, a, seats[0].Account, seats[0].ID, app, "曾为该项目提供咨询")) // the call's page offers to undo it
	open, err := s.OpenCall(ctx, a, all, dom.NewCall{Kind: dom.CallPilot, Title: "2026 年智慧城市试点", Description: "征集智慧城市试点项目。", Org: "41",
		Deadline: deadline, Criteria: "应用成效 60\n创新性 40", Field: "egov", PanelSize: 3})
	must(err)
	return []string{fmt.Sprint("/projects/", pid), fmt.Sprint("/projects/experts/", expert), fmt.Sprint("/calls/", cid),
		fmt.Sprint("/calls/", cid, "/applications/", app), fmt.Sprint("/calls/", open), fmt.Sprint("/calls/", open, "/edit")}
}

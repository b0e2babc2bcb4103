package journey

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/plan"
)

// xlsxRows reads the first sheet of a downloaded workbook.
func xlsxRows(t *testing.T, data []byte, ctype string) [][]string {
	t.Helper()
	if ctype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("export type %q", ctype)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestExportsAsFiltered: a provincial administrator exports the lists
// the plan and administration pages show, each as filtered on screen:
// the tasks of one section (the same tasks, no others), the targets, the
// users and the audit log filtered to logins (only logins).
func TestExportsAsFiltered(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		s.User("guanli", "省管理员", auth.Admin, "41")
		s.User("zz-rep", "郑州填报员", auth.Reporter, "4101")
		p := plan.Default()
		var sec plan.Section
		for _, c := range p.Sections() {
			if n := len(p.Tasks(plan.TaskFilter{Section: c.Ref})); n > 0 && n < len(p.Tasks(plan.TaskFilter{})) && strings.Count(c.Ref, ".") == 0 {
				sec = c
				break
			}
		}
		want := p.Tasks(plan.TaskFilter{Section: sec.Ref})
		xr := func(data []byte, ctype string) [][]string { return xlsxRows(t, data, ctype) }
		b := browser.NewTab(t, s.URL)
		b.Login("guanli", Password)

		b.Follow("规划目标与任务")
		b.Fill("章节", sec.Ref+" "+sec.TitleZh)
		b.Press("筛选")
		b.WaitText("重点任务 (" + strconv.Itoa(len(want)) + ")")
		rows := xr(b.Download("导出所列任务 XLSX"))
		if len(rows) != 1+len(want) {
			t.Fatalf("tasks export: %d rows for %d tasks listed", len(rows)-1, len(want))
		}
		for i, r := range rows[1:] {
			if r[0] != want[i].ID || (r[1] != sec.Ref && !strings.HasPrefix(r[1], sec.Ref+".")) {
				t.Errorf("tasks export row %d: %v, want %s in %s", i, r[:2], want[i].ID, sec.Ref)
			}
		}
		rows = xr(b.Download("导出目标 XLSX"))
		if len(rows) != 1+len(p.Targets()) || rows[1][1] != p.Targets()[0].Code {
			t.Errorf("targets export: %d rows, want %d", len(rows)-1, len(p.Targets()))
		}

		b.Follow("系统管理")
		b.WaitText("用户与角色")
		rows = xr(b.Download("导出用户 XLSX"))
		names := map[string]string{}
		for _, r := range rows[1:] {
			names[r[0]] = strings.Join(r, " ")
		}
		if !strings.Contains(names["zz-rep"], "郑州填报员") || !strings.Contains(names["zz-rep"], "郑州市") || !strings.Contains(names["guanli"], "省管理员") {
			t.Errorf("users export: %v", names)
		}

		b.Follow("审计日志")
		b.Fill("操作", "登录")
		b.Press("搜索", "操作人") // the log's own form, not the header's box
		b.WaitText("审计日志")
		rows = xr(b.Download("导出筛选结果 XLSX"))
		if len(rows) < 2 {
			t.Fatalf("the audit export lacks the login: %v", rows)
		}
		for _, r := range rows[1:] {
			if len(r) < 4 || r[3] != "登录" {
				t.Errorf("audit export row %v is not a login", r)
			}
		}
		b.Screenshots()
	})
}

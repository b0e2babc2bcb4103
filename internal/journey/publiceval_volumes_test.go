package journey

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/period"
	"zhihui/internal/publiceval"
)

// TestPublicEvaluationCaseVolumes: the office imports the month's case
// volumes (办件量) of two services from 好差评 → 办件量: a spreadsheet
// with a bad row is refused whole, its row and column named; the good
// one is imported and the page shows each service's 主动评价率 (valid
// ratings ÷ cases handled); a figure typed in for one service replaces
// the imported one; the statistics show the rate for the unit; the list
// downloads as XLSX in the columns an import reads.
func TestPublicEvaluationCaseVolumes(t *testing.T) {
	t.Parallel()
	var keys []string
	last := time.Now().In(period.Shanghai)
	last = time.Date(last.Year(), last.Month(), 1, 10, 0, 0, 0, period.Shanghai).AddDate(0, -1, 0)
	month := last.Format("2006-01")
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		keys = nil
		for _, name := range []string{"不动产登记", "社保卡办理"} {
			tg, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: name, OrgCode: "410102"},
				func(string) bool { return true })
			if err != nil {
				return err
			}
			keys = append(keys, tg.Key)
		}
		// three ratings of 不动产登记 last month, one of them a robot's
		for i, lv := range []int{5, 4, 3} {
			in := publiceval.Input{Target: keys[0], Level: lv, IP: fmt.Sprintf("203.0.113.%d", i+1), UserAgent: "seed", At: last.Add(time.Duration(i) * time.Hour)}
			if i == 2 {
				in.Website = "http://robot.example"
			}
			if _, err := publiceval.New(s.DB).Rate(ctx, in, false); err != nil {
				return err
			}
		}
		return nil
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息办", auth.Office, "41")
		dir := t.TempDir()
		sheet := func(name string, rows [][]any) string {
			f := excelize.NewFile()
			for i, r := range rows {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
					t.Fatal(err)
				}
			}
			p := filepath.Join(dir, name)
			if err := f.SaveAs(p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		bad := sheet("bad.xlsx", [][]any{{"评价对象", "事项名称", "月份", "办件量"}, {keys[0], "不动产登记", month, 8}, {keys[1], "社保卡办理", month, "很多"}})
		good := sheet("good.xlsx", [][]any{{"评价对象", "事项名称", "月份", "办件量"}, {keys[0], "不动产登记", month, 8}, {keys[1], "社保卡办理", month, 12}})

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Follow("办件量")
		office.Fill("办件量文件（CSV 或 XLSX）", bad)
		office.Press("导入")
		office.WaitText("未导入任何办件量")
		if !office.Has("很多") || !office.Has("handled") {
			t.Fatalf("the bad cell is not located: %s", office.Text("main"))
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_volume`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a refused file stored %d volumes %v", n, err)
		}

		office.Fill("办件量文件（CSV 或 XLSX）", good)
		office.Press("导入")
		office.WaitText("新增 2 条")
		// two valid ratings (the robot's is not counted) of 8 cases
		if !strings.Contains(office.Text("main"), "25.0%") {
			t.Fatalf("不动产登记's 主动评价率 2 ÷ 8 is not shown: %s", office.Text("main"))
		}
		// typed in: 社保卡办理 handled 10 instead of 12
		office.Fill("评价对象", "社保卡办理")
		office.Fill("月份", month)
		office.Fill("办件量", "10")
		office.Press("保存")
		office.WaitText("已保存")
		var handled int64
		if err := s.DB.R.QueryRowContext(ctx, `SELECT v.handled FROM publiceval_volume v JOIN publiceval_target t ON t.id = v.target_id WHERE t.tkey = $1`, keys[1]).Scan(&handled); err != nil || handled != 10 {
			t.Fatalf("社保卡办理 handled %d %v", handled, err)
		}
		// the unit: 2 valid ratings of 18 cases
		if !office.Has("11.1%") {
			t.Fatalf("the unit's 主动评价率 2 ÷ 18 is not shown: %s", office.Text("main"))
		}
		body, ctype := office.Download("导出 XLSX")
		if !strings.Contains(ctype, "spreadsheet") {
			t.Fatalf("export type %q", ctype)
		}
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(x.GetSheetList()[0])
		if err != nil || len(rows) != 3 || rows[0][0] != "评价对象" {
			t.Fatalf("export rows %v %v", rows, err)
		}
		back, errs := publiceval.ParseVolumes("back.xlsx", body)
		if len(errs) > 0 || len(back) != 2 {
			t.Fatalf("the export does not import back: %v %v", back, errs)
		}

		office.Follow("好差评统计")
		office.Fill("期间", last.Format("200601"))
		office.Press("查看")
		if !office.Has("主动评价率") || !office.Has("11.1%") {
			t.Fatalf("the statistics do not show the unit's 主动评价率: %s", office.Text("main"))
		}
	})
}

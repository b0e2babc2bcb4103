package publiceval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey"
	dom "zhihui/internal/publiceval"
)

// TestVolumeAPI: a county's handler records case volumes through the API
// as JSON rows, a CSV body and an XLSX file (a dry run writes nothing;
// the same rows twice change nothing; a bad file answers 422 with every
// error at its row and column in both languages and nothing written; a
// row of another county's service is an error of that row), lists them
// as JSON, CSV and XLSX, and may neither list nor enter another
// county's — on both stores.
func TestVolumeAPI(t *testing.T) {
	for _, st := range []journey.Store{journey.SQLite, journey.Postgres} {
		t.Run(string(st), func(t *testing.T) {
			s, key := site(t, st)
			h := s.Handler()
			ctx := context.Background()
			other, err := dom.AddTarget(ctx, s.DB, audit.System, dom.NewTarget{Kind: dom.KindService, Name: "二七区 户籍", OrgCode: "410103"}, all)
			if err != nil {
				t.Fatal(err)
			}
			county := s.User("zy", "中原区", auth.Reporter, "410102")
			bearer := func(u *auth.User) map[string]string {
				tok, err := auth.NewToken(ctx, s.DB, audit.System, u.ID, "test")
				if err != nil {
					t.Fatal(err)
				}
				return map[string]string{"Authorization": "Bearer " + tok}
			}
			zy := bearer(county)
			stored := func() map[string]int64 {
				rows, err := s.DB.R.QueryContext(ctx, `SELECT v.month, v.handled FROM publiceval_volume v`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				out := map[string]int64{}
				for rows.Next() {
					var m string
					var n int64
					if err := rows.Scan(&m, &n); err != nil {
						t.Fatal(err)
					}
					out[m] = n
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				return out
			}
			body := `[{"target":"` + key + `","month":"2026-01","handled":120},{"target":"` + key + `","month":202602,"handled":"90"}]`
			rec := do(h, "POST", "/api/v1/ratings/volumes?dryRun=true", "application/json", body, zy)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"new":2`) || !strings.Contains(rec.Body.String(), `"dry_run":true`) || len(stored()) != 0 {
				t.Fatalf("dry run: %d %s", rec.Code, rec.Body)
			}
			for i, want := range []string{`"new":2`, `"same":2`} {
				rec := do(h, "POST", "/api/v1/ratings/volumes", "application/json", body, zy)
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) || stored()["202602"] != 90 {
					t.Fatalf("json %d: %d %s", i, rec.Code, rec.Body)
				}
			}
			var errs struct {
				Errors []struct {
					Row       int    `json:"row"`
					Column    string `json:"column"`
					MessageZh string `json:"message_zh"`
					MessageEn string `json:"message_en"`
				} `json:"errors"`
			}
			csvBad := "target,month,handled\n" + key + ",2026-03,abc\n" + other.Key + ",2026-03,5\n"
			rec = do(h, "POST", "/api/v1/ratings/volumes", "text/csv", csvBad, zy)
			if err := json.Unmarshal(rec.Body.Bytes(), &errs); rec.Code != http.StatusUnprocessableEntity || err != nil || len(errs.Errors) != 1 ||
				errs.Errors[0].Row != 2 || errs.Errors[0].Column != "handled" || errs.Errors[0].MessageZh == "" || errs.Errors[0].MessageEn == "" {
				t.Fatalf("bad csv: %d %s", rec.Code, rec.Body)
			}
			rec = do(h, "POST", "/api/v1/ratings/volumes", "text/csv", "target,month,handled\n"+key+",2026-03,5\n"+other.Key+",2026-03,5\n", zy)
			if err := json.Unmarshal(rec.Body.Bytes(), &errs); rec.Code != http.StatusUnprocessableEntity || err != nil || len(errs.Errors) != 1 ||
				errs.Errors[0].Row != 3 || errs.Errors[0].Column != "target" || len(stored()) != 2 {
				t.Fatalf("another county's row: %d %s", rec.Code, rec.Body)
			}

			x := excelize.NewFile()
			for i, row := range [][]any{{"评价对象", "月份", "办件量"}, {key, "2026-03", 75}, {key, "2026-01", 121}} {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
					t.Fatal(err)
				}
			}
			var xb, mb bytes.Buffer
			if err := x.Write(&xb); err != nil {
				t.Fatal(err)
			}
			mw := multipart.NewWriter(&mb)
			fw, _ := mw.CreateFormFile("file", "办件量.xlsx")
			fw.Write(xb.Bytes())
			mw.Close()
			rec = do(h, "POST", "/api/v1/ratings/volumes", mw.FormDataContentType(), mb.String(), zy)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"changed":1,"dry_run":false,"new":1`) || stored()["202601"] != 121 || stored()["202603"] != 75 {
				t.Fatalf("xlsx: %d %s", rec.Code, rec.Body)
			}

			rec = do(h, "GET", "/api/v1/ratings/volumes?unit=410102&period=2026", "", "", zy)
			var list struct {
				Unit    string       `json:"unit"`
				Volumes []dom.Volume `json:"volumes"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &list); rec.Code != 200 || err != nil || list.Unit != "410102" || len(list.Volumes) != 3 ||
				list.Volumes[0].Month != "202603" || list.Volumes[0].Handled != 75 || list.Volumes[0].Active == "" {
				t.Fatalf("list: %d %s", rec.Code, rec.Body)
			}
			// the listing posted back changes nothing
			js, _ := json.Marshal(map[string]any{"volumes": list.Volumes})
			if rec := do(h, "POST", "/api/v1/ratings/volumes", "application/json", string(js), zy); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"same":3`) {
				t.Fatalf("the listing back: %d %s", rec.Code, rec.Body)
			}
			rec = do(h, "GET", "/api/v1/ratings/volumes?unit=410102&period=2026&format=csv", "", "", zy)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "target,name,unit,month,handled,rated,active_rate") || !strings.Contains(rec.Body.String(), key+",社保卡办理,410102,2026-03,75,") {
				t.Fatalf("csv list: %d %s", rec.Code, rec.Body)
			}
			rec = do(h, "GET", "/api/v1/ratings/volumes?unit=410102&period=202601&format=xlsx", "", "", zy)
			if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
				t.Fatalf("xlsx list: %d %s", rec.Code, rec.Header())
			}
			back, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := back.GetRows(back.GetSheetName(0))
			if len(rows) != 2 || rows[1][0] != key || rows[1][4] != "121" {
				t.Fatalf("xlsx rows %v", rows)
			}
			if rec := do(h, "GET", "/api/v1/ratings/volumes?unit=410103&period=2026", "", "", zy); rec.Code != http.StatusForbidden {
				t.Fatalf("another county's list: %d", rec.Code)
			}
			if rec := do(h, "POST", "/api/v1/ratings/volumes", "application/x-www-form-urlencoded", "target="+other.Key+"&month=2026-03&handled=5", zy); rec.Code != http.StatusForbidden {
				t.Fatalf("another county's entry: %d %s", rec.Code, rec.Body)
			}
			if rec := do(h, "POST", "/api/v1/ratings/volumes", "application/x-www-form-urlencoded", "target="+key+"&month=2026-04&handled=5", zy); rec.Code != 200 || stored()["202604"] != 5 {
				t.Fatalf("one entry: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// auditCount is how many audit entries of entity id carry action.
func auditCount(t *testing.T, db *store.DB, action, entity, id string) int {
	t.Helper()
	es, _, err := audit.Search(context.Background(), db, audit.Filter{Action: action, Entity: entity, EntityID: id})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// bilingual400 fails unless rec is a 400 whose body carries zh and en.
func bilingual400(t *testing.T, what string, rec *httptest.ResponseRecorder, zh, en string) {
	t.Helper()
	if body := rec.Body.String(); rec.Code != http.StatusBadRequest || !strings.Contains(body, zh) || !strings.Contains(body, en) {
		t.Fatalf("%s: %d %s", what, rec.Code, body)
	}
}

// TestCallCorrectionsAPI: the city's office edits a call through the API
// (only the fields given change), another city's office and a reporter
// are refused, a bad panel size is a bilingual error on its field; the
// office withdraws a call with a reason. On a call under review an expert
// reads their seat and recuses themselves from an application, another
// expert may not recuse on that seat; the office reads the panel with the
// recusal and undoes it with a reason (another city's office may not);
// each step is audited.
func TestCallCorrectionsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, office := e.user(t, "cc-office", auth.Office, "4101")
		_, kfOffice := e.user(t, "cc-kf-office", auth.Office, "4102")
		_, zy := e.user(t, "cc-zy", auth.Reporter, "410102")
		svc := project.New(db)
		all := []string{"/41/"}
		sys := audit.Actor{Name: "test"}
		open := func(title string) int64 {
			t.Helper()
			id, err := svc.OpenCall(ctx, sys, all, project.NewCall{Kind: project.CallPilot, Title: title, Description: "遴选。", Org: "4101", Deadline: "2099-12-31",
				Criteria: "成效 50\n创新 50", Field: "egov", PanelSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		cid := open("郑州市数据共享试点")
		base := "/api/v1/calls/" + strconv.FormatInt(cid, 10)
		for _, c := range []client{kfOffice, zy} {
			if rec := e.do(t, c, http.MethodPost, base, js(`{"title":"改"}`)); rec.Code != http.StatusForbidden {
				t.Fatalf("a stranger edits the call: %d %s", rec.Code, rec.Body.String())
			}
		}
		rec := e.do(t, office, http.MethodPost, base, js(`{"panel_size":2}`))
		bilingual400(t, "a panel of two", rec, "3 至 15", "3 to 15")
		rec = e.do(t, office, http.MethodPost, base, js(`{"title":"郑州市数据共享试点（第二批）","deadline":"2099-11-30","criteria":[{"name":"成效","weight":70},{"name":"创新","weight":30}]}`))
		var got struct {
			Call project.Call `json:"call"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Call.Title != "郑州市数据共享试点（第二批）" ||
			got.Call.Deadline != "2099-11-30" || got.Call.Criteria[0].Weight != 70 || got.Call.Description != "遴选。" || got.Call.PanelSize != 3 {
			t.Fatalf("edit: %d %s", rec.Code, rec.Body.String())
		}
		if n := auditCount(t, db, "update", "project_call", strconv.FormatInt(cid, 10)); n != 1 {
			t.Fatalf("the edit's audit entries: %d", n)
		}
		// A form edits too.
		if rec := e.do(t, office, http.MethodPost, base, url.Values{"description": {"遴选数据共享试点。"}}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "遴选数据共享试点。") {
			t.Fatalf("edit with a form: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, office, http.MethodPost, base+"/withdraw", js(`{"reason":" "}`))
		bilingual400(t, "a withdrawal without a reason", rec, "撤回理由", "withdrawn")
		if rec := e.do(t, kfOffice, http.MethodPost, base+"/withdraw", js(`{"reason":"撤回"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city withdraws the call: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodPost, base+"/withdraw", js(`{"reason":"试点方案调整"}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"withdrawn"`) {
			t.Fatalf("withdraw: %d %s", rec.Code, rec.Body.String())
		}
		if n := auditCount(t, db, "withdraw", "project_call", strconv.FormatInt(cid, 10)); n != 1 {
			t.Fatalf("the withdrawal's audit entries: %d", n)
		}
		if rec := e.do(t, office, http.MethodPost, base, js(`{"title":"再改"}`)); rec.Code != http.StatusBadRequest {
			t.Fatalf("editing a withdrawn call: %d %s", rec.Code, rec.Body.String())
		}

		// A call under review with a panel of three experts with accounts.
		rid := open("郑州市优秀工程评选")
		experts := map[string]client{}
		for i := 0; i < 3; i++ {
			name := fmt.Sprint("cc-expert-", i)
			_, experts[name] = e.user(t, name, auth.Expert, "41")
			if _, err := svc.AddExpert(ctx, sys, project.Expert{Name: fmt.Sprint("专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某大学", i), Region: "41", Available: true, Account: name}); err != nil {
				t.Fatal(err)
			}
		}
		app, err := svc.Apply(ctx, sys, all, rid, project.NewApplication{Unit: "410102", Title: "中原区数据共享平台", Body: "正文"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.CheckApplication(ctx, sys, all, app, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.CloseCall(ctx, sys, all, rid); err != nil {
			t.Fatal(err)
		}
		if err := svc.DrawCallPanel(ctx, sys, all, rid, nil); err != nil {
			t.Fatal(err)
		}
		seats, _ := svc.CallSeats(ctx, rid)
		first, second := seats[0], seats[1]
		rec = e.do(t, experts[first.Account], http.MethodGet, "/api/v1/calls/reviews", nil)
		var mine struct {
			Seats []struct {
				Seat         project.CallSeat `json:"seat"`
				Open         bool             `json:"open"`
				Applications []struct {
					ID int64 `json:"id"`
				} `json:"applications"`
			} `json:"seats"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &mine); err != nil || rec.Code != 200 || len(mine.Seats) != 1 || mine.Seats[0].Seat.ID != first.ID || !mine.Seats[0].Open ||
			len(mine.Seats[0].Applications) != 1 || mine.Seats[0].Applications[0].ID != app || strings.Contains(rec.Body.String(), "专家1") {
			t.Fatalf("the expert's seats: %d %s", rec.Code, rec.Body.String())
		}
		recuse := fmt.Sprintf("/api/v1/calls/%d/seats/%d/%d/recuse", rid, first.ID, app)
		if rec := e.do(t, experts[second.Account], http.MethodPost, recuse, js(`{"reason":"冲突"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("recusing on another expert's seat: %d", rec.Code)
		}
		rec = e.do(t, experts[first.Account], http.MethodPost, recuse, js(`{"reason":""}`))
		bilingual400(t, "a recusal without a reason", rec, "回避的原因", "conflict")
		if rec := e.do(t, experts[first.Account], http.MethodPost, recuse, js(`{"reason":"曾为该项目提供咨询"}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "曾为该项目提供咨询") {
			t.Fatalf("recuse: %d %s", rec.Code, rec.Body.String())
		}
		if n := auditCount(t, db, "recuse", "project_application", strconv.FormatInt(app, 10)); n != 1 {
			t.Fatalf("the recusal's audit entries: %d", n)
		}
		panel := "/api/v1/calls/" + strconv.FormatInt(rid, 10) + "/panel"
		if rec := e.do(t, kfOffice, http.MethodGet, panel, nil); rec.Code != http.StatusForbidden {
			t.Fatalf("another city reads the panel: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodGet, panel, nil)
		var p struct {
			Seats []struct {
				ID         int64  `json:"id"`
				ExpertName string `json:"expert_name"`
			} `json:"seats"`
			Recusals   []project.Recusal `json:"recusals"`
			Reproduces bool              `json:"reproduces"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 200 || len(p.Seats) != 3 || p.Seats[0].ExpertName == "" || !p.Reproduces ||
			len(p.Recusals) != 1 || p.Recusals[0].SeatID != first.ID || p.Recusals[0].ApplicationID != app {
			t.Fatalf("the panel: %d %s", rec.Code, rec.Body.String())
		}
		undo := fmt.Sprintf("/api/v1/calls/%d/recusals/%d/%d/undo", rid, first.ID, app)
		if rec := e.do(t, kfOffice, http.MethodPost, undo, js(`{"reason":"误报"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city undoes the recusal: %d", rec.Code)
		}
		if rec := e.do(t, experts[first.Account], http.MethodPost, undo, js(`{"reason":"误报"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("the expert undoes the recusal: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodPost, undo, js(`{}`))
		bilingual400(t, "an undoing without a reason", rec, "撤销回避", "undone")
		if rec := e.do(t, office, http.MethodPost, fmt.Sprintf("/api/v1/calls/%d/recusals/%d/%d/undo", cid, first.ID, app), js(`{"reason":"误报"}`)); rec.Code != http.StatusNotFound {
			t.Fatalf("undoing through another call: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodPost, undo, js(`{"reason":"咨询合同未履行"}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"recusals":[]`) {
			t.Fatalf("undo: %d %s", rec.Code, rec.Body.String())
		}
		if n := auditCount(t, db, "undo_recusal", "project_application", strconv.FormatInt(app, 10)); n != 1 {
			t.Fatalf("the undoing's audit entries: %d", n)
		}
		if rec := e.do(t, office, http.MethodPost, undo, js(`{"reason":"再次"}`)); rec.Code != http.StatusNotFound {
			t.Fatalf("undoing twice: %d", rec.Code)
		}
	})
}

// TestExpertRecordAPI: the office marks an expert absent and declares a
// tie through the API, corrects and removes both; bad dates and unknown
// units are bilingual errors on their fields, another expert's record is
// not found, a reporter is refused; every step is audited.
func TestExpertRecordAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, office := e.user(t, "er-office", auth.Office, "4102")
		_, zy := e.user(t, "er-zy", auth.Reporter, "410102")
		svc := project.New(db)
		eid, err := svc.AddExpert(ctx, audit.Actor{Name: "test"}, project.Expert{Name: "王建国", Fields: []string{"egov"}, Employer: "郑州大学", Region: "41", Available: true})
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.AddExpert(ctx, audit.Actor{Name: "test"}, project.Expert{Name: "李海燕", Fields: []string{"egov"}, Employer: "河南大学", Region: "41", Available: true})
		if err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/experts/" + strconv.FormatInt(eid, 10)
		if rec := e.do(t, zy, http.MethodPost, base+"/absences", js(`{"from":"2099-07-01","to":"2099-07-10","reason":"出国"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("a reporter marks an expert absent: %d", rec.Code)
		}
		rec := e.do(t, office, http.MethodPost, base+"/absences", js(`{"from":"2099-07-10","to":"2099-07-01","reason":"出国"}`))
		bilingual400(t, "an absence ending before it starts", rec, "早于开始日期", "before the first day")
		rec = e.do(t, office, http.MethodPost, base+"/absences", js(`{"from":"2099-07-01","to":"2099-07-10","reason":"出国访问"}`))
		var ab struct {
			Absence project.Absence `json:"absence"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ab); err != nil || rec.Code != http.StatusCreated || ab.Absence.ID == 0 || ab.Absence.To != "2099-07-10" {
			t.Fatalf("add an absence: %d %s", rec.Code, rec.Body.String())
		}
		aid := strconv.FormatInt(ab.Absence.ID, 10)
		if rec := e.do(t, office, http.MethodPost, "/api/v1/experts/"+strconv.FormatInt(other, 10)+"/absences/"+aid, js(`{"from":"2099-07-01","to":"2099-07-05","reason":"出国"}`)); rec.Code != http.StatusNotFound {
			t.Fatalf("another expert's absence: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodPost, base+"/absences/"+aid, url.Values{"from": {"2099-07-01"}, "to": {"2099-07-05"}, "reason": {"出国（提前回国）"}}); rec.Code != http.StatusOK ||
			!strings.Contains(rec.Body.String(), "2099-07-05") {
			t.Fatalf("correct the absence: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, office, http.MethodPost, base+"/ties", js(`{"kind":"worked","unit":"999999"}`))
		bilingual400(t, "a tie with an unknown unit", rec, "没有代码为", "no unit has the code")
		rec = e.do(t, office, http.MethodPost, base+"/ties", js(`{"kind":"employed","unit":"410102","note":"原中原区大数据局"}`))
		var tie struct {
			Tie project.Tie `json:"tie"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &tie); err != nil || rec.Code != http.StatusCreated || tie.Tie.UnitName != "中原区" || tie.Tie.Until != "" {
			t.Fatalf("declare a tie: %d %s", rec.Code, rec.Body.String())
		}
		tid := strconv.FormatInt(tie.Tie.ID, 10)
		if rec := e.do(t, office, http.MethodPost, base+"/ties/"+tid, js(`{"kind":"employed","unit":"410102","until":"2025-12-31","note":"已离职"}`)); rec.Code != http.StatusOK ||
			!strings.Contains(rec.Body.String(), "2025-12-31") {
			t.Fatalf("correct the tie: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, office, http.MethodGet, base, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "出国（提前回国）") || !strings.Contains(rec.Body.String(), "已离职") || !strings.Contains(rec.Body.String(), `"tie_years":3`) {
			t.Fatalf("the expert's record: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, office, http.MethodPost, base+"/absences/"+aid+"/delete", nil); rec.Code != http.StatusOK {
			t.Fatalf("delete the absence: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, office, http.MethodPost, base+"/absences/"+aid+"/delete", nil); rec.Code != http.StatusNotFound {
			t.Fatalf("delete the absence twice: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodPost, base+"/ties/"+tid+"/delete", nil); rec.Code != http.StatusOK {
			t.Fatalf("delete the tie: %d %s", rec.Code, rec.Body.String())
		}
		for action, n := range map[string]int{"create": 1, "update": 1, "delete": 1} {
			if got := auditCount(t, db, action, "project_absence", aid); got != n {
				t.Errorf("%s entries of the absence: %d", action, got)
			}
			if got := auditCount(t, db, action, "project_tie", tid); got != n {
				t.Errorf("%s entries of the tie: %d", action, got)
			}
		}
	})
}

package plan

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestTasksFilter(t *testing.T) {
	p := Default()
	all := p.Tasks(TaskFilter{})
	if len(all) == 0 {
		t.Fatal("no tasks")
	}

	s3 := p.Tasks(TaskFilter{Section: "§3"})
	s32 := p.Tasks(TaskFilter{Section: "§3.2"})
	if len(s32) == 0 || len(s3) <= len(s32) {
		t.Fatalf("§3 has %d tasks, §3.2 has %d", len(s3), len(s32))
	}
	for _, task := range s3 {
		if !strings.HasPrefix(task.Section, "§3.") {
			t.Errorf("§3 filter returned %s in %s", task.ID, task.Section)
		}
	}
	for _, task := range s32 {
		if task.Section != "§3.2" {
			t.Errorf("§3.2 filter returned %s in %s", task.ID, task.Section)
		}
	}
	if n := len(p.Tasks(TaskFilter{Section: "§9"})); n != 0 {
		t.Errorf("§9 filter returned %d tasks", n)
	}

	// Department matches lead or participants; count both ways by hand.
	const dept = "41D-TXGLJ"
	want := 0
	for _, task := range all {
		if task.Lead == dept || slices.Contains(task.Participants, dept) {
			want++
		}
	}
	got := p.Tasks(TaskFilter{Department: dept})
	if len(got) != want || want == 0 {
		t.Errorf("department filter: got %d tasks, want %d", len(got), want)
	}
	both := p.Tasks(TaskFilter{Section: "§3.2", Department: "41D-XWGD"})
	if len(both) == 0 || len(both) >= len(s32) {
		t.Errorf("section+department filter returned %d of %d §3.2 tasks", len(both), len(s32))
	}

	// The result is a copy.
	got[0].Lead = "changed"
	if p.Tasks(TaskFilter{Department: dept})[0].Lead == "changed" {
		t.Error("Tasks returned a slice sharing the plan's storage")
	}
}

func TestTargetLookup(t *testing.T) {
	p := Default()
	ec, ok := p.Target("ECOMMERCE_VOLUME")
	if !ok {
		t.Fatal("ECOMMERCE_VOLUME missing")
	}
	if ec.Unit != "亿元" || len(ec.Values) != 2 {
		t.Fatalf("ECOMMERCE_VOLUME = %+v", ec)
	}
	// 3万亿元 is stored in 亿元.
	if v := ec.Values[1]; v.Year != 2020 || v.Value == nil || *v.Value != 30000 || v.Display != "突破3万亿元" {
		t.Errorf("2020 value = %+v", v)
	}
	if _, ok := p.Target("NOPE"); ok {
		t.Error("unknown code found")
	}
	for _, tg := range p.Targets() {
		if tg.Kind == Qualitative && (tg.MeasureZh == "" || tg.Indicator == "") {
			t.Errorf("%s: qualitative target without measure or indicator", tg.Code)
		}
	}
}

func TestSectionsHaveParents(t *testing.T) {
	secs := Default().Sections()
	seen := map[string]bool{}
	for _, s := range secs {
		if s.Parent != "" && !seen[s.Parent] {
			t.Errorf("%s comes before its parent %s", s.Ref, s.Parent)
		}
		seen[s.Ref] = true
	}
	if s, ok := Default().Section("§6.4"); !ok || s.TitleZh != "深化电子政务应用" || s.Parent != "§6" {
		t.Errorf("§6.4 = %+v, %v", s, ok)
	}
}

func TestTaskDeadlines(t *testing.T) {
	for _, task := range Default().Tasks(TaskFilter{}) {
		if task.Deadline != "2015-12-31" && task.Deadline != "2020-12-31" {
			t.Errorf("%s: deadline %s is neither plan year end", task.ID, task.Deadline)
		}
		if task.Due().IsZero() {
			t.Errorf("%s: Due is zero", task.ID)
		}
	}
	task, _ := Default().Task("T6.3.4")
	if due := task.Due().UTC(); due.Format("2006-01-02 15:04") != "2015-12-31 15:59" {
		t.Errorf("T6.3.4 due %v, want end of 2015-12-31 in UTC+8", due)
	}
}

func TestMet(t *testing.T) {
	v := func(x float64, cmp string) TargetValue { return TargetValue{Value: &x, Comparison: cmp} }
	tests := []struct {
		target TargetValue
		actual float64
		want   bool
	}{
		{v(8000, ">"), 8000, false},
		{v(8000, ">"), 8000.5, true},
		{v(50, ">="), 50, true},
		{v(50, ">="), 49.9, false},
		{v(100, "="), 100, true},
		{v(100, "="), 99, false},
		{v(1, "<="), 1, true},
		{v(3, "<"), 3, false},
		{v(50, ">="), math.NaN(), false},
		{TargetValue{Display: "基本实现"}, 1, false},
	}
	for _, tt := range tests {
		if got := tt.target.Met(tt.actual); got != tt.want {
			t.Errorf("%s %v met by %v = %v, want %v", tt.target.Comparison, tt.target.Value, tt.actual, got, tt.want)
		}
	}
}

func TestPlanJSON(t *testing.T) {
	b, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Code     string `json:"code"`
		Sections []struct {
			Ref    string `json:"ref"`
			Parent string `json:"parent"`
		} `json:"sections"`
		Targets []struct {
			Code   string `json:"code"`
			Values []struct {
				Year  int      `json:"year"`
				Value *float64 `json:"value"`
			} `json:"values"`
		} `json:"targets"`
		Tasks []struct {
			ID           string   `json:"id"`
			TitleZh      string   `json:"title_zh"`
			Participants []string `json:"participants"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	p := Default()
	if doc.Code != p.Code || len(doc.Tasks) != len(p.Tasks(TaskFilter{})) || len(doc.Targets) != len(p.Targets()) {
		t.Fatalf("JSON lost data: code %q, %d tasks, %d targets", doc.Code, len(doc.Tasks), len(doc.Targets))
	}
	if doc.Tasks[0].TitleZh == "" || doc.Tasks[0].Participants == nil {
		t.Errorf("task JSON = %+v", doc.Tasks[0])
	}
	if strings.Contains(string(b), `"value_text"`) || strings.Contains(string(b), `"ValueText"`) {
		t.Error("raw value text leaks into JSON")
	}
}

func TestDepartments(t *testing.T) {
	ds := Departments()
	if len(ds) == 0 {
		t.Fatal("no departments")
	}
	used := map[string]bool{}
	for _, task := range Default().Tasks(TaskFilter{}) {
		used[task.Lead] = true
		for _, d := range task.Participants {
			used[d] = true
		}
	}
	for _, d := range ds {
		if !used[d.Code] {
			t.Errorf("department %s %s takes part in no task", d.Code, d.Name)
		}
		if got, ok := LookupDepartment(d.Code); !ok || got != d {
			t.Errorf("LookupDepartment(%s) = %+v, %v", d.Code, got, ok)
		}
	}
	if gxt, _ := LookupDepartment("41D-GXT"); gxt.Name != "省工业和信息化厅" {
		t.Errorf("41D-GXT = %+v", gxt)
	}
	if _, ok := LookupDepartment("41D-XXX"); ok {
		t.Error("unknown department found")
	}
}

func TestParseDepartmentsRejectsBadRows(t *testing.T) {
	for _, text := range []string{
		"",
		"code,name\n41D-GXT,省工业和信息化厅\n",
		"code,name,name_en\n41D-GXT,省工业和信息化厅,\n",
		"code,name,name_en\nGXT,省工业和信息化厅,Industry\n",
		"code,name,name_en\n41D-GXT,a,b\n41D-GXT,c,d\n",
	} {
		if _, err := parseDepartments(text); err == nil {
			t.Errorf("parseDepartments(%q) succeeded", text)
		}
	}
}

// TestGoalWords: every goal of the plan reads as its sentence says it,
// never with a comparison sign or a unit stuck to a phrase.
func TestGoalWords(t *testing.T) {
	for _, tg := range Default().Targets() {
		for _, v := range tg.Values {
			w := v.Words()
			if w == "" || strings.ContainsAny(w, "<>=") {
				t.Errorf("%s %d: %q", tg.Code, v.Year, w)
			}
			if v.Display != "" && !strings.Contains(v.Quote, strings.TrimPrefix(strings.TrimPrefix(w, "达到"), "超过")) && !strings.Contains(w, v.Display) {
				t.Errorf("%s %d: %q is not the source's wording %q", tg.Code, v.Year, w, v.Display)
			}
		}
	}
	v := TargetValue{Display: "20Mb/s", Comparison: ">="}
	if v.Words() != "达到20Mb/s" {
		t.Fatalf("bare figure: %q", v.Words())
	}
	v = TargetValue{Display: "80%以上", Comparison: ">="}
	if v.Words() != "80%以上" {
		t.Fatalf("own wording: %q", v.Words())
	}
}

package plan

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"zhihui/internal/i18n"
)

// validPlan is a small plan that passes Load; the cases below break it one
// way at a time.
const validPlan = `code: test-plan
title_zh: 测试计划
title_en: Test plan
issued: 2013-12-20
horizon: 2020
sections:
  - {ref: §2, title_zh: 总体要求, title_en: General requirements}
  - {ref: §2.3, title_zh: 发展目标, title_en: Development goals}
  - {ref: §3, title_zh: 基础设施, title_en: Infrastructure}
  - {ref: §3.1, title_zh: 一体化, title_en: Integration}
goals:
  - {id: G2.3-2015, section: §2.3, year: 2015, text_zh: 目标, text_en: Goal, targets: [BB]}
targets:
  - code: BB
    name_zh: 宽带
    name_en: Broadband
    kind: quantitative
    unit: Mb/s
    direction: higher
    section: §2.3
    indicator: BB
    values:
      - {year: 2015, value: 20, comparison: ">=", display: 20Mb/s, quote: 达到20Mb/s}
  - code: FTTH
    name_zh: 光纤到户
    name_en: FTTH
    kind: qualitative
    direction: higher
    section: §2.3
    indicator: FTTH_RATE
    measure_zh: 光纤到户覆盖率
    measure_en: FTTH coverage
    values:
      - {year: 2015, display: 基本实现, quote: 基本实现光纤到户}
tasks:
  - id: T3.1.1
    section: §3.1
    title_zh: 任务
    title_en: Task
    quote: 原文
    lead: 41D-GXT
    participants: [41D-FGW]
    deadline: 2020-12-31
    milestones:
      - {date: 2015-12-31, text_zh: 里程碑, text_en: Milestone, targets: [BB]}
`

const secondTask = `  - {id: T3.1.1, section: §3.1, title_zh: 任务二, title_en: Task 2, quote: 原文二, lead: 41D-FGW}
`

func loadString(doc string) (*Plan, error) {
	return Load(fstest.MapFS{"plan.yaml": {Data: []byte(doc)}})
}

func TestLoadValid(t *testing.T) {
	p, err := loadString(validPlan)
	if err != nil {
		t.Fatal(err)
	}
	bb, ok := p.Target("BB")
	if !ok || bb.Values[0].Value == nil || *bb.Values[0].Value != 20 {
		t.Fatalf("target BB = %+v, %v", bb, ok)
	}
	task, ok := p.Task("T3.1.1")
	if !ok || task.Lead != "41D-GXT" || task.Deadline != "2020-12-31" {
		t.Fatalf("task = %+v, %v", task, ok)
	}
	if s, _ := p.Section("§3.1"); s.Parent != "§3" {
		t.Errorf("parent of §3.1 = %q, want §3", s.Parent)
	}
}

func TestLoadDefaultsDeadline(t *testing.T) {
	doc := strings.Replace(validPlan, "    deadline: 2020-12-31\n", "", 1)
	doc = strings.Replace(doc, "2015-12-31, text_zh", "2016-06-30, text_zh", 1)
	p, err := loadString(doc)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := p.Task("T3.1.1")
	if task.Deadline != DefaultDeadline {
		t.Errorf("deadline = %q, want %q", task.Deadline, DefaultDeadline)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in validPlan ("" old: new is the whole file)
		field    string // Field of the expected error
		at       string // the expected error's line is the first line containing this ("" = no check)
		contains string // the expected error's English text contains this
	}{
		{"unknown lead", "lead: 41D-GXT", "lead: 41D-XXX", "tasks[0].lead", "lead: 41D-XXX", "41D-XXX"},
		{"unknown participant", "[41D-FGW]", "[41D-NOPE]", "tasks[0].participants[0]", "41D-NOPE", "41D-NOPE"},
		{"participant is lead", "[41D-FGW]", "[41D-GXT]", "tasks[0].participants[0]", "participants:", "twice"},
		{"duplicate task id", "tasks:\n", "tasks:\n" + secondTask, "tasks[1].id", "", "duplicate task id"},
		{"unknown task section", "id: T3.1.1\n    section: §3.1", "id: T3.9.1\n    section: §3.9", "tasks[0].section", "section: §3.9", "does not exist"},
		{"task id not in its section", "id: T3.1.1", "id: T3.2.1", "tasks[0].section", "", "belongs to section §3.2"},
		{"task on a top-level section", "id: T3.1.1\n    section: §3.1", "id: T3.1.1\n    section: §3", "tasks[0].section", "", "sub-section"},
		{"malformed task id", "id: T3.1.1", "id: task-1", "tasks[0].id", "id: task-1", "malformed"},
		{"value with a Chinese unit", "value: 20,", "value: 20千,", "targets[0].values[0].value", "20千", "does not parse"},
		{"value NaN", "value: 20,", "value: NaN,", "targets[0].values[0].value", "NaN", "does not parse"},
		{"value hex", "value: 20,", "value: 0x14,", "targets[0].values[0].value", "0x14", "does not parse"},
		{"percent over 100", "unit: Mb/s", "unit: \"%\"", "targets[0].values[0].value", "value: 120", "out of range"},
		{"bad comparison", `comparison: ">="`, `comparison: "≥"`, "targets[0].values[0].comparison", "≥", "comparison"},
		{"unknown unit", "unit: Mb/s", "unit: Gb/s", "targets[0].unit", "Gb/s", "unknown unit"},
		{"unknown kind", "kind: quantitative", "kind: fuzzy", "targets[0].kind", "fuzzy", "kind"},
		{"bad direction", "direction: higher\n    section: §2.3\n    indicator: BB", "direction: up\n    section: §2.3\n    indicator: BB", "targets[0].direction", "direction: up", "direction"},
		{"qualitative without measure", "    measure_en: FTTH coverage\n", "", "targets[1].measure_en", "", "required"},
		{"qualitative with value", "display: 基本实现", "value: 1, display: 基本实现", "targets[1].values[0].value", "", "qualitative"},
		{"duplicate target code", "code: FTTH", "code: BB", "targets[1].code", "", "duplicate target code"},
		{"target year after horizon", "year: 2015, value", "year: 2025, value", "targets[0].values[0].year", "2025", "outside"},
		{"target without values", "    values:\n      - {year: 2015, display: 基本实现, quote: 基本实现光纤到户}\n", "    values: []\n", "targets[1].values", "values: []", "at least one"},
		{"target unknown section", "section: §2.3\n    indicator: BB", "section: §9.9\n    indicator: BB", "targets[0].section", "§9.9", "does not exist"},
		{"bad indicator code", "indicator: FTTH_RATE", "indicator: ftth rate", "targets[1].indicator", "ftth rate", "indicator"},
		{"goal unknown target", "targets: [BB]}\ntargets:", "targets: [BB, NOPE]}\ntargets:", "goals[0].targets[1]", "NOPE", "NOPE"},
		{"goal year outside plan", "year: 2015, text_zh", "year: 2013, text_zh", "goals[0].year", "", "outside"},
		{"milestone unknown target", "Milestone, targets: [BB]", "Milestone, targets: [XX]", "tasks[0].milestones[0].targets[0]", "XX", "XX"},
		{"milestone after deadline", "deadline: 2020-12-31", "deadline: 2015-06-30", "tasks[0].milestones[0].date", "", "after the task deadline"},
		{"malformed deadline", "deadline: 2020-12-31", "deadline: 2020/12/31", "tasks[0].deadline", "2020/12/31", "malformed"},
		{"deadline after horizon", "deadline: 2020-12-31", "deadline: 2021-12-31", "tasks[0].deadline", "2021-12-31", "outside"},
		{"deadline before issue", "deadline: 2020-12-31", "deadline: 2013-01-01", "tasks[0].deadline", "2013-01-01", "outside"},
		{"missing quote", "quote: 原文", `quote: ""`, "tasks[0].quote", `quote: ""`, "required"},
		{"missing title", "    title_en: Task\n", "", "tasks[0].title_en", "", "required"},
		{"malformed section ref", "ref: §3.1,", "ref: 3.1,", "sections[3].ref", "ref: 3.1", "malformed"},
		{"duplicate section", "ref: §3.1,", "ref: §3,", "sections[3].ref", "", "duplicate section"},
		{"missing parent section", "  - {ref: §3, title_zh: 基础设施, title_en: Infrastructure}\n", "", "sections[2].ref", "", "parent section §3"},
		{"unknown field", "    lead: 41D-GXT\n", "    lead: 41D-GXT\n    leader: 41D-GXT\n", "leader", "leader:", "unknown field"},
		{"wrong type", "participants: [41D-FGW]", "participants: {a: b}", "", "participants:", "cannot unmarshal"},
		{"year as text", "year: 2015, value", "year: twenty, value", "", "twenty", "cannot unmarshal"},
		{"syntax error", "title_zh: 任务\n", "title_zh: [任务\n", "", "", "syntax"},
		{"two documents", "horizon: 2020\n", "horizon: 2020\n---\ncode: x\n", "", "", "exactly one YAML document"},
		{"empty file", "", " \n", "", "", "empty"},
		{"top level is a list", "", "- a\n- b\n", "", "", "mapping"},
		{"bad issue date", "issued: 2013-12-20", "issued: 2013年12月20日", "issued", "issued:", "malformed"},
		{"bad plan code", "code: test-plan", "code: Test Plan", "code", "code:", "malformed"},
		{"horizon before issue", "horizon: 2020", "horizon: 2012", "horizon", "horizon:", "horizon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := tt.new
			if tt.old != "" {
				if !strings.Contains(validPlan, tt.old) {
					t.Fatalf("test case does not apply: %q not in the valid plan", tt.old)
				}
				doc = strings.Replace(validPlan, tt.old, tt.new, 1)
			}
			if tt.name == "percent over 100" {
				doc = strings.Replace(doc, "value: 20,", "value: 120,", 1)
			}
			_, err := loadString(doc)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var errs i18n.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not i18n.Errors", err)
			}
			var got *i18n.Error
			for _, e := range errs {
				if e.Field == tt.field && strings.Contains(e.En, tt.contains) {
					got = e
					break
				}
			}
			if got == nil {
				t.Fatalf("no error on field %q containing %q; got:\n%v", tt.field, tt.contains, err)
			}
			if got.Zh == "" || got.En == "" || got.Zh == got.En {
				t.Errorf("error needs distinct Chinese and English texts: %+v", got)
			}
			file, line := where(got)
			if file != "plan.yaml" && tt.name != "empty file" {
				t.Errorf("file = %q, want plan.yaml", file)
			}
			if tt.at != "" {
				want := 1 + strings.Count(doc[:strings.Index(doc, tt.at)], "\n")
				if line != want {
					t.Errorf("line = %d, want %d (%v)", line, want, got)
				}
			}
			if msg := got.Error(); !strings.Contains(msg, got.Zh) || !strings.Contains(msg, got.En) || !strings.Contains(msg, "plan.yaml") {
				t.Errorf("Error() = %q lacks file or a language", msg)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	doc := strings.Replace(validPlan, "lead: 41D-GXT", "lead: 41D-XXX", 1)
	doc = strings.Replace(doc, "unit: Mb/s", "unit: Gb/s", 1)
	_, err := loadString(doc)
	var errs i18n.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	var one *i18n.Error
	if !errors.As(err, &one) {
		t.Error("errors.As cannot reach a single *i18n.Error")
	}
}

func TestLoadNoFiles(t *testing.T) {
	_, err := Load(fstest.MapFS{"readme.txt": {Data: []byte("x")}})
	var errs i18n.Errors
	if !errors.As(err, &errs) || !strings.Contains(errs[0].En, "no plan file") {
		t.Fatalf("err = %v", err)
	}
}

// A plan may be split over several files; they are merged in name order and
// checked together.
func TestLoadMergesFiles(t *testing.T) {
	head, tasks, _ := strings.Cut(validPlan, "tasks:\n")
	fsys := fstest.MapFS{
		"a.yaml": {Data: []byte(head)},
		"b.yaml": {Data: []byte("code: test-plan\ntasks:\n" + tasks)},
	}
	p, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tasks(TaskFilter{})) != 1 || len(p.Targets()) != 2 {
		t.Fatalf("merged plan has %d tasks, %d targets", len(p.Tasks(TaskFilter{})), len(p.Targets()))
	}

	fsys["b.yaml"] = &fstest.MapFile{Data: []byte("code: other\ntasks:\n" + strings.Replace(tasks, "41D-GXT", "41D-BAD", 1))}
	_, err = Load(fsys)
	var errs i18n.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	var conflict, lead bool
	for _, e := range errs {
		file, line := where(e)
		conflict = conflict || (file == "b.yaml" && e.Field == "code" && line == 1)
		lead = lead || (file == "b.yaml" && e.Field == "tasks[0].lead" && line > 1)
	}
	if !conflict || !lead {
		t.Errorf("want a code conflict and a bad lead reported in b.yaml, got:\n%v", err)
	}
}

// where reads the file and line of a problem from its Place
// ("FILE:LINE:COL FIELD").
func where(e *i18n.Error) (file string, line int) {
	pos, _, _ := strings.Cut(e.Place, " ")
	parts := strings.Split(pos, ":")
	if len(parts) > 1 {
		line, _ = strconv.Atoi(parts[1])
	}
	return parts[0], line
}

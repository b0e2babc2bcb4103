package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"zhihui/internal/i18n"
)

var (
	sectionRef     = regexp.MustCompile(`^§([1-9][0-9]?)(?:\.([1-9][0-9]?))?$`)
	taskID         = regexp.MustCompile(`^T([1-9][0-9]?)\.([1-9][0-9]?)\.([1-9][0-9]?)$`)
	goalID         = regexp.MustCompile(`^G[0-9A-Za-z._-]+$`)
	codePattern    = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)
	departmentCode = regexp.MustCompile(`^41D-[A-Z]{2,8}$`)
	planCode       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	yamlLine       = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// units lists the units a quantitative target may use. Money is in 亿元
// (10^8 yuan): a source "3万亿元" is stored as 30000 with display "3万亿元".
var units = map[string]string{
	"Mb/s": "兆比特/秒",
	"%":    "百分比",
	"个":    "个数",
	"亿元":   "亿元",
	"位":    "名次",
}

var comparisons = map[string]bool{">=": true, ">": true, "=": true, "<=": true, "<": true}

// Load reads every *.yaml file at the root of fsys, in name order, as parts
// of one plan, and checks it strictly: unknown fields, duplicate ids and
// codes, unknown department codes, section references that the plan's
// section list does not declare, values that do not parse, dates outside
// the plan's span. Every problem found is returned together as [i18n.Errors],
// each naming its file, line and field in Chinese and English.
func Load(fsys fs.FS) (*Plan, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("plan: list plan files: %w", err)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return nil, i18n.Errors{i18n.Errorf("没有找到计划文件（*.yaml）", "no plan file (*.yaml) found")}
	}
	l := &loader{pos: map[string]map[string]position{}}
	ok := true
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("plan: read %s: %w", name, err)
		}
		ok = l.parse(name, data) && ok
	}
	if !ok {
		// Without a well-formed document there is nothing to check.
		return nil, l.errs
	}
	l.validate()
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	d := &l.p
	p := &l.plan
	p.Code, p.TitleZh, p.TitleEn = d.Code, d.TitleZh, d.TitleEn
	p.IssuerZh, p.IssuerEn, p.Issued, p.Horizon = d.IssuerZh, d.IssuerEn, d.Issued, d.Horizon
	p.sections, p.goals, p.targets, p.tasks = d.Sections, d.Goals, d.Targets, d.Tasks
	return p, nil
}

type position struct{ line, col int }

// origin says where an item of the merged plan was written.
type origin struct {
	file string
	path string // in its file: "tasks[3]"
}

type loader struct {
	p      document
	plan   Plan
	pos    map[string]map[string]position // file -> field path -> position
	header map[string]origin              // header field -> where it was set
	secs   []origin
	goals  []origin
	tgts   []origin
	tasks  []origin
	files  []string
	errs   i18n.Errors
}

// fail records a problem at o's field (a path relative to o, may be empty).
func (l *loader) fail(o origin, field, zh, en string) {
	path := o.path
	if field != "" {
		if path != "" {
			path += "."
		}
		path += field
	}
	pos, _ := l.lookup(o.file, path)
	l.errs = append(l.errs, problem(o.file, pos.line, pos.col, path, zh, en))
}

// lookup finds the position of path, or of its nearest ancestor present in
// the file (a missing field is reported at its item).
func (l *loader) lookup(file, path string) (position, bool) {
	m := l.pos[file]
	for {
		if p, ok := m[path]; ok {
			return p, true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			p, ok := m[""]
			return p, ok
		}
		path = path[:i]
	}
}

// parse decodes one file and adds its items to the plan. It reports false
// if the file is not a well-formed plan document.
func (l *loader) parse(name string, data []byte) bool {
	l.files = append(l.files, name)
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			l.errs = append(l.errs, problem(name, 0, 0, "", "文件为空", "file is empty"))
			return false
		}
		l.yamlError(name, "YAML 语法错误", "YAML syntax error", err)
		return false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		l.errs = append(l.errs, problem(name, extra.Line, 0, "",
			"一个文件只能包含一个 YAML 文档", "a file must hold exactly one YAML document"))
		return false
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		l.errs = append(l.errs, problem(name, root.Line, 0, "",
			"文件顶层必须是映射（键: 值）", "the top level must be a mapping (key: value)"))
		return false
	}

	var doc document
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&doc); err != nil {
		l.yamlError(name, "字段未知或类型错误", "unknown field or wrong type", err)
		return false
	}

	pos := map[string]position{}
	walk(root.Content[0], "", pos)
	l.pos[name] = pos

	l.mergeHeader(name, &doc)
	appendAll(&l.p.Sections, &l.secs, doc.Sections, name, "sections")
	appendAll(&l.p.Goals, &l.goals, doc.Goals, name, "goals")
	appendAll(&l.p.Targets, &l.tgts, doc.Targets, name, "targets")
	appendAll(&l.p.Tasks, &l.tasks, doc.Tasks, name, "tasks")
	return true
}

func appendAll[T any](dst *[]T, orgs *[]origin, src []T, file, key string) {
	for i, v := range src {
		*dst = append(*dst, v)
		*orgs = append(*orgs, origin{file: file, path: fmt.Sprintf("%s[%d]", key, i)})
	}
}

// yamlError turns a yaml.v3 error into one problem per reported line.
func (l *loader) yamlError(name, zh, en string, err error) {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, msg := range msgs {
		line, field, ezh, een := 0, "", zh, en
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		if f, ok := strings.CutPrefix(msg, "field "); ok {
			if f, _, ok := strings.Cut(f, " not found in type"); ok {
				field = f
				ezh, een = "未知字段", "unknown field"
			}
		}
		l.errs = append(l.errs, problem(name, line, 0, field, ezh+"："+msg, een+": "+msg))
	}
}

// walk records the position of every field path under n: a mapping key's
// position for "a.b", a sequence item's for "a[2]". Aliases are not
// followed.
func walk(n *yaml.Node, path string, pos map[string]position) {
	if _, seen := pos[path]; !seen {
		pos[path] = position{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + p
			}
			pos[p] = position{k.Line, k.Column}
			walk(n.Content[i+1], p, pos)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walk(c, fmt.Sprintf("%s[%d]", path, i), pos)
		}
	}
}

func (l *loader) mergeHeader(file string, doc *document) {
	if l.header == nil {
		l.header = map[string]origin{}
	}
	set := func(key string, dst *string, v string) {
		if v == "" {
			return
		}
		if *dst != "" && *dst != v {
			l.fail(origin{file: file}, key,
				fmt.Sprintf("与 %s 中的值 %q 冲突", l.header[key].file, *dst),
				fmt.Sprintf("conflicts with %q in %s", *dst, l.header[key].file))
			return
		}
		*dst = v
		l.header[key] = origin{file: file}
	}
	set("code", &l.p.Code, doc.Code)
	set("title_zh", &l.p.TitleZh, doc.TitleZh)
	set("title_en", &l.p.TitleEn, doc.TitleEn)
	set("issuer_zh", &l.p.IssuerZh, doc.IssuerZh)
	set("issuer_en", &l.p.IssuerEn, doc.IssuerEn)
	set("issued", &l.p.Issued, doc.Issued)
	if doc.Horizon != 0 {
		h := strconv.Itoa(doc.Horizon)
		cur := ""
		if l.p.Horizon != 0 {
			cur = strconv.Itoa(l.p.Horizon)
		}
		set("horizon", &cur, h)
		l.p.Horizon, _ = strconv.Atoi(cur)
	}
}

// headerOrigin is where a header field was set, or the first file.
func (l *loader) headerOrigin(key string) origin {
	if o, ok := l.header[key]; ok {
		return o
	}
	if len(l.files) > 0 {
		return origin{file: l.files[0]}
	}
	return origin{}
}

func (l *loader) hasTask(id string) bool {
	_, ok := l.plan.taskIdx[id]
	return ok
}

func (l *loader) required(o origin, field, v string) bool {
	if strings.TrimSpace(v) == "" {
		l.fail(o, field, "必填项为空", "is required")
		return false
	}
	return true
}

func (l *loader) validate() {
	p := &l.p
	issued := l.validateHeader()
	first, last := issued.Year()+1, p.Horizon
	end, _ := time.Parse(DateLayout, fmt.Sprintf("%04d-12-31", p.Horizon))

	l.plan.sectionIdx = map[string]int{}
	for i := range p.Sections {
		s, o := &p.Sections[i], l.secs[i]
		m := sectionRef.FindStringSubmatch(s.Ref)
		if m == nil {
			l.fail(o, "ref", fmt.Sprintf("章节编号 %q 格式错误，应如 “§3” 或 “§3.2”", s.Ref),
				fmt.Sprintf("section ref %q is malformed, want “§3” or “§3.2”", s.Ref))
			continue
		}
		if _, dup := l.plan.sectionIdx[s.Ref]; dup {
			l.fail(o, "ref", fmt.Sprintf("章节 %s 重复", s.Ref), fmt.Sprintf("duplicate section %s", s.Ref))
			continue
		}
		l.required(o, "title_zh", s.TitleZh)
		l.required(o, "title_en", s.TitleEn)
		if m[2] != "" {
			s.Parent = "§" + m[1]
		}
		l.plan.sectionIdx[s.Ref] = i
	}
	for i, s := range p.Sections {
		if _, ok := l.plan.sectionIdx[s.Parent]; s.Parent != "" && !ok {
			l.fail(l.secs[i], "ref", fmt.Sprintf("上级章节 %s 未定义", s.Parent),
				fmt.Sprintf("parent section %s is not declared", s.Parent))
		}
	}
	if len(p.Sections) == 0 {
		l.fail(l.headerOrigin("code"), "sections", "至少需要一个章节", "at least one section is required")
	}

	// Targets come before goals and tasks, which refer to them.
	l.plan.targetIdx = map[string]int{}
	for i := range p.Targets {
		l.validateTarget(i, first, last)
	}
	goalIDs := map[string]bool{}
	for i := range p.Goals {
		g, o := &p.Goals[i], l.goals[i]
		if !goalID.MatchString(g.ID) {
			l.fail(o, "id", fmt.Sprintf("目标编号 %q 格式错误，应如 “G2.3-2015”", g.ID),
				fmt.Sprintf("goal id %q is malformed, want e.g. “G2.3-2015”", g.ID))
		} else if goalIDs[g.ID] {
			l.fail(o, "id", fmt.Sprintf("目标编号 %s 重复", g.ID), fmt.Sprintf("duplicate goal id %s", g.ID))
		}
		goalIDs[g.ID] = true
		l.knownSection(o, "section", g.Section)
		if g.Year != 0 && (g.Year < first || g.Year > last) {
			l.fail(o, "year", fmt.Sprintf("年份 %d 不在 %d–%d 之间", g.Year, first, last),
				fmt.Sprintf("year %d is outside %d–%d", g.Year, first, last))
		}
		l.required(o, "text_zh", g.TextZh)
		l.required(o, "text_en", g.TextEn)
		l.knownTargets(o, "targets", g.Targets)
	}
	l.plan.taskIdx = map[string]int{}
	for i := range p.Tasks {
		l.validateTask(i, issued, end)
	}
}

func (l *loader) validateHeader() time.Time {
	p := &l.p
	if !planCode.MatchString(p.Code) {
		l.fail(l.headerOrigin("code"), "code", fmt.Sprintf("计划代码 %q 格式错误（小写字母、数字和连字符）", p.Code),
			fmt.Sprintf("plan code %q is malformed (lower-case letters, digits and hyphens)", p.Code))
	}
	l.required(l.headerOrigin("title_zh"), "title_zh", p.TitleZh)
	l.required(l.headerOrigin("title_en"), "title_en", p.TitleEn)
	issued, err := time.Parse(DateLayout, p.Issued)
	if err != nil {
		l.fail(l.headerOrigin("issued"), "issued", fmt.Sprintf("日期 %q 格式错误，应为 YYYY-MM-DD", p.Issued),
			fmt.Sprintf("date %q is malformed, want YYYY-MM-DD", p.Issued))
		issued = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if p.Horizon <= issued.Year() || p.Horizon > issued.Year()+30 {
		l.fail(l.headerOrigin("horizon"), "horizon",
			fmt.Sprintf("规划期末年份 %d 须在发布年份 %d 之后 30 年内", p.Horizon, issued.Year()),
			fmt.Sprintf("horizon %d must be within 30 years after the issue year %d", p.Horizon, issued.Year()))
		p.Horizon = issued.Year() + 1
	}
	return issued
}

func (l *loader) knownSection(o origin, field, ref string) bool {
	if _, ok := l.plan.sectionIdx[ref]; !ok {
		l.fail(o, field, fmt.Sprintf("章节 %q 不存在", ref), fmt.Sprintf("section %q does not exist", ref))
		return false
	}
	return true
}

func (l *loader) knownTargets(o origin, field string, codes []string) {
	for j, c := range codes {
		if _, ok := l.plan.targetIdx[c]; !ok {
			l.fail(o, fmt.Sprintf("%s[%d]", field, j), fmt.Sprintf("指标目标 %q 不存在", c),
				fmt.Sprintf("target %q does not exist", c))
		}
	}
}

func (l *loader) validateTarget(i, first, last int) {
	t, o := &l.p.Targets[i], l.tgts[i]
	if !codePattern.MatchString(t.Code) {
		l.fail(o, "code", fmt.Sprintf("目标代码 %q 格式错误（大写字母、数字和下划线）", t.Code),
			fmt.Sprintf("target code %q is malformed (upper-case letters, digits and underscores)", t.Code))
	} else if _, dup := l.plan.targetIdx[t.Code]; dup {
		l.fail(o, "code", fmt.Sprintf("目标代码 %s 重复", t.Code), fmt.Sprintf("duplicate target code %s", t.Code))
	} else {
		l.plan.targetIdx[t.Code] = i
	}
	l.required(o, "name_zh", t.NameZh)
	l.required(o, "name_en", t.NameEn)
	l.knownSection(o, "section", t.Section)
	if !codePattern.MatchString(t.Indicator) {
		l.fail(o, "indicator", fmt.Sprintf("监测指标代码 %q 格式错误", t.Indicator),
			fmt.Sprintf("indicator code %q is malformed", t.Indicator))
	}
	if t.Direction != Higher && t.Direction != Lower {
		l.fail(o, "direction", fmt.Sprintf("方向 %q 无效，应为 higher 或 lower", t.Direction),
			fmt.Sprintf("direction %q is invalid, want higher or lower", t.Direction))
	}
	switch t.Kind {
	case Quantitative:
		if _, ok := units[t.Unit]; !ok {
			l.fail(o, "unit", fmt.Sprintf("单位 %q 未知", t.Unit), fmt.Sprintf("unknown unit %q", t.Unit))
		}
	case Qualitative:
		l.required(o, "measure_zh", t.MeasureZh)
		l.required(o, "measure_en", t.MeasureEn)
	default:
		l.fail(o, "kind", fmt.Sprintf("类型 %q 无效，应为 quantitative 或 qualitative", t.Kind),
			fmt.Sprintf("kind %q is invalid, want quantitative or qualitative", t.Kind))
	}
	if len(t.Values) == 0 {
		l.fail(o, "values", "至少需要一个年度目标值", "at least one yearly value is required")
	}
	years := map[int]bool{}
	for j := range t.Values {
		v := &t.Values[j]
		f := fmt.Sprintf("values[%d]", j)
		if v.Year < first || v.Year > last {
			l.fail(o, f+".year", fmt.Sprintf("年份 %d 不在 %d–%d 之间", v.Year, first, last),
				fmt.Sprintf("year %d is outside %d–%d", v.Year, first, last))
		} else if years[v.Year] {
			l.fail(o, f+".year", fmt.Sprintf("年份 %d 重复", v.Year), fmt.Sprintf("duplicate year %d", v.Year))
		}
		years[v.Year] = true
		l.required(o, f+".display", v.Display)
		l.required(o, f+".quote", v.Quote)
		if t.Kind == Qualitative {
			if v.ValueText != "" || v.Comparison != "" {
				l.fail(o, f+".value", "定性目标不能有数值或比较方式", "a qualitative target takes no value or comparison")
			}
			continue
		}
		if !comparisons[v.Comparison] {
			l.fail(o, f+".comparison", fmt.Sprintf("比较方式 %q 无效，应为 >=、>、=、<= 或 <", v.Comparison),
				fmt.Sprintf("comparison %q is invalid, want >=, >, =, <= or <", v.Comparison))
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v.ValueText), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || strings.ContainsAny(v.ValueText, "xXpP_") {
			l.fail(o, f+".value", fmt.Sprintf("数值 %q 无法解析（写阿拉伯数字，如 8000）", v.ValueText),
				fmt.Sprintf("value %q does not parse (write digits, e.g. 8000)", v.ValueText))
			continue
		}
		if x < 0 || (t.Unit == "%" && x > 100) {
			l.fail(o, f+".value", fmt.Sprintf("数值 %v 超出单位 %s 的范围", x, t.Unit),
				fmt.Sprintf("value %v is out of range for unit %s", x, t.Unit))
			continue
		}
		v.Value = &x
	}
}

func (l *loader) validateTask(i int, issued, end time.Time) {
	p := &l.p
	t, o := &p.Tasks[i], l.tasks[i]
	m := taskID.FindStringSubmatch(t.ID)
	switch {
	case m == nil:
		l.fail(o, "id", fmt.Sprintf("任务编号 %q 格式错误，应如 “T3.2.1”", t.ID),
			fmt.Sprintf("task id %q is malformed, want e.g. “T3.2.1”", t.ID))
	case l.hasTask(t.ID):
		l.fail(o, "id", fmt.Sprintf("任务编号 %s 重复", t.ID), fmt.Sprintf("duplicate task id %s", t.ID))
	default:
		l.plan.taskIdx[t.ID] = i
		if want := "§" + m[1] + "." + m[2]; t.Section != want {
			l.fail(o, "section", fmt.Sprintf("任务 %s 应属于章节 %s，而不是 %q", t.ID, want, t.Section),
				fmt.Sprintf("task %s belongs to section %s, not %q", t.ID, want, t.Section))
		}
	}
	if l.knownSection(o, "section", t.Section) && p.Sections[l.plan.sectionIdx[t.Section]].Parent == "" {
		l.fail(o, "section", fmt.Sprintf("任务须引用分节（如 “§3.2”），而不是 %s", t.Section),
			fmt.Sprintf("a task must refer to a sub-section (e.g. “§3.2”), not %s", t.Section))
	}
	l.required(o, "title_zh", t.TitleZh)
	l.required(o, "title_en", t.TitleEn)
	l.required(o, "quote", t.Quote)
	if _, ok := LookupDepartment(t.Lead); !ok {
		l.fail(o, "lead", fmt.Sprintf("牵头部门代码 %q 未知", t.Lead), fmt.Sprintf("unknown lead department code %q", t.Lead))
	}
	seen := map[string]bool{t.Lead: true}
	for j, d := range t.Participants {
		f := fmt.Sprintf("participants[%d]", j)
		if _, ok := LookupDepartment(d); !ok {
			l.fail(o, f, fmt.Sprintf("参与部门代码 %q 未知", d), fmt.Sprintf("unknown participating department code %q", d))
		} else if seen[d] {
			l.fail(o, f, fmt.Sprintf("部门 %s 重复（或已是牵头部门）", d),
				fmt.Sprintf("department %s is listed twice (or is the lead)", d))
		}
		seen[d] = true
	}
	if t.Participants == nil {
		t.Participants = []string{}
	}
	if t.Deadline == "" {
		t.Deadline = DefaultDeadline
	}
	deadline, ok := l.date(o, "deadline", t.Deadline, issued, end)
	for j, ms := range t.Milestones {
		f := fmt.Sprintf("milestones[%d]", j)
		if d, ok2 := l.date(o, f+".date", ms.Date, issued, end); ok2 && ok && d.After(deadline) {
			l.fail(o, f+".date", fmt.Sprintf("里程碑日期 %s 晚于任务期限 %s", ms.Date, t.Deadline),
				fmt.Sprintf("milestone date %s is after the task deadline %s", ms.Date, t.Deadline))
		}
		l.required(o, f+".text_zh", ms.TextZh)
		l.required(o, f+".text_en", ms.TextEn)
		l.knownTargets(o, f+".targets", ms.Targets)
	}
	l.knownTargets(o, "targets", t.Targets)
}

// date parses a plan date and checks it lies between the issue date and the
// end of the horizon.
func (l *loader) date(o origin, field, s string, from, to time.Time) (time.Time, bool) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		l.fail(o, field, fmt.Sprintf("日期 %q 格式错误，应为 YYYY-MM-DD", s),
			fmt.Sprintf("date %q is malformed, want YYYY-MM-DD", s))
		return d, false
	}
	if d.Before(from) || d.After(to) {
		l.fail(o, field, fmt.Sprintf("日期 %s 不在 %s 至 %s 之间", s, from.Format(DateLayout), to.Format(DateLayout)),
			fmt.Sprintf("date %s is outside %s to %s", s, from.Format(DateLayout), to.Format(DateLayout)))
		return d, false
	}
	return d, true
}

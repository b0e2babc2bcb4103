package plan

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The source text of the plan is kept in testdata exactly as published, so
// these tests check the YAML against the text rather than against lists
// written by hand.

const seedFile = "testdata/henan-informatization-opinion-2013.txt"

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// heading is a numbered heading of the source text and the span of text it
// governs (up to the next heading of the same or a higher level).
type heading struct {
	ref, title string
	start, end int
}

var (
	topHeading = regexp.MustCompile(`^([一二三四五六七八九十]+)、(\S+)$`)
	subHeading = regexp.MustCompile(`^（([一二三四五六七八九十]+)）([^。]+)。`)
)

func chineseNumber(s string) int {
	digits := map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	n := 0
	for _, r := range s {
		if r == '十' {
			if n == 0 {
				n = 1
			}
			n *= 10
			continue
		}
		n = n/10*10 + digits[r]
	}
	return n
}

// outline finds the headings 一、… and （一）… of the text in document order.
func outline(text string) []heading {
	var hs []heading
	top, offset := 0, 0
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if m := topHeading.FindStringSubmatch(trimmed); m != nil {
			top = chineseNumber(m[1])
			hs = append(hs, heading{ref: "§" + strconv.Itoa(top), title: m[2], start: offset})
		} else if m := subHeading.FindStringSubmatch(trimmed); m != nil && top > 0 {
			hs = append(hs, heading{ref: "§" + strconv.Itoa(top) + "." + strconv.Itoa(chineseNumber(m[1])), title: m[2], start: offset})
		}
		offset += len(line)
	}
	for i := range hs {
		hs[i].end = len(text)
		isTop := !strings.Contains(hs[i].ref, ".")
		for _, next := range hs[i+1:] {
			if !isTop || !strings.Contains(next.ref, ".") {
				hs[i].end = next.start
				break
			}
		}
	}
	return hs
}

func TestSectionsMatchSeed(t *testing.T) {
	hs := outline(readTestdata(t, seedFile))
	secs := Default().Sections()
	if len(hs) < 30 {
		t.Fatalf("found only %d headings in the source text", len(hs))
	}
	if len(secs) != len(hs) {
		t.Errorf("plan has %d sections, source text has %d headings", len(secs), len(hs))
	}
	for i := 0; i < len(hs) && i < len(secs); i++ {
		if secs[i].Ref != hs[i].ref || secs[i].TitleZh != hs[i].title {
			t.Errorf("section %d: plan has %s %s, source text has %s %s",
				i, secs[i].Ref, secs[i].TitleZh, hs[i].ref, hs[i].title)
		}
	}
}

func TestEverySubsectionOfTasksHasATask(t *testing.T) {
	p := Default()
	checked := 0
	for _, h := range outline(readTestdata(t, seedFile)) {
		n, _, isSub := strings.Cut(strings.TrimPrefix(h.ref, "§"), ".")
		if top, _ := strconv.Atoi(n); !isSub || top < 3 || top > 8 {
			continue
		}
		checked++
		if len(p.Tasks(TaskFilter{Section: h.ref})) == 0 {
			t.Errorf("%s %s has no task", h.ref, h.title)
		}
	}
	if checked < 20 {
		t.Fatalf("found only %d sub-sections in §3–§8", checked)
	}
}

// Every quote must be the source's own words, inside the section it cites.
func TestQuotesComeFromTheirSection(t *testing.T) {
	text := readTestdata(t, seedFile)
	spans := map[string]string{}
	for _, h := range outline(text) {
		spans[h.ref] = text[h.start:h.end]
	}
	check := func(what, section, quote string) {
		t.Helper()
		span, ok := spans[section]
		if !ok {
			t.Errorf("%s: section %s is not in the source text", what, section)
			return
		}
		if !strings.Contains(span, quote) {
			t.Errorf("%s: quote is not in %s of the source text: %q", what, section, quote)
		}
	}
	p := Default()
	for _, task := range p.Tasks(TaskFilter{}) {
		check(task.ID, task.Section, task.Quote)
	}
	for _, tg := range p.Targets() {
		for _, v := range tg.Values {
			check(tg.Code+"/"+strconv.Itoa(v.Year), tg.Section, v.Quote)
		}
	}
	for _, g := range p.Goals() {
		check(g.ID, g.Section, g.TextZh)
	}
}

func TestSection23IsCopiedFromSeed(t *testing.T) {
	text := readTestdata(t, seedFile)
	part := strings.TrimSpace(readTestdata(t, "testdata/section-2-3.txt"))
	for _, h := range outline(text) {
		if h.ref == "§2.3" {
			if got := strings.TrimSpace(text[h.start:h.end]); got != part {
				t.Fatalf("testdata/section-2-3.txt differs from §2.3 of the source text")
			}
			return
		}
	}
	t.Fatal("§2.3 not found in the source text")
}

// seedNumber is a number of §2.3 with the unit and target year it comes with.
type seedNumber struct {
	year  int
	value float64
	unit  string
	text  string
}

var (
	parenthetical = regexp.MustCompile(`（[^（）]*）|\([^()]*\)`)
	seedNum       = regexp.MustCompile(`(\d+(?:\.\d+)?)(万亿元|亿元|Mb/s|%|个|年)?`)
	yearOpening   = regexp.MustCompile(`到(\d{4})年`)
)

// numbersOf extracts every number of the text with its unit, converting
// money to 亿元, and the year of the paragraph ("到2015年…") it sits in.
// Years, numbers inside parentheses and numbers that are part of a name
// ("IPv6") are left out.
func numbersOf(t *testing.T, text string) []seedNumber {
	var out []seedNumber
	for _, para := range strings.Split(text, "\n") {
		para = parenthetical.ReplaceAllString(strings.TrimSpace(para), "")
		if para == "" {
			continue
		}
		year := 0
		if m := yearOpening.FindStringSubmatch(para); m != nil {
			year, _ = strconv.Atoi(m[1])
		}
		for _, m := range seedNum.FindAllStringSubmatchIndex(para, -1) {
			if prev := m[0] - 1; prev >= 0 && (para[prev] >= 'A' && para[prev] <= 'Z' || para[prev] >= 'a' && para[prev] <= 'z') {
				continue // part of a name such as IPv6
			}
			num, unit := para[m[2]:m[3]], ""
			if m[4] >= 0 {
				unit = para[m[4]:m[5]]
			}
			if unit == "年" {
				continue
			}
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				t.Fatalf("%q: %v", num, err)
			}
			switch unit {
			case "万亿元":
				v, unit = v*10000, "亿元"
			case "":
				t.Errorf("number %q in %q has no unit the test knows", num, para)
				continue
			}
			if year == 0 {
				t.Errorf("number %q is not in a paragraph that opens with a target year", num)
				continue
			}
			out = append(out, seedNumber{year: year, value: v, unit: unit, text: para[m[0]:m[1]]})
		}
	}
	return out
}

func TestSection23NumbersAreTargets(t *testing.T) {
	nums := numbersOf(t, readTestdata(t, "testdata/section-2-3.txt"))
	if len(nums) == 0 {
		t.Fatal("no numbers found in §2.3")
	}
	t.Logf("§2.3 has %d target numbers", len(nums))
	years := map[int]bool{}
	for _, n := range nums {
		years[n.year] = true
	}
	if len(years) < 2 {
		t.Errorf("numbers found for years %v only, want both target years", years)
	}
	p := Default()
	found := func(year int, value float64, unit string) bool {
		for _, n := range nums {
			if n.year == year && n.value == value && n.unit == unit {
				return true
			}
		}
		return false
	}
	for _, n := range nums {
		ok := false
		for _, tg := range p.Targets() {
			for _, v := range tg.Values {
				if tg.Unit == n.unit && v.Year == n.year && v.Value != nil && *v.Value == n.value {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("%d: %s (%v %s) is not a target value", n.year, n.text, n.value, n.unit)
		}
	}
	// And the other way round: a target value written with digits must be
	// one of the numbers of the text.
	digit := regexp.MustCompile(`\d`)
	for _, tg := range p.Targets() {
		for _, v := range tg.Values {
			if v.Value != nil && digit.MatchString(v.Display) && !found(v.Year, *v.Value, tg.Unit) {
				t.Errorf("%s %d: %v %s (%s) is not a number of §2.3", tg.Code, v.Year, *v.Value, tg.Unit, v.Display)
			}
		}
	}
}

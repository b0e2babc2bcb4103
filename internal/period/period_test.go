package period

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Period
	}{
		{"2015", Period{Year, 2015, 1}},
		{"2015S1", Period{HalfYear, 2015, 1}},
		{"2015S2", Period{HalfYear, 2015, 2}},
		{"2015Q3", Period{Quarter, 2015, 3}},
		{"201507", Period{Month, 2015, 7}},
		{"202012", Period{Month, 2020, 12}},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if got.ID() != c.in {
			t.Errorf("ID round trip %q -> %q", c.in, got.ID())
		}
	}
	for _, bad := range []string{"", "15", "2015Q5", "2015Q0", "201513", "201500", "2015S3", "2015q3", " 2015", "2015 ", "20151", "2015Q", "1800", "abcd", "2015W1", "+015", "2015-07", "２０１５"} {
		if p, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want error", bad, p)
		}
	}
}

func TestArithmetic(t *testing.T) {
	m := MustParse("201507")
	var anc []string
	for _, a := range m.Ancestors() {
		anc = append(anc, a.ID())
	}
	if got := join(anc); got != "2015Q3,2015S2,2015" {
		t.Errorf("ancestors %s", got)
	}
	if got := MustParse("201501").Add(-1).ID(); got != "201412" {
		t.Errorf("Add(-1) = %s", got)
	}
	if got := MustParse("2015Q4").Add(5).ID(); got != "2017Q1" {
		t.Errorf("Add(5) = %s", got)
	}
	var ch []string
	for _, c := range MustParse("2015S2").Children(Month) {
		ch = append(ch, c.ID())
	}
	if got := join(ch); got != "201507,201508,201509,201510,201511,201512" {
		t.Errorf("children %s", got)
	}
	if !MustParse("2015").Contains(MustParse("201511")) || MustParse("2015Q1").Contains(MustParse("201504")) {
		t.Error("Contains")
	}
	q := MustParse("2015Q3")
	if !q.Start().Equal(time.Date(2015, 7, 1, 0, 0, 0, 0, Shanghai)) || !q.End().Equal(time.Date(2015, 10, 1, 0, 0, 0, 0, Shanghai)) {
		t.Errorf("bounds %v %v", q.Start(), q.End())
	}
	// 2015-06-30 20:00 UTC is already July 1st in Henan.
	if got := Of(Month, time.Date(2015, 6, 30, 20, 0, 0, 0, time.UTC)).ID(); got != "201507" {
		t.Errorf("Of = %s", got)
	}
	if n := len(Range(MustParse("2013"), MustParse("2020"))); n != 8 {
		t.Errorf("Range len %d", n)
	}
	if got := MustParse("2015Q3").Label("zh-CN"); got != "2015年第3季度" {
		t.Errorf("label %s", got)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2015", "2015S1", "2015Q3", "201507", "2015Q5", "", "99999", "2015S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if !p.Valid() {
			t.Fatalf("Parse(%q) accepted invalid %+v", s, p)
		}
		if p.ID() != s {
			t.Fatalf("Parse(%q).ID() = %q", s, p.ID())
		}
		q, err := Parse(p.ID())
		if err != nil || q != p {
			t.Fatalf("round trip %q: %v %v", s, q, err)
		}
		for _, a := range p.Ancestors() {
			if !a.Contains(p) {
				t.Fatalf("%v does not contain %v", a, p)
			}
		}
		if n := p.Add(1).Add(-1); n != p {
			t.Fatalf("Add round trip %v -> %v", p, n)
		}
	})
}

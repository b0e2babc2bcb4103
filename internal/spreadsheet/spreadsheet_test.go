package spreadsheet

import "testing"

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"郑州市":                        "郑州市",
		`=HYPERLINK("http://x","y")`: `'=HYPERLINK("http://x","y")`,
		"@SUM(A1:A2)":                "'@SUM(A1:A2)",
		"+1+1":                       "'+1+1",
		"-1+1":                       "'-1+1",
		"\t=1":                       "'\t=1",
		"\r=1":                       "'\r=1",
		"-3.5":                       "-3.5",
		"+7":                         "+7",
		"1e5":                        "1e5",
		"a=b":                        "a=b",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	if v := Value(12.5); v != 12.5 {
		t.Errorf("Value(12.5) = %v", v)
	}
	if v := Value("=1"); v != "'=1" {
		t.Errorf("Value(=1) = %v", v)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"=1", "-2", "abc", "\t", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if out == "" {
			return
		}
		switch out[0] {
		case '=', '+', '-', '@', '\t', '\r':
			if out != s {
				t.Fatalf("%q became %q", s, out)
			}
		}
	})
}

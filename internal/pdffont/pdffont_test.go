package pdffont

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const sample = "河南省信息化"

func render(t *testing.T, orientation string) []byte {
	t.Helper()
	pdf := New(orientation)
	pdf.AddPage()
	pdf.Cell(0, 10, sample)
	pdf.Ln(12)
	pdf.MultiCell(0, 6, "智慧河南信息化推进平台 Zhihui 2013–2024", "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatalf("output: %v", err)
	}
	return buf.Bytes()
}

func TestEmbeddedFontIsTrueType(t *testing.T) {
	// A TrueType outline font starts with version 1.0 (0x00010000) or "true".
	if len(TTF) < 12 {
		t.Fatalf("embedded font is %d bytes", len(TTF))
	}
	if !bytes.HasPrefix(TTF, []byte{0, 1, 0, 0}) && !bytes.HasPrefix(TTF, []byte("true")) {
		t.Fatalf("embedded font has signature %x, want a TrueType font", TTF[:4])
	}
}

func TestNewRendersChinese(t *testing.T) {
	for _, orientation := range []string{"P", "L"} {
		t.Run(orientation, func(t *testing.T) {
			out := render(t, orientation)
			if !bytes.HasPrefix(out, []byte("%PDF-")) {
				t.Fatalf("output starts with %q, want %%PDF-", out[:min(len(out), 8)])
			}
			if !bytes.HasSuffix(bytes.TrimRight(out, "\r\n"), []byte("%%EOF")) {
				t.Fatal("output does not end with the PDF end-of-file marker")
			}
			// fpdf names a UTF-8 font "utf8" + family and embeds its subset
			// as a FontFile2 (TrueType) stream.
			for _, want := range []string{"/BaseFont /utf8" + Family, "/FontFile2", "/Encoding /Identity-H", "/ToUnicode"} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("output lacks %q", want)
				}
			}
			// The font is subset to the runes used, so the PDF must be far
			// smaller than the 4.6 MB face.
			if len(out) >= len(TTF)/4 {
				t.Errorf("PDF is %d bytes; the font does not seem to be subset (face is %d bytes)", len(out), len(TTF))
			}
		})
	}
}

func TestTextRoundTrip(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "sample.pdf")
	if err := os.WriteFile(in, render(t, "P"), 0o600); err != nil {
		t.Fatal(err)
	}
	txt, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	got := string(txt)
	for _, want := range []string{sample, "智慧河南信息化推进平台"} {
		if !strings.Contains(got, want) {
			t.Errorf("extracted text %q lacks %q", got, want)
		}
	}
}

func TestUnknownStyleFails(t *testing.T) {
	// Only the regular style exists; asking for bold must surface an error
	// rather than silently falling back to a font without CJK glyphs.
	pdf := New("P")
	pdf.AddPage()
	pdf.SetFont(Family, "B", 12)
	if pdf.Err() == false {
		t.Fatal("SetFont with bold style succeeded, want an undefined-font error")
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		pdf := New("P")
		if pdf.Err() {
			b.Fatal(pdf.Error())
		}
	}
}

// TestLinesLoseNothing: the enterprise report's note, broken to a narrow
// column, reads the same when its lines are joined — fpdf's MultiCell
// dropped the character at a break ("阶段划为" for "阶段划分为").
func TestLinesLoseNothing(t *testing.T) {
	note := "说明：本报告依据企业自评问卷生成，问卷结构参照 GB/T 23020-2013《工业企业信息化和工业化融合评估规范》，题目、权重与阶段划分为本平台的自评工具，不代表标准原文或官方评定结论。"
	pdf := New("P")
	pdf.AddPage()
	for _, width := range []float64{20, 37.5, 60, 95, 180} {
		lines := Lines(pdf, note, width)
		if len(lines) < 2 && width < 100 {
			t.Fatalf("width %g: %d lines", width, len(lines))
		}
		joined := strings.Join(lines, "")
		if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(note, " ", "") {
			t.Fatalf("width %g: lines lose text:\n%q\n%q", width, joined, note)
		}
		for i, l := range lines {
			if w := pdf.GetStringWidth(l); w > width+pdf.GetStringWidth("，。") {
				t.Errorf("width %g: line %d is %.1f wide: %q", width, i, w, l)
			}
			if i > 0 && l != "" && strings.ContainsRune("，。、；：）》", []rune(l)[0]) {
				t.Errorf("width %g: line %d starts with closing punctuation: %q", width, i, l)
			}
		}
	}
	// Latin words break at spaces, newlines are kept
	got := wrap("aaa bbb ccc", 7, func(s string) float64 { return float64(len([]rune(s))) })
	if strings.Join(got, "|") != "aaa bbb|ccc" {
		t.Fatalf("latin: %q", got)
	}
	if l := Lines(pdf, "甲\n乙", 100); len(l) != 2 {
		t.Fatalf("newline: %q", l)
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("阶段划分为本平台的自评工具，不代表标准原文。", 5)
	f.Add("a bb  ccc\tdddd", 2)
	f.Fuzz(func(t *testing.T, s string, width int) {
		if !utf8.ValidString(s) {
			return // text reaches the PDF as valid UTF-8
		}
		width = 1 + abs(width)%40
		lines := wrap(s, float64(width), func(x string) float64 { return float64(len([]rune(x))) })
		if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(s, " ", "") {
			t.Fatalf("%q at %d: %q", s, width, lines)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestMultiCellEndsAtTheLeftMargin checks that a value printed after a
// label cell (the reports' key–value rows) leaves the next row at the left
// margin, below the value, as fpdf's own MultiCell does: rows that started
// where the previous value started walked across the page one column at a
// time until their values wrapped a character per line.
func TestMultiCellEndsAtTheLeftMargin(t *testing.T) {
	pdf := New("P")
	pdf.AddPage()
	left, _, _, _ := pdf.GetMargins()
	for i, v := range []string{"中原区人民政府 http://www.zhongyuan.gov.cn/", "2026-12-08 02:06:21 — 2026-12-08 02:07:21（北京时间）", "已达到页面上限 10：另有 143 个已知页面未抓取"} {
		y := pdf.GetY()
		pdf.CellFormat(45, 5, "标签", "", 0, "L", false, 0, "")
		if x := pdf.GetX(); x != left+45 {
			t.Fatalf("row %d: the value starts at %.1f, want %.1f", i, x, left+45)
		}
		MultiCell(pdf, 0, 5, v)
		if x := pdf.GetX(); x != left {
			t.Fatalf("row %d: the next row starts at x=%.1f, want the left margin %.1f", i, x, left)
		}
		if got := pdf.GetY(); got != y+5 {
			t.Fatalf("row %d: one line of value moved y from %.1f to %.1f, want %.1f", i, y, got, y+5)
		}
	}
}

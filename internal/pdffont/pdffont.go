// Package pdffont embeds a CJK TrueType font so that PDF exports can print
// Chinese text without depending on fonts installed on the server.
//
// The font is WenQuanYi Micro Hei 0.2.0-beta (文泉驿微米黑), the first face of
// the upstream TrueType collection, licensed Apache-2.0 or GPL-3.0-or-later
// with the font embedding exception; see wqy-microhei.COPYRIGHT.
package pdffont

import (
	_ "embed"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"
)

// TTF holds the bytes of wqy-microhei.ttf. Treat it as read-only.
//
//go:embed wqy-microhei.ttf
var TTF []byte

// Family is the font family name under which Register adds the font.
const Family = "wqy"

// DefaultSize is the font size, in points, that New and Register select.
const DefaultSize = 10

// New returns an A4 document measured in millimetres, with the embedded
// font registered and selected. orientation is "P" (portrait) or "L"
// (landscape), as for fpdf.New; an empty string means portrait.
//
// Errors are reported the fpdf way: check pdf.Err() or the error returned
// by pdf.Output.
func New(orientation string) *fpdf.Fpdf {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	Register(pdf)
	return pdf
}

// Register adds the embedded font to pdf as family Family and selects it at
// DefaultSize. The face has no bold or italic variant, so only the regular
// style ("") is registered; callers wanting emphasis should change size or
// colour instead.
func Register(pdf *fpdf.Fpdf) {
	pdf.AddUTF8FontFromBytes(Family, "", TTF)
	pdf.SetFont(Family, "", DefaultSize)
}

// MultiCell prints text as a left-aligned block of lines h millimetres
// high and w wide (0: to the right margin), breaking lines itself: fpdf's
// own MultiCell loses a character where it breaks a line of Chinese text
// (no spaces), which turned 阶段划分为 into 阶段划为 in printed reports.
// Lines break at spaces in Latin text and between any two Chinese
// characters; closing punctuation (，。、；：！？）」』》) never starts a
// line; explicit newlines are kept.
func MultiCell(pdf *fpdf.Fpdf, w, h float64, text string) {
	left, _, right, _ := pdf.GetMargins()
	x := pdf.GetX()
	if w == 0 {
		pw, _ := pdf.GetPageSize()
		w = pw - right - x
	}
	for _, line := range Lines(pdf, text, w-2*pdf.GetCellMargin()) {
		pdf.SetX(x)
		pdf.CellFormat(w, h, line, "", 2, "L", false, 0, "")
	}
	// As fpdf's MultiCell: what follows starts at the left margin, so that
	// a label cell and its value (kv) do not push the next row rightwards.
	pdf.SetX(left)
}

// Lines splits text into the lines MultiCell prints in width millimetres
// with pdf's current font. Joined back (with the spaces a break consumed
// and the newlines), they are text: no character is lost.
func Lines(pdf *fpdf.Fpdf, text string, width float64) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		out = append(out, wrap(para, width, pdf.GetStringWidth)...)
	}
	return out
}

// wrap breaks one paragraph; measure gives a string's width.
func wrap(para string, width float64, measure func(string) float64) []string {
	rs := []rune(para)
	if len(rs) == 0 {
		return []string{""}
	}
	var out []string
	start := 0
	for start < len(rs) {
		end := start // rs[start:end] fits
		brk := -1    // best break: the line is rs[start:brk]
		for end < len(rs) {
			if measure(string(rs[start:end+1])) > width && end > start {
				break
			}
			end++
			if end < len(rs) && canBreak(rs[end-1], rs[end]) {
				brk = end
			}
		}
		if end == len(rs) {
			out = append(out, string(rs[start:]))
			break
		}
		// closing punctuation stays on the line it closes
		for end < len(rs) && closing(rs[end]) {
			end++
		}
		cut := end
		if brk > start && !closing(rs[end-1]) && !(end < len(rs) && canBreak(rs[end-1], rs[end])) {
			cut = brk
		}
		out = append(out, strings.TrimRight(string(rs[start:cut]), " "))
		start = cut
		for start < len(rs) && rs[start] == ' ' {
			start++
		}
	}
	return out
}

// canBreak reports whether a line may end between a and b.
func canBreak(a, b rune) bool {
	switch {
	case closing(b):
		return false
	case a == ' ' || b == ' ':
		return true
	case wide(a) || wide(b):
		return true
	}
	return false
}

// wide reports whether r is a Chinese character or full-width sign, after
// or before which a line may break.
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

func closing(r rune) bool {
	return strings.ContainsRune("，。、；：！？）」』》】〕,.;:!?)%", r)
}

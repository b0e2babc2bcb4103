// Package pdffont embeds a CJK TrueType font so that PDF exports can print
// Chinese text without depending on fonts installed on the server.
//
// The font is WenQuanYi Micro Hei 0.2.0-beta (文泉驿微米黑), the first face of
// the upstream TrueType collection, licensed Apache-2.0 or GPL-3.0-or-later
// with the font embedding exception; see wqy-microhei.COPYRIGHT.
package pdffont

import (
	_ "embed"

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

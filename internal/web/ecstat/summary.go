package ecstat

import (
	"math/big"
	"net/http"
	"net/url"
	"strconv"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/module"
	"zhihui/internal/web/kit"
)

// The register summary's check and repair: the summary the survey design
// reads (enterprises, revenue and its sum of squares per county ×
// section × size × threshold × years of birth and closing) against a
// recomputation from the register, for the office of the province —
// on the register page, through the API and as zhihui enterprises
// summary [--repair].

// summaryShown bounds the differing rows the page lists; the export has
// them all.
const summaryShown = 200

type summaryRow struct {
	dom.SummaryDiff
	SizeText                    string
	RevenueStored, RevenueAgain string // 万元
	SquaresDiffer               bool
}

type summaryView struct {
	Checked   bool
	Total     int
	Rows      []summaryRow
	ExportURL string
}

// wan shows hundredths of 万元 (a decimal string) in 万元 with two
// decimals.
func wan(hundredths string) string {
	r, ok := new(big.Rat).SetString(hundredths)
	if !ok {
		return hundredths
	}
	return r.Quo(r, big.NewRat(100, 1)).FloatString(2)
}

func summaryRowOf(r *http.Request, d dom.SummaryDiff) summaryRow {
	return summaryRow{SummaryDiff: d, SizeText: sizeName(r, d.Size), RevenueStored: wan(d.Stored[1]), RevenueAgain: wan(d.Recomputed[1]), SquaresDiffer: d.Stored[2] != d.Recomputed[2]}
}

func (h handlers) summaryCheck(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	diffs, err := dom.CheckRegisterSummary(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	v := summaryView{Checked: true, Total: len(diffs), ExportURL: "/ecstat/register/summary/export"}
	for i, d := range diffs {
		if i == summaryShown {
			break
		}
		v.Rows = append(v.Rows, summaryRowOf(r, d))
	}
	return h.render(w, r, "summary", http.StatusOK, kit.T(r, "ecstat.sum.title"), v, nil)
}

func (h handlers) summaryRepair(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	if _, err := dom.RepairRegisterSummary(r.Context(), h.k.DB, kit.Actor(r)); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/ecstat/register/summary?flash=ecstat_summary_repaired")
}

func (h handlers) summaryExport(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	diffs, err := dom.CheckRegisterSummary(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	var head []string
	for _, k := range []string{"sum.county", "col.section", "col.size", "col.above_scale", "col.born_year", "col.closed_year",
		"sum.stored_units", "sum.units", "sum.stored_revenue", "sum.revenue", "sum.stored_squares", "sum.squares"} {
		head = append(head, kit.T(r, "ecstat."+k))
	}
	rows := make([][]any, 0, len(diffs))
	for _, d := range diffs {
		closed := ""
		if d.Closed != 0 {
			closed = strconv.Itoa(d.Closed)
		}
		rows = append(rows, []any{d.County, d.Section, sizeName(r, d.Size), yesNo(r, d.Above), d.Born, closed,
			d.Stored[0], d.Recomputed[0], wan(d.Stored[1]), wan(d.Recomputed[1]), d.Stored[2], d.Recomputed[2]})
	}
	return kit.XLSX(w, "register-summary-check.xlsx", head, rows)
}

// apiSummary answers the check: {"matches", "differences": [{"county",
// "section", "size", "above_scale", "born_year", "closed_year", "stored":
// [enterprises, revenue, Σrevenue²], "recomputed": [...]}]}, revenue in
// hundredths of 万元.
func (h handlers) apiSummary(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	diffs, err := dom.CheckRegisterSummary(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	if diffs == nil {
		diffs = []dom.SummaryDiff{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"matches": len(diffs) == 0, "differences": diffs})
}

// apiSummaryRepair rewrites the summary from the register where it
// differs (audited): {"repaired": N, "differences": [...]}.
func (h handlers) apiSummaryRepair(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	diffs, err := dom.RepairRegisterSummary(r.Context(), h.k.DB, kit.Actor(r))
	if err != nil {
		return err
	}
	if diffs == nil {
		diffs = []dom.SummaryDiff{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"repaired": len(diffs), "differences": diffs})
}

// summaryAuthzCases: only an office (or administrator) of the province
// checks and repairs the register summary, which covers the whole
// register; the matrix's callers hold their roles at a city.
func summaryAuthzCases() []module.AuthzCase {
	const see, un = http.StatusSeeOther, http.StatusUnauthorized
	req := func(method, path string) func(*module.Fixture, bool) (string, string, url.Values) {
		return func(*module.Fixture, bool) (string, string, url.Values) {
			var form url.Values
			if method == http.MethodPost {
				form = url.Values{}
			}
			return method, path, form
		}
	}
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/register/summary", Request: req(http.MethodGet, "/ecstat/register/summary"), Want: province(see)},
		{Pattern: "GET /ecstat/register/summary/export", Request: req(http.MethodGet, "/ecstat/register/summary/export"), Want: province(see)},
		{Pattern: "POST /ecstat/register/summary", Request: req(http.MethodPost, "/ecstat/register/summary"), Want: province(un)},
		{Pattern: "GET /api/v1/enterprises/summary", Request: req(http.MethodGet, "/api/v1/enterprises/summary"), Want: province(un)},
		{Pattern: "POST /api/v1/enterprises/summary", Request: req(http.MethodPost, "/api/v1/enterprises/summary"), Want: province(un)},
	}
}

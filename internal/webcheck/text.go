package webcheck

import (
	"fmt"
	"io"
	"strings"
	"time"
	"zhihui/internal/webcheck/crawl"
)

// errWriter remembers the first write error so the report code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}

// WriteText writes a plain-text summary of r: pages, links, broken links
// with where they were found, columns, marks, HTTPS, IPv6, availability, the
// 2015 verdict and the 2019 score. Long lists are cut; the JSON and XLSX
// outputs hold everything.
func WriteText(out io.Writer, r *Result) error {
	w := &errWriter{w: out}
	fmt.Fprintf(w, "网站 Site: %s  %s\n", r.URL, r.Home.Title)
	if r.Canceled {
		fmt.Fprintln(w, "（已中断，结果不完整 / interrupted, partial result）")
	}
	fmt.Fprintf(w, "页面 Pages: %d   链接 Links: %d (distinct %d)   失效 Broken: %d   用时 Took: %s\n",
		r.Pages, r.LinkOccurrences, r.UniqueLinks, len(r.BrokenLinks), r.Finished.Sub(r.Started).Round(time.Millisecond))
	if bt := r.BudgetText(); bt.Zh != "" {
		fmt.Fprintf(w, "! %s\n! %s\n", bt.Zh, bt.En)
	}
	if r.Home.Err != "" || r.Home.Status >= 400 {
		fmt.Fprintf(w, "首页无法访问 Homepage unreachable: %d %s\n", r.Home.Status, r.Home.Err)
	}
	if len(r.BrokenLinks) > 0 {
		fmt.Fprintln(w, "\n失效链接 Broken links:")
		for i, b := range r.BrokenLinks {
			if i == 50 {
				fmt.Fprintf(w, "  … 另有 %d 个 / %d more (use --json or --xlsx)\n", len(r.BrokenLinks)-50, len(r.BrokenLinks)-50)
				break
			}
			where := ""
			if b.OnHomepage {
				where = " [首页 homepage]"
			}
			why := b.Err
			if why == "" {
				why = fmt.Sprint(b.Status)
			}
			fmt.Fprintf(w, "  %s  (%s)%s\n", b.URL, why, where)
			for _, f := range b.FoundOn[:min(3, len(b.FoundOn))] {
				fmt.Fprintf(w, "      见于 found on %s\n", f)
			}
			if b.FoundCount > 3 {
				fmt.Fprintf(w, "      … 共 %d 处 / %d places\n", b.FoundCount, b.FoundCount)
			}
		}
	}
	fmt.Fprintln(w, "\n栏目 Columns:")
	for _, c := range r.Columns {
		latest := "-"
		if !c.Latest.IsZero() {
			latest = c.Latest.Format("2006-01-02")
		}
		mark := "  "
		if c.Status == "stale" || c.Status == "empty" || c.Status == "unreachable" {
			mark = "✗ "
		}
		fmt.Fprintf(w, "  %s%-8s %-11s %-11s 最新 %s（%d 天，时限 %d 天） %s\n", mark, c.Title, c.Kind, c.Status, latest, c.AgeDays, c.LimitDays, c.URL)
	}
	fmt.Fprintf(w, "\n首页最新 Homepage latest: %s\n", dash(r.Home.Item))
	fmt.Fprintf(w, "标识码 Site code: %s   ICP: %s   公安备案 PSB: %s\n", dash(r.Home.Marks.SiteCode), dash(r.Home.Marks.ICP), dash(r.Home.Marks.PSB))
	fmt.Fprintf(w, "HTTPS: available=%v valid=%v expires=%s HSTS=%q %s\n", r.TLS.Available, r.TLS.Valid, dateOr(r.TLS.NotAfter), r.TLS.HSTS, r.TLS.Err)
	fmt.Fprintf(w, "IPv6: %s %s %s\n", r.IPv6.Status, strings.Join(r.IPv6.Addrs, ","), bilingual(r.IPv6.Reason))
	s := r.Availability.Summary
	fmt.Fprintf(w, "可用性 Availability: %d probes, %d failed (%.1f%%), assessed=%v\n", s.Total, s.Failures, s.Percent, r.Availability.Assessed)

	v := r.Verdict
	vt := v.VerdictText()
	fmt.Fprintf(w, "\n2015 普查结论 verdict: %s / %s   扣分 deductions: %g\n", vt.Zh, vt.En, v.Deducted)
	for _, l := range v.Vetoes {
		fmt.Fprintf(w, "  否决 veto: %s / %s (%g)\n", l.Zh, l.En, l.Value)
	}
	for _, rl := range v.NotAssessed {
		fmt.Fprintf(w, "  未评估 not assessed: %s\n", rl.Zh)
	}
	for _, l := range v.Deductions {
		fmt.Fprintf(w, "  扣 %g: %s\n", l.Points, l.Zh)
	}
	fmt.Fprintf(w, "\n2019 得分 score: %g / %g\n", r.Score.Total, r.Score.Max)
	for _, ind := range r.Score.Indicators {
		fmt.Fprintf(w, "  %-20s %5g / %g\n", ind.Zh, ind.Score, ind.Max)
		for _, l := range ind.Losses {
			fmt.Fprintf(w, "      -%g %s\n", l.Points, l.Zh)
		}
	}
	return w.err
}

func dateOr(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02")
}

func dash(s string) string {
	if s == "" {
		return "-（未找到 not found）"
	}
	return s
}

// ProgressLine is one line of a running inspection's progress, for a
// terminal: pages, links, broken links, rate and the estimated time left.
func ProgressLine(p crawl.Progress) string {
	left := "—"
	if d := p.Left(); d > 0 {
		left = d.Round(time.Second).String()
	}
	return fmt.Sprintf("页面 pages %d/%d  链接 links %d/%d  失效 broken %d  %.1f/s  剩余约 left ~%s",
		p.Pages, p.Budget, p.Checked, p.Links, p.Broken, p.Rate(), left)
}

// SummaryLine is the one line said at the end of an inspection when
// progress is not shown live.
func SummaryLine(r *Result) string {
	s := fmt.Sprintf("检查完成 inspected %s: %d 页面 pages, %d 链接 links, %d 失效 broken, %s",
		r.URL, r.Pages, r.UniqueLinks, len(r.BrokenLinks), r.Finished.Sub(r.Started).Round(time.Millisecond))
	if r.BudgetReached {
		s += fmt.Sprintf("; 页面上限 %d 已达到，%d 个页面未抓取 page budget %d reached, %d pages not crawled", r.PageBudget, r.PagesNotCrawled, r.PageBudget, r.PagesNotCrawled)
	}
	if r.Canceled {
		s += "; 已中断 canceled"
	}
	return s
}

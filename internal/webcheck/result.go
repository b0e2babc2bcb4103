// Package webcheck inspects government websites the way a third-party
// evaluator does under China's national rules: the 2015 census of
// government websites (单项否决 vetoes and deductions) and the 2019
// 100-point indicator scheme. [Inspect] crawls a site, checks links,
// column freshness, HTTPS, IPv6, security headers, registration marks and
// accessibility, and scores the outcome; every point lost carries the
// evidence (URL, status, time, snippet) behind it.
package webcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/webcheck/axe"
	"zhihui/internal/webcheck/extract"
	"zhihui/internal/webcheck/probe"
)

// Evidence is one observation behind a finding.
type Evidence struct {
	URL    string    `json:"url"`
	Status int       `json:"status,omitempty"`
	Time   time.Time `json:"time,omitzero"`
	// Snippet is text as found on the site (Chinese, as published).
	Snippet string `json:"snippet,omitempty"`
	// Note is what the inspection itself says about URL ("missing
	// Strict-Transport-Security"), in both languages.
	Note i18n.Text `json:"note,omitzero"`
	// Err is the network error met fetching URL, as Go gave it; pages
	// and reports say it in words (package neterr).
	Err     string   `json:"err,omitempty"`
	FoundOn []string `json:"found_on,omitempty"`
}

// legacyNotes are the beginnings of the snippets that earlier releases
// wrote for the inspection's own statements, as one "中文 / English"
// string; read back, they become the evidence's Note.
var legacyNotes = []struct{ prefix, zh, en string }{
	{"缺少 / missing ", "缺少 ", "missing "},
	{"证书到期 / expires ", "证书到期 ", "expires "},
}

// UnmarshalJSON reads evidence, moving the statements earlier releases
// stored in Snippet ("缺少 / missing X", "首页未找到… / no …") to Note.
func (e *Evidence) UnmarshalJSON(b []byte) error {
	type plain Evidence
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	if e.Note != (i18n.Text{}) || e.Snippet == "" {
		return nil
	}
	for _, l := range legacyNotes {
		if rest, ok := strings.CutPrefix(e.Snippet, l.prefix); ok {
			e.Note, e.Snippet = i18n.Text{Zh: l.zh + rest, En: l.en + rest}, ""
			return nil
		}
	}
	if legacySnippets[e.Snippet] || strings.HasPrefix(e.Snippet, "首页未找到") && strings.Contains(e.Snippet, " / ") {
		e.Note, e.Snippet = i18n.Split(e.Snippet), ""
	}
	return nil
}

// Text is a message in Chinese and English.
type Text = i18n.Text

// JobErrorText is the reason a failed job stored (see [FailJob]): both
// languages when it is a user error, the technical text in both otherwise.
func JobErrorText(stored string) Text {
	var t Text
	if strings.HasPrefix(stored, "{") && json.Unmarshal([]byte(stored), &t) == nil && t.Zh != "" {
		return t
	}
	return Text{Zh: stored, En: stored}
}

// jobError is what [FailJob] stores for err: the JSON of both languages
// of a user error, or its text.
func jobError(err error) string {
	var ue *i18n.Error
	if errors.As(err, &ue) {
		b, _ := json.Marshal(Text{Zh: ue.Message("zh-CN"), En: ue.Message("en")})
		return string(b)
	}
	return err.Error()
}

// BrokenLink is a link that failed, with the pages it was found on.
type BrokenLink struct {
	URL        string    `json:"url"`
	Status     int       `json:"status,omitempty"`
	Err        string    `json:"error,omitempty"`
	OnHomepage bool      `json:"on_homepage"`
	External   bool      `json:"external"`
	FoundOn    []string  `json:"found_on"`
	FoundCount int       `json:"found_count"`
	CheckedAt  time.Time `json:"checked_at,omitzero"`
}

// Column is a site column (栏目) found by its title, with its freshness.
type Column struct {
	Title     string             `json:"title"`
	URL       string             `json:"url"`
	Kind      extract.ColumnKind `json:"kind"`
	FoundOn   string             `json:"found_on"`
	Status    string             `json:"status"` // ok, stale, empty, undated, unreachable, unknown
	Latest    time.Time          `json:"latest,omitzero"`
	AgeDays   int                `json:"age_days,omitempty"`
	LimitDays int                `json:"limit_days"`
	Items     int                `json:"items"`
	Snippet   string             `json:"snippet,omitempty"` // the latest item, as found
	// Note says why a column is empty or undated, in both languages.
	Note i18n.Text `json:"note,omitzero"`
	// Structural: recognised from the site's structure (navigation to a
	// list page, a section with a "more" link), not by a known word.
	Structural bool `json:"structural,omitempty"`
}

// legacySnippets are statements earlier releases stored as a column's or
// an evidence's snippet, as one "中文 / English" string.
var legacySnippets = map[string]bool{
	"有内容但无带日期的条目，未判断更新情况 / content without dated items; freshness not judged":     true,
	"页面显示暂无信息 / page says it has no content":                                      true,
	"栏目页除各页共有的导航外没有内容 / nothing on the page beyond the navigation every page has": true,
	"无带日期的条目 / no dated items":                                                    true,
	"首页无带日期的信息 / no dated items on the homepage":                                  true,
}

// UnmarshalJSON reads a column, moving the statements earlier releases
// stored in Snippet to Note.
func (c *Column) UnmarshalJSON(b []byte) error {
	type plain Column
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	if c.Note == (i18n.Text{}) && legacySnippets[c.Snippet] {
		c.Note, c.Snippet = i18n.Split(c.Snippet), ""
	}
	return nil
}

// BudgetText says that the page budget was reached, or "" when it was not.
func (r *Result) BudgetText() Text {
	if !r.BudgetReached {
		return Text{}
	}
	return Text{
		Zh: fmt.Sprintf("已达到页面上限 %d：另有 %d 个已知页面未抓取，只检查了其链接，这些页面上的问题未能发现", r.PageBudget, r.PagesNotCrawled),
		En: fmt.Sprintf("page budget of %d reached: %d more known pages were not crawled (only checked as links), so problems on them are not seen", r.PageBudget, r.PagesNotCrawled),
	}
}

// Home describes the homepage.
type Home struct {
	URL     string            `json:"url"`
	Status  int               `json:"status,omitempty"`
	Err     string            `json:"error,omitempty"`
	Title   string            `json:"title,omitempty"`
	Charset string            `json:"charset,omitempty"`
	Latest  time.Time         `json:"latest,omitzero"`
	Item    string            `json:"latest_item,omitempty"`
	Items   int               `json:"items"`
	Marks   extract.Marks     `json:"marks"`
	Links   []string          `json:"-"`
	Header  map[string]string `json:"headers,omitempty"` // security-relevant response headers
	Fetched time.Time         `json:"fetched,omitzero"`
}

// Availability holds the probes of the homepage.
type Availability struct {
	Probes   []probe.Result `json:"probes"`
	Summary  probe.Summary  `json:"summary"`
	Assessed bool           `json:"assessed"` // enough probes for the veto rule
}

// TLSInfo is the outcome of the HTTPS check.
type TLSInfo struct {
	Available bool      `json:"available"` // something answered TLS on the HTTPS port
	Valid     bool      `json:"valid"`     // chain verified for the host name
	Err       string    `json:"error,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	DaysLeft  int       `json:"days_left,omitempty"`
	Version   string    `json:"version,omitempty"`
	HSTS      string    `json:"hsts,omitempty"`
	URL       string    `json:"url"`
	Checked   time.Time `json:"checked,omitzero"`
}

// IPv6 check outcomes.
const (
	IPv6OK          = "ok"
	IPv6NoAAAA      = "no-aaaa"
	IPv6Unreachable = "unreachable"
	IPv6Unknown     = "unknown" // this machine cannot tell (no IPv6 route, DNS failure)
)

// IPv6Info is the outcome of the IPv6 check.
type IPv6Info struct {
	Status string   `json:"status"`
	Addrs  []string `json:"addrs,omitempty"`
	// Reason says why the status is what it is, in both languages (a
	// network error as Go gave it in both).
	Reason i18n.Text `json:"reason,omitzero"`
}

// UnmarshalJSON reads IPv6 results, also those of earlier releases that
// stored the reason as one "中文 / English" string.
func (v *IPv6Info) UnmarshalJSON(b []byte) error {
	type plain IPv6Info
	var w struct {
		plain
		Reason json.RawMessage `json:"reason"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = IPv6Info(w.plain)
	r, err := i18n.DecodeText(w.Reason)
	v.Reason = r
	return err
}

// HeaderCheck is one security header on the homepage response.
type HeaderCheck struct {
	Name    string `json:"name"`
	Value   string `json:"value,omitempty"`
	Present bool   `json:"present"`
}

// Result is the outcome of one inspection.
type Result struct {
	URL             string    `json:"url"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	Canceled        bool      `json:"canceled,omitempty"`
	Pages           int       `json:"pages"`
	LinkOccurrences int64     `json:"link_occurrences"`
	UniqueLinks     int       `json:"unique_links"`
	DroppedLinks    int       `json:"dropped_links,omitempty"`
	// PageBudget is the crawl's page limit; BudgetReached says it kept
	// PagesNotCrawled known pages of the site from being fetched (they
	// were checked as links only, so problems on them are not seen).
	PageBudget       int               `json:"page_budget,omitempty"`
	BudgetReached    bool              `json:"budget_reached,omitempty"`
	PagesNotCrawled  int               `json:"pages_not_crawled,omitempty"`
	Home             Home              `json:"home"`
	BrokenLinks      []BrokenLink      `json:"broken_links"`
	Columns          []Column          `json:"columns"`
	Availability     Availability      `json:"availability"`
	TLS              TLSInfo           `json:"tls"`
	IPv6             IPv6Info          `json:"ipv6"`
	Headers          []HeaderCheck     `json:"security_headers"`
	MixedContent     []Evidence        `json:"mixed_content,omitempty"`
	SevereErrors     []Evidence        `json:"severe_errors,omitempty"`
	Accessibility    []axe.Result      `json:"accessibility,omitempty"`
	AccessibilityErr string            `json:"accessibility_error,omitempty"`
	Metrics          map[string]Metric `json:"metrics"`
	Verdict          Verdict           `json:"verdict_2015"`
	Score            Score             `json:"score_2019"`
}

// Metric is a measured quantity that rules are written against. Known is
// false when the check could not be made (not enough probes, no IPv6 route
// here, accessibility not run); unknown metrics never cost points.
type Metric struct {
	Value float64 `json:"value"`
	Known bool    `json:"known"`
	// Note says why an unknown metric is unknown, in both languages.
	Note     i18n.Text  `json:"note,omitzero"`
	Evidence []Evidence `json:"-"`
}

// UnmarshalJSON reads a metric, also one of an earlier release that
// stored its note as one "中文 / English" string.
func (m *Metric) UnmarshalJSON(b []byte) error {
	type plain Metric
	var w struct {
		plain
		Note json.RawMessage `json:"note"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Metric(w.plain)
	n, err := i18n.DecodeText(w.Note)
	m.Note = n
	return err
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

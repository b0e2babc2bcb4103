// Package extract pulls what a website inspection needs out of one HTML
// page in a single streaming pass: links with their anchor text, dated list
// items, the title and the visible text. It also recognises dates in the
// formats Chinese government sites use, the column titles that matter for
// freshness rules, and the site registration marks (政府网站标识码, ICP 备案,
// 公安备案) in page footers.
package extract

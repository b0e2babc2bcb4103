package ecstat

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	dom "zhihui/internal/ecstat"
)

func TestPageOfCountySectionTable(t *testing.T) {
	cells := make([]dom.Cell, 250)
	for i := range cells {
		cells[i].Code = string(rune('A' + i%26))
	}
	base := url.Values{"item": {"ECOM_TURNOVER"}, "by": {dom.ByCountySection}}
	for _, c := range []struct {
		query          string
		page, from, to int
		prev, next     bool
	}{
		{"", 1, 1, 100, false, true},
		{"?page=2", 2, 101, 200, true, true},
		{"?page=3", 3, 201, 250, true, false},
		{"?page=99", 3, 201, 250, true, false},
		{"?page=-1", 1, 1, 100, false, true},
		{"?page=x", 1, 1, 100, false, true},
	} {
		r := httptest.NewRequest("GET", "/ecstat/surveys/1/results"+c.query, nil)
		got, p := pageOf(r, cells, base, "/ecstat/surveys/1/results")
		if p.Page != c.page || p.From != c.from || p.To != c.to || p.Pages != 3 || p.Total != 250 || len(got) != c.to-c.from+1 ||
			(p.Prev != "") != c.prev || (p.Next != "") != c.next {
			t.Errorf("%q: %+v, %d cells", c.query, p, len(got))
		}
		for _, link := range []string{p.Prev, p.Next} {
			if link != "" && (!strings.HasPrefix(link, "/ecstat/surveys/1/results?") || !strings.Contains(link, "by=county_section") || !strings.Contains(link, "item=ECOM_TURNOVER")) {
				t.Errorf("%q: link %q", c.query, link)
			}
		}
	}
	if got, p := pageOf(httptest.NewRequest("GET", "/x", nil), nil, base, "/x"); len(got) != 0 || p.Pages != 1 || p.From != 0 || p.Next != "" {
		t.Errorf("empty: %+v", p)
	}
}

package extract

import (
	"bytes"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Link is one reference from a page to another URL.
type Link struct {
	URL      string `json:"url"`                // absolute http(s) URL without fragment
	Text     string `json:"text,omitempty"`     // anchor text, trimmed and capped
	Heading  string `json:"heading,omitempty"`  // short text just before the anchor (column title for "more" links)
	Tag      string `json:"tag"`                // a, area, img, script, link, iframe, ...
	Resource bool   `json:"resource,omitempty"` // embedded resource (loaded by the browser), not a navigation link
}

// Item is a list entry that carries a date: a news headline, a notice, a
// letter in a mailbox column.
type Item struct {
	Text string    `json:"text"`
	URL  string    `json:"url,omitempty"`
	Date time.Time `json:"date"`
}

// Doc is what [Parse] keeps of a page.
type Doc struct {
	Title string
	Links []Link
	Items []Item
	// Text is the visible text, blocks separated by newlines, capped at
	// Options.MaxText bytes.
	Text string
}

// Options bound the work done on one page.
type Options struct {
	MaxLinks int       // links kept per page; default 5000
	MaxItems int       // dated items kept; default 500
	MaxText  int       // bytes of visible text kept; default 256 KiB
	Now      time.Time // reference for inferring the year of month-day dates; zero = time.Now
}

func (o *Options) defaults() {
	if o.MaxLinks <= 0 {
		o.MaxLinks = 5000
	}
	if o.MaxItems <= 0 {
		o.MaxItems = 500
	}
	if o.MaxText <= 0 {
		o.MaxText = 256 << 10
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

const (
	maxAnchorText  = 64 // runes
	maxHeading     = 16 // runes
	maxSegmentText = 512
)

// urlAttr maps a tag to the attribute holding its URL and whether the URL is
// an embedded resource.
func urlAttr(a atom.Atom) (attr string, resource bool) {
	switch a {
	case atom.A, atom.Area:
		return "href", false
	case atom.Link:
		return "href", true
	case atom.Img, atom.Script, atom.Iframe, atom.Frame, atom.Embed, atom.Source, atom.Audio, atom.Video, atom.Track, atom.Input:
		return "src", true
	}
	return "", false
}

// blockBoundary reports whether a tag separates list items for the purpose
// of pairing links with dates.
func blockBoundary(a atom.Atom) bool {
	switch a {
	case atom.Li, atom.Tr, atom.Dd, atom.Dt, atom.P, atom.Div, atom.Br, atom.Ul, atom.Ol,
		atom.Table, atom.Tbody, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Nav, atom.Dl, atom.Hr, atom.Body:
		return true
	}
	return false
}

// segment is the text and links between two block boundaries.
type segment struct {
	text      []byte
	firstLink int // index into links, -1 when none
}

type parser struct {
	o       Options
	base    *url.URL
	doc     Doc
	text    []byte
	seg     segment
	prevSeg struct {
		firstLink int
		dated     bool
	}
	anchor     int // index of the open <a>'s link, -1 when none
	anchorText []byte
	lastText   string
}

// Parse reads HTML (already decoded to UTF-8) and returns its links, dated
// items, title and text. base is the page URL; a <base href> in the page
// overrides it. Parse never fails: malformed markup yields what could be
// read, and the input is consumed in one pass with bounded memory.
func Parse(body []byte, base *url.URL, o Options) *Doc {
	o.defaults()
	p := &parser{o: o, base: base, anchor: -1}
	p.seg.firstLink = -1
	p.prevSeg.firstLink = -1
	z := html.NewTokenizer(bytes.NewReader(body))
	z.SetMaxBuf(0)
	skip := 0 // depth inside script/style/noscript/template
	inTitle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			p.endSegment()
			p.doc.Text = string(p.text)
			return &p.doc
		case html.TextToken:
			if skip > 0 {
				continue
			}
			raw := z.Text()
			if inTitle {
				if p.doc.Title == "" {
					p.doc.Title = clip(collapse(string(raw)), 200)
				}
				continue
			}
			p.addText(raw)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Textarea:
				if a == atom.Script && hasAttr {
					p.tagURL(z, a)
				}
				if tt == html.StartTagToken {
					skip++
				}
				continue
			case atom.Title:
				inTitle = tt == html.StartTagToken
				continue
			case atom.Base:
				if hasAttr {
					p.baseHref(z)
				}
				continue
			}
			if blockBoundary(a) {
				p.endSegment()
			}
			if hasAttr {
				p.tagURL(z, a)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Textarea:
				if skip > 0 {
					skip--
				}
				continue
			case atom.Title:
				inTitle = false
				continue
			case atom.A:
				p.closeAnchor()
			}
			if blockBoundary(a) {
				p.endSegment()
			}
		}
	}
}

func (p *parser) baseHref(z *html.Tokenizer) {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "href" {
			if u, err := url.Parse(strings.TrimSpace(string(v))); err == nil {
				if p.base != nil {
					u = p.base.ResolveReference(u)
				}
				if u.Scheme == "http" || u.Scheme == "https" {
					p.base = u
				}
			}
			return
		}
		if !more {
			return
		}
	}
}

func (p *parser) tagURL(z *html.Tokenizer, a atom.Atom) {
	want, resource := urlAttr(a)
	if want == "" {
		return
	}
	var val []byte
	found := false
	isStylesheet := a != atom.Link
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case want:
			val, found = v, true
		case "rel":
			if a == atom.Link {
				rel := strings.ToLower(string(v))
				isStylesheet = strings.Contains(rel, "stylesheet") || strings.Contains(rel, "icon") || strings.Contains(rel, "preload")
			}
		case "type":
			if a == atom.Input && !strings.EqualFold(string(v), "image") {
				return
			}
		}
		if !more {
			break
		}
	}
	if !found || !isStylesheet {
		return
	}
	if a == atom.Input && len(val) == 0 {
		return
	}
	u := Resolve(p.base, string(val))
	if u == "" {
		if a == atom.A {
			p.closeAnchor()
		}
		return
	}
	if len(p.doc.Links) >= p.o.MaxLinks {
		return
	}
	p.doc.Links = append(p.doc.Links, Link{URL: u, Tag: a.String(), Resource: resource})
	if a == atom.A || a == atom.Area {
		if a == atom.A {
			p.closeAnchor()
			p.anchor = len(p.doc.Links) - 1
			p.anchorText = p.anchorText[:0]
			p.doc.Links[p.anchor].Heading = p.lastText
		}
		if p.seg.firstLink < 0 {
			p.seg.firstLink = len(p.doc.Links) - 1
		}
	}
}

func (p *parser) closeAnchor() {
	if p.anchor < 0 {
		return
	}
	l := &p.doc.Links[p.anchor]
	l.Text = clip(collapse(string(p.anchorText)), maxAnchorText)
	if l.Text != "" {
		p.lastText = clip(l.Text, maxHeading)
	}
	p.anchor = -1
}

func (p *parser) addText(raw []byte) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return
	}
	if p.anchor >= 0 && len(p.anchorText) < maxAnchorText*4 {
		p.anchorText = append(p.anchorText, raw...)
		p.anchorText = append(p.anchorText, ' ')
	} else if p.anchor < 0 {
		if t := collapse(string(raw)); t != "" && utf8.RuneCountInString(t) <= maxHeading {
			p.lastText = t
		}
	}
	if len(p.seg.text) < maxSegmentText {
		p.seg.text = append(p.seg.text, raw...)
		p.seg.text = append(p.seg.text, ' ')
	}
	if len(p.text) < p.o.MaxText {
		room := p.o.MaxText - len(p.text)
		if len(raw) > room {
			raw = raw[:room]
		}
		p.text = append(p.text, bytes.TrimSpace(raw)...)
		p.text = append(p.text, ' ')
	}
}

// endSegment closes the current block: when it holds a link and a date it
// becomes an item. A block with a date but no link is paired with the block
// just before it when that one had a link but no date (title and date in
// sibling elements).
func (p *parser) endSegment() {
	if len(p.text) > 0 && p.text[len(p.text)-1] != '\n' && len(p.text) < p.o.MaxText {
		p.text = append(p.text, '\n')
	}
	s := &p.seg
	if len(s.text) == 0 && s.firstLink < 0 {
		return
	}
	dated := false
	if hasDigit(s.text) {
		if d, ok := Latest(string(s.text), p.o.Now); ok {
			li := s.firstLink
			if li < 0 && p.prevSeg.firstLink >= 0 && !p.prevSeg.dated {
				li = p.prevSeg.firstLink
			}
			if li >= 0 && len(p.doc.Items) < p.o.MaxItems {
				l := p.doc.Links[li]
				p.doc.Items = append(p.doc.Items, Item{Text: l.Text, URL: l.URL, Date: d})
				dated = true
			}
		}
	}
	if s.firstLink >= 0 || dated {
		p.prevSeg.firstLink = s.firstLink
		p.prevSeg.dated = dated
	}
	s.text = s.text[:0]
	s.firstLink = -1
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// collapse trims s and folds runs of white space (including U+3000 and
// U+00A0) into single spaces.
func collapse(s string) string {
	if !needsCollapse(s) {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\u00a0', '\u3000':
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func needsCollapse(s string) bool {
	if s == "" {
		return false
	}
	if isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if i+1 < len(s) && s[i+1] == ' ' {
				return true
			}
		case c == '\t' || c == '\n' || c == '\r' || c == '\f':
			return true
		case c == 0xC2 && i+1 < len(s) && s[i+1] == 0xA0: // U+00A0
			return true
		case c == 0xE3 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x80: // U+3000
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func clip(s string, runes int) string {
	if utf8.RuneCountInString(s) <= runes {
		return s
	}
	n := 0
	for i := range s {
		if n == runes {
			return s[:i]
		}
		n++
	}
	return s
}

// Resolve turns an href into an absolute http(s) URL without its fragment,
// with a lower-case host, no default port and a non-empty path. It returns
// "" for javascript:, mailto:, data: and other non-web references and for
// hrefs that do not parse.
func Resolve(base *url.URL, href string) string {
	href = strings.TrimSpace(href)
	if href == "" || href[0] == '#' {
		return ""
	}
	if strings.ContainsAny(href, "\n\r\t") {
		href = strings.NewReplacer("\n", "", "\r", "", "\t", "").Replace(href)
	}
	if base != nil && base.Opaque == "" && base.User == nil && len(href) > 1 && href[0] == '/' && href[1] != '/' && simplePath(href) {
		// Fast path for the common root-relative href: no dot segments,
		// escapes or odd characters, so resolution is concatenation.
		if i := strings.IndexByte(href, '#'); i >= 0 {
			href = href[:i]
		}
		if s := Normalize(&url.URL{Scheme: base.Scheme, Host: base.Host}); s != "" {
			return s[:len(s)-1] + href
		}
		return ""
	}
	return resolveSlow(base, href)
}

func resolveSlow(base *url.URL, href string) string {
	ref, err := url.Parse(href)
	if err != nil {
		return ""
	}
	u := ref
	if base != nil {
		u = base.ResolveReference(ref)
	}
	return Normalize(u)
}

// simplePath reports whether href has only characters that url.Parse and
// String leave unchanged, and no dot segments.
func simplePath(href string) bool {
	for i := 0; i < len(href); i++ {
		c := href[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '/', c == '-', c == '_', c == '~', c == '=', c == '&', c == '?', c == '#':
		case c == '.':
			if href[i-1] == '/' {
				return false // ./ or ../ or /.hidden: let net/url decide
			}
		default:
			return false
		}
	}
	return true
}

// Normalize returns the canonical string form of an absolute http(s) URL
// (see [Resolve]) or "" when u is not one.
func Normalize(u *url.URL) string {
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return ""
	}
	c := *u
	c.Fragment = ""
	c.RawFragment = ""
	c.User = nil
	host := strings.ToLower(c.Host)
	if (c.Scheme == "http" && strings.HasSuffix(host, ":80")) || (c.Scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	c.Host = host
	if c.Path == "" && c.RawPath == "" {
		c.Path = "/"
	}
	return c.String()
}

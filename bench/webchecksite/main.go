// Command webchecksite serves a generated government website for the
// website inspection benchmark, knows its ground truth (every planted broken
// link, stale and empty column), measures a plain fetch baseline and
// compares an inspection result against the truth.
//
//	webchecksite serve -pages 10000 -out DIR     # writes DIR/addr.txt, urls.txt, truth.json; serves until killed
//	webchecksite baseline -urls DIR/urls.txt     # fetch every page with net/http, discard, print pages/s
//	webchecksite compare -truth DIR/truth.json -result result.json -baseline DIR/baseline.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zhihui/internal/webcheck/sitegen"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: webchecksite serve|baseline|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "baseline":
		err = baseline(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webchecksite:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := newFlags("serve")
	pages := fs.Int("pages", 10000, "articles to generate")
	extra := fs.Int("extra", 10, "random related-article links per article")
	out := fs.String("out", ".", "directory for addr.txt, urls.txt, truth.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	eln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base, ext := "http://"+ln.Addr().String(), "http://"+eln.Addr().String()
	s := sitegen.Generate(sitegen.Options{Articles: *pages, Extra: *extra, Base: base, Ext: ext})
	go http.Serve(eln, sitegen.External())
	var urls strings.Builder
	for _, p := range s.Paths() {
		urls.WriteString(base + p + "\n")
	}
	tj, _ := json.MarshalIndent(s.Truth, "", " ")
	for name, data := range map[string][]byte{"urls.txt": []byte(urls.String()), "truth.json": tj} {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			return err
		}
	}
	// addr.txt last: its presence tells the script the server is ready.
	if err := os.WriteFile(filepath.Join(*out, "addr.txt"), []byte(base+"/\n"), 0o644); err != nil {
		return err
	}
	return http.Serve(ln, s)
}

// Baseline is a plain fetch of every page.
type Baseline struct {
	Pages       int     `json:"pages"`
	Seconds     float64 `json:"seconds"`
	PagesPerSec float64 `json:"pages_per_sec"`
	Workers     int     `json:"workers"`
}

func baseline(args []string) error {
	fs := newFlags("baseline")
	urlsFile := fs.String("urls", "urls.txt", "one URL per line")
	workers := fs.Int("workers", 32, "concurrent fetches")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*urlsFile)
	if err != nil {
		return err
	}
	urls := strings.Fields(string(b))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}, Timeout: 15 * time.Second}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(urls) {
					return
				}
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, urls[i], nil)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	if failed.Load() > 0 {
		return fmt.Errorf("%d fetches failed", failed.Load())
	}
	return json.NewEncoder(os.Stdout).Encode(Baseline{Pages: len(urls), Seconds: el, PagesPerSec: float64(len(urls)) / el, Workers: *workers})
}

// inspection is the part of `zhihui inspect --json` output compared here.
type inspection struct {
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	Pages           int       `json:"pages"`
	LinkOccurrences int64     `json:"link_occurrences"`
	BrokenLinks     []struct {
		URL     string   `json:"url"`
		FoundOn []string `json:"found_on"`
	} `json:"broken_links"`
	Columns []struct {
		URL    string `json:"url"`
		Status string `json:"status"`
	} `json:"columns"`
}

func compare(args []string) error {
	fs := newFlags("compare")
	truthFile := fs.String("truth", "truth.json", "ground truth from serve")
	resultFile := fs.String("result", "result.json", "zhihui inspect --json output")
	baseFile := fs.String("baseline", "", "baseline JSON")
	rssKB := fs.Int64("rss-kb", 0, "peak RSS of the inspection, in KiB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var t sitegen.Truth
	var r inspection
	for file, v := range map[string]any{*truthFile: &t, *resultFile: &r} {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	ok := true
	fail := func(format string, a ...any) {
		ok = false
		fmt.Printf("MISMATCH: "+format+"\n", a...)
	}
	reported := map[string]bool{}
	for _, b := range r.BrokenLinks {
		reported[b.URL] = true
		truthOn, planted := t.Broken[b.URL]
		if !planted {
			fail("false positive broken link %s", b.URL)
			continue
		}
		for _, on := range b.FoundOn {
			if _, yes := slices.BinarySearch(truthOn, on); !yes {
				fail("%s reported on %s, which does not link to it", b.URL, on)
			}
		}
		if len(b.FoundOn) == 0 {
			fail("%s reported without the pages it was found on", b.URL)
		}
	}
	missed := 0
	for u := range t.Broken {
		if !reported[u] {
			missed++
			fail("planted broken link not found: %s", u)
		}
	}
	status := map[string]string{}
	for _, c := range r.Columns {
		status[c.URL] = c.Status
		if !slices.Contains(t.Columns, c.URL) {
			fail("false positive column %s", c.URL)
		}
	}
	check := func(want []string, st string) int {
		found := 0
		for _, u := range want {
			if status[u] == st {
				found++
			} else {
				fail("column %s is %q, want %q", u, status[u], st)
			}
		}
		for u, s := range status {
			if s == st && !slices.Contains(want, u) {
				fail("column %s wrongly reported %s", u, st)
			}
		}
		return found
	}
	staleFound := check(t.Stale, "stale")
	emptyFound := check(t.Empty, "empty")
	if r.Pages < t.Pages {
		fail("crawled %d pages, site has %d", r.Pages, t.Pages)
	}
	secs := r.Finished.Sub(r.Started).Seconds()
	pps := float64(r.Pages) / secs
	fmt.Printf("pages crawled:        %d (site: %d)\n", r.Pages, t.Pages)
	fmt.Printf("links found:          %d (site: %d)\n", r.LinkOccurrences, t.Links)
	fmt.Printf("broken links:         %d reported, %d planted, %d missed\n", len(r.BrokenLinks), len(t.Broken), missed)
	fmt.Printf("stale columns:        %d of %d found\n", staleFound, len(t.Stale))
	fmt.Printf("empty columns:        %d of %d found\n", emptyFound, len(t.Empty))
	fmt.Printf("inspection time:      %.2f s\n", secs)
	fmt.Printf("inspection pages/s:   %.0f\n", pps)
	if *rssKB > 0 {
		fmt.Printf("peak RSS:             %.1f MB\n", float64(*rssKB)/1024)
	}
	if *baseFile != "" {
		var b Baseline
		data, err := os.ReadFile(*baseFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return err
		}
		fmt.Printf("baseline pages/s:     %.0f (plain net/http GET + discard, %d workers, %d pages in %.2f s)\n", b.PagesPerSec, b.Workers, b.Pages, b.Seconds)
		fmt.Printf("ratio inspect/plain:  %.2f\n", pps/b.PagesPerSec)
	}
	if !ok {
		return fmt.Errorf("inspection does not match the ground truth")
	}
	fmt.Println("ground truth:         all planted problems found, no false positives")
	return nil
}

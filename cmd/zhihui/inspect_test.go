package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestInspectSummaryWhenNotATerminal: with standard error not a terminal
// (a file here), `zhihui inspect` draws no progress and says one summary
// line at the end: pages, links, broken links and, when the page budget
// ran out, how many known pages were not crawled.
func TestInspectSummaryWhenNotATerminal(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html lang="zh-CN"><head><title>测试</title></head><body><a href="/a.html">一</a><a href="/b.html">二</a><a href="/gone.html">旧</a></body></html>`)
	})
	for _, p := range []string{"/a.html", "/b.html"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><head><title>页</title></head><body><a href="/">首页</a></body></html>`)
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	run := func(args ...string) (stdout, stderr string) {
		t.Helper()
		dir := t.TempDir()
		out, err := os.Create(dir + "/out")
		if err != nil {
			t.Fatal(err)
		}
		errf, err := os.Create(dir + "/err")
		if err != nil {
			t.Fatal(err)
		}
		oldOut, oldErr := os.Stdout, os.Stderr
		os.Stdout, os.Stderr = out, errf
		runErr := cmdRun("inspect")(append([]string{srv.URL + "/", "--allow-private", "--probes", "1", "--rate", "-1", "--timeout", "5s"}, args...))
		os.Stdout, os.Stderr = oldOut, oldErr
		out.Close()
		errf.Close()
		if runErr != nil {
			t.Fatal(runErr)
		}
		o, _ := os.ReadFile(dir + "/out")
		e, _ := os.ReadFile(dir + "/err")
		return string(o), string(e)
	}

	stdout, stderr := run()
	if strings.Contains(stderr, "\r") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("standard error is not one line:\n%q", stderr)
	}
	for _, want := range []string{"检查完成 inspected", "3 页面 pages", "1 失效 broken"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary %q lacks %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "budget") {
		t.Errorf("budget reported without reaching it: %q", stderr)
	}
	if stdout == "" {
		t.Error("no report on standard output")
	}

	_, stderr = run("--max-pages", "2")
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "page budget 2 reached, 1 pages not crawled") {
		t.Errorf("summary with the budget reached: %q", stderr)
	}

	_, stderr = run("--quiet")
	if stderr != "" {
		t.Errorf("--quiet still wrote %q", stderr)
	}
}

package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/i18n"
	"zhihui/internal/module"
)

// catalogueKey is the shape of a catalogue key: dotted lower-case words.
var catalogueKey = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// keyArg says which argument of a call to a function of that name is a
// catalogue key: T(lang-or-request, key, …), E(key, …),
// DefineKind(name, label, …).
var keyArg = map[string]int{"T": 1, "E": 0, "DefineKind": 1}

// keyFields are struct fields whose dotted string values are catalogue
// keys: kit.Status.Key, notify.Message.Key, module.Nav.Label.
var keyFields = map[string]bool{"Key": true, "Label": true}

var (
	// {{t .Lang "key"}}, {{t $.Lang "key" …}}
	templateKey = regexp.MustCompile(`\bt \$?[A-Za-z.]*\s+"([^"]+)"`)
	// {{t .Lang (printf "prefix.%s" …)}}: at least one key has the prefix
	templatePrefix = regexp.MustCompile(`\bt \$?[A-Za-z.]*\s+\(printf "([^"%]+)%`)
	// Flash: "saved" and "?flash=saved" name the key flash.saved
	flashQuery = regexp.MustCompile(`[?&]flash=([a-z0-9_]+)`)
)

// TestCatalogueHasEveryKeyUsed fails when a catalogue key used in Go code
// (T and E calls, kit.Status and notification keys, menu labels, flash
// names) or in a template ({{t .Lang "key"}}) is missing from the
// catalogue: the core's plus every module's.
func TestCatalogueHasEveryKeyUsed(t *testing.T) {
	if err := module.RegisterCatalogs(Modules()); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	missing, checked, err := missingKeys(repoRoot(t), cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d key uses checked", checked)
	if checked < 500 {
		t.Fatalf("only %d key uses found: the scan no longer sees the code", checked)
	}
	keys := make([]string, 0, len(missing))
	for k := range missing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("catalogue key %q is missing (used at %s)", k, strings.Join(missing[k], ", "))
	}
}

// missingKeys scans the Go code and templates under root's internal and
// cmd directories for catalogue keys and returns those cat lacks, each
// with where it is used, and how many key uses it checked.
func missingKeys(root string, cat map[string]i18n.Text) (map[string][]string, int, error) {
	missing := map[string][]string{} // key → where it is used
	need := func(key, where string) {
		if p, ok := strings.CutSuffix(key, "*"); ok {
			if !hasPrefix(cat, p) {
				missing[key] = append(missing[key], where)
			}
			return
		}
		if _, ok := cat[key]; !ok {
			missing[key] = append(missing[key], where)
		}
	}
	checked := 0
	fset := token.NewFileSet()
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			switch {
			case d.IsDir():
				return nil
			case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"):
				f, err := parser.ParseFile(fset, path, nil, 0)
				if err != nil {
					return err
				}
				ast.Inspect(f, func(n ast.Node) bool {
					for _, k := range goKeys(n) {
						checked++
						need(k, rel+":"+strconv.Itoa(fset.Position(n.Pos()).Line))
					}
					return true
				})
			case strings.HasSuffix(path, ".html"):
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
					checked++
					need(m[1], rel)
				}
				for _, m := range templatePrefix.FindAllStringSubmatch(string(b), -1) {
					checked++
					need(m[1]+"*", rel)
				}
				for _, m := range flashQuery.FindAllStringSubmatch(string(b), -1) {
					checked++
					need("flash."+m[1], rel)
				}
			}
			return nil
		})
		if err != nil {
			return nil, checked, err
		}
	}
	return missing, checked, nil
}

// goKeys returns the catalogue keys n names literally.
func goKeys(n ast.Node) []string {
	var out []string
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	switch n := n.(type) {
	case *ast.CallExpr:
		var name string
		switch f := n.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		case *ast.SelectorExpr:
			name = f.Sel.Name
		}
		if i, ok := keyArg[name]; ok && i < len(n.Args) {
			if s, ok := lit(n.Args[i]); ok && catalogueKey.MatchString(s) {
				out = append(out, s)
			}
			// "prefix." + x and fmt.Sprintf("prefix.%s", x): some key
			// must start with the prefix.
			var head ast.Expr
			switch a := n.Args[i].(type) {
			case *ast.BinaryExpr:
				if a.Op == token.ADD {
					head = a.X
				}
			case *ast.CallExpr:
				if sel, ok := a.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(a.Args) > 0 {
					head = a.Args[0]
				}
			}
			if head != nil {
				if s, ok := lit(head); ok {
					if p, _, _ := strings.Cut(s, "%"); strings.Contains(p, ".") && catalogueKey.MatchString(strings.TrimSuffix(p, ".")) {
						out = append(out, p+"*")
					}
				}
			}
		}
	case *ast.CompositeLit:
		if isStatus(n.Type) && len(n.Elts) == 2 {
			if s, ok := lit(n.Elts[1]); ok {
				out = append(out, s)
			}
		}
	case *ast.KeyValueExpr:
		id, ok := n.Key.(*ast.Ident)
		if !ok {
			break
		}
		s, ok := lit(n.Value)
		switch {
		case !ok:
		case keyFields[id.Name] && catalogueKey.MatchString(s):
			out = append(out, s)
		case id.Name == "Flash" && s != "":
			out = append(out, "flash."+s)
		}
	case *ast.BasicLit:
		if n.Kind == token.STRING {
			if s, err := strconv.Unquote(n.Value); err == nil {
				for _, m := range flashQuery.FindAllStringSubmatch(s, -1) {
					out = append(out, "flash."+m[1])
				}
			}
		}
	}
	return out
}

// isStatus reports whether t names kit.Status (or Status inside kit).
func isStatus(t ast.Expr) bool {
	switch t := t.(type) {
	case *ast.Ident:
		return t.Name == "Status"
	case *ast.SelectorExpr:
		return t.Sel.Name == "Status"
	}
	return false
}

func hasPrefix(cat map[string]i18n.Text, prefix string) bool {
	for k := range cat {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// TestMissingKeysAreFound: the scan of TestCatalogueHasEveryKeyUsed
// reports a key missing from the catalogue wherever a module uses it —
// its Go code (T and E calls, key fields, menu labels, flash names,
// prefixes built with + and Sprintf) and its templates — and nothing
// that is present.
func TestMissingKeysAreFound(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("internal/web/probe/module.go", `package probe

func use() {
	_ = kit.T(r, "probe.title")
	_ = kit.T(r, "probe.gone_t")
	_ = i18n.E("probe.gone_e")
	_ = &kit.Status{http.StatusConflict, "probe.gone_status"}
	_ = module.Nav{Key: "probe", Href: "/probe", Label: "probe.gone_nav"}
	_ = notify.Message{Key: "probe.gone_msg"}
	_ = kit.View{Flash: "gone_flash"}
	_ = kit.T(r, "probe.state."+s)
	_ = kit.T(r, fmt.Sprintf("probe.kind.%s", k))
}
`)
	write("internal/web/probe/module_test.go", `package probe

func x() { _ = kit.T(r, "probe.only_in_tests") }
`)
	write("internal/web/probe/templates/list.html", `{{define "content"}}<h1>{{t .Lang "probe.title"}}</h1>
<p>{{t $.Lang "probe.gone_tmpl" 3}}</p><p>{{t .Lang (printf "probe.color.%s" .C)}}</p><a href="/probe?flash=gone_link">x</a>{{end}}`)
	write("cmd/zhihui/probe.go", `package main

func y() { _ = i18n.T("en", "probe.gone_cmd") }
`)
	cat := map[string]i18n.Text{"probe.title": {Zh: "探针", En: "Probe"}, "probe.kind.a": {Zh: "甲", En: "A"}}
	missing, checked, err := missingKeys(root, cat)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range missing {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"flash.gone_flash", "flash.gone_link", "probe.color.*", "probe.gone_cmd", "probe.gone_e", "probe.gone_msg", "probe.gone_nav",
		"probe.gone_status", "probe.gone_t", "probe.gone_tmpl", "probe.state.*"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("missing keys found:\n %v\nwant\n %v", got, want)
	}
	if checked != 14 {
		t.Errorf("%d key uses checked, want 14", checked)
	}
	if w := missing["probe.gone_tmpl"]; len(w) != 1 || w[0] != filepath.Join("internal", "web", "probe", "templates", "list.html") {
		t.Errorf("probe.gone_tmpl used at %v", w)
	}
}

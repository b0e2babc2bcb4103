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
	root := repoRoot(t)
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
			t.Fatal(err)
		}
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

package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/auth"
)

// TestUserTokenCommand: `zhihui user token` creates tokens with the
// default 90-day lifetime, a given one or none, lists them, revokes one by
// its ID, refuses unknown lifetimes and IDs, and a password change through
// `zhihui user passwd` ends every remaining token — on both stores.
func TestUserTokenCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var storeArgs []string
			c := app.Config{LogLevel: "error"}
			if engine == "sqlite" {
				dir := dataDir(t)
				storeArgs = []string{"--data", dir}
				c.DataDir = dir
			} else {
				dsn := postgresDSN(t)
				storeArgs = []string{"--db", dsn}
				c.DSN = dsn
			}
			storeArgs = append(storeArgs, "--log-level", "error")
			run := func(stdin string, args ...string) (string, error) {
				t.Helper()
				dir := t.TempDir()
				in, err := os.Create(dir + "/in")
				if err != nil {
					t.Fatal(err)
				}
				in.WriteString(stdin)
				in.Seek(0, 0)
				out, err := os.Create(dir + "/out")
				if err != nil {
					t.Fatal(err)
				}
				oldIn, oldOut := os.Stdin, os.Stdout
				os.Stdin, os.Stdout = in, out
				runErr := cmdRun("user")(append(args, storeArgs...))
				os.Stdin, os.Stdout = oldIn, oldOut
				in.Close()
				out.Close()
				b, _ := os.ReadFile(dir + "/out")
				return string(b), runErr
			}
			must := func(stdin string, args ...string) string {
				t.Helper()
				out, err := run(stdin, args...)
				if err != nil {
					t.Fatalf("zhihui user %s: %v", strings.Join(args, " "), err)
				}
				return out
			}
			lookup := func(tok string) error {
				t.Helper()
				a, err := app.Open(context.Background(), c)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				_, err = auth.LookupToken(context.Background(), a.DB, tok)
				return err
			}

			must("first-Password-9\n", "add", "wang", "--role", "office", "--org", "41", "--password-stdin")
			tokDefault := strings.TrimSpace(must("", "token", "wang"))
			tokNever := strings.TrimSpace(must("", "token", "wang", "--expires", "never", "--name", "nightly"))
			tokShort := strings.TrimSpace(must("", "token", "wang", "--expires", "12h", "--name", "short"))
			for _, tok := range []string{tokDefault, tokNever, tokShort} {
				if !strings.HasPrefix(tok, "zh_") {
					t.Fatalf("token command printed %q, want a token", tok)
				}
				if err := lookup(tok); err != nil {
					t.Fatalf("new token refused: %v", err)
				}
			}

			list := must("", "token", "wang", "--list")
			if strings.Contains(list, "zh_") {
				t.Fatalf("the list shows a secret:\n%s", list)
			}
			line := func(label string) string {
				for _, l := range strings.Split(list, "\n") {
					if f := strings.Fields(l); len(f) > 1 && f[1] == label {
						return l
					}
				}
				t.Fatalf("no token %q in the list:\n%s", label, list)
				return ""
			}
			if l := line("nightly"); !strings.HasSuffix(strings.TrimSpace(l), "never") {
				t.Errorf("a token made with --expires never lists as %q", l)
			}
			if l := line("cli"); !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d\s*$`).MatchString(l) {
				t.Errorf("a default token lists without its expiry: %q", l)
			}
			shortID := strings.Fields(line("short"))[0]

			if out := must("", "token", "wang", "--revoke", shortID); !strings.Contains(out, "revoked token "+shortID) {
				t.Errorf("revoke said %q", out)
			}
			if err := lookup(tokShort); err == nil {
				t.Error("a revoked token still signs in")
			}
			if err := lookup(tokNever); err != nil {
				t.Errorf("revoking one token ended another: %v", err)
			}
			list = must("", "token", "wang", "--list")
			if strings.Contains(list, "short") {
				t.Errorf("the revoked token is still listed:\n%s", list)
			}
			if _, err := run("", "token", "wang", "--revoke", shortID); err == nil {
				t.Error("revoking a revoked token succeeded")
			}
			if _, err := run("", "token", "wang", "--expires", "3 fortnights"); err == nil || !strings.Contains(err.Error(), "无法识别") {
				t.Errorf("an unknown lifetime gave %v, want a bilingual refusal", err)
			}

			must("second-Password-9\n", "passwd", "wang", "--password-stdin")
			for _, tok := range []string{tokDefault, tokNever} {
				if err := lookup(tok); err == nil {
					t.Error("a token survived the password change")
				}
			}
			if list := must("", "token", "wang", "--list"); strings.Count(strings.TrimSpace(list), "\n") != 0 {
				t.Errorf("tokens listed after the password change:\n%s", list)
			}
		})
	}
}

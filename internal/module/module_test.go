package module

import (
	"strings"
	"testing"

	"zhihui/internal/cli"
)

// TestCheckCommands: two modules may not offer a command of the same
// name, and a command needs a name and a Run.
func TestCheckCommands(t *testing.T) {
	run := func(cli.Env, []string) error { return nil }
	ok := []Module{{Name: "a", Commands: []cli.Command{{Name: "x", Run: run}}}, {Name: "b", Commands: []cli.Command{{Name: "y", Run: run}}}}
	if err := Check(ok); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]Module{
		{{Name: "a", Commands: []cli.Command{{Name: "x", Run: run}}}, {Name: "b", Commands: []cli.Command{{Name: "x", Run: run}}}},
		{{Name: "a", Commands: []cli.Command{{Name: "", Run: run}}}},
		{{Name: "a", Commands: []cli.Command{{Name: "x"}}}},
	} {
		if err := Check(bad); err == nil || !strings.Contains(err.Error(), "command") {
			t.Errorf("Check(%v) = %v", bad, err)
		}
	}
}

package main

import (
	"slices"
	"sort"
	"sync"
	"testing"
)

var registerOnce sync.Once

// cmdRun is the run function of the command name as main finds it:
// zhihui's own or a module's.
func cmdRun(name string) func([]string) error {
	registerOnce.Do(func() {
		if err := registerModules(); err != nil {
			panic(err)
		}
	})
	c, ok := commands[name]
	if !ok {
		panic("no command " + name)
	}
	return c.run
}

// TestCommandNames: the command line offers the same commands whether
// they are zhihui's own or come from a module's Module value.
func TestCommandNames(t *testing.T) {
	cmdRun("version")
	var got []string
	for n := range commands {
		got = append(got, n)
	}
	sort.Strings(got)
	want := []string{"assess", "backup", "calls", "enterprises", "experts", "export", "import", "index", "inspect", "jobs", "migrate", "projects", "ratings", "serve", "surveys", "user", "version", "worker"}
	if !slices.Equal(got, want) {
		t.Errorf("commands %q, want %q", got, want)
	}
}

// Command zhihui runs the 智慧河南信息化推进平台: the web server, background
// workers and the maintenance commands that go with them, and every
// module's commands (module.Module.Commands).
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"zhihui/internal/app"
	"zhihui/internal/cli"
)

// command is one subcommand of zhihui.
type command struct {
	summary string
	run     func(args []string) error
}

// commands are zhihui's own commands, each in its own file registering
// itself in an init function; main adds the modules' commands.
var commands = map[string]command{}

func register(name, summary string, run func(args []string) error) {
	if _, dup := commands[name]; dup {
		panic("zhihui: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

// registerModules adds the commands of every module in app.Modules; a
// name taken twice is an error.
func registerModules() error {
	for _, m := range app.Modules() {
		for _, c := range m.Commands {
			if _, dup := commands[c.Name]; dup {
				return fmt.Errorf("command %q of module %q is registered twice", c.Name, m.Name)
			}
			commands[c.Name] = command{summary: c.Summary, run: func(args []string) error { return c.Run(commandEnv(), args) }}
		}
	}
	return nil
}

// commandEnv is what a module's command gets: the store flags and a way
// to open the store they choose, bootstrapped as at every start.
func commandEnv() cli.Env {
	c := new(app.Config)
	return cli.Env{
		StoreFlags: c.StoreFlags,
		Open: func(ctx context.Context) (*cli.App, error) {
			a, err := openApp(ctx, *c)
			if err != nil {
				return nil, err
			}
			return cli.NewApp(a.DB, a.Log, a.Where(), a.Close), nil
		},
	}
}

// openApp opens the store of c and bootstraps it.
func openApp(ctx context.Context, c app.Config) (*app.App, error) {
	a, err := app.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := a.Bootstrap(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: zhihui COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
}

func main() {
	if err := registerModules(); err != nil {
		fmt.Fprintln(os.Stderr, "zhihui: "+err.Error())
		os.Exit(2)
	}
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage()
		return
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "zhihui: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "zhihui "+name+": "+err.Error())
		os.Exit(1)
	}
}

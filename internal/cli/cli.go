// Package cli is what a module's `zhihui` subcommands use from the
// command line core, as package kit is for its web handlers: a module
// lists its commands in its Module value (module.Module.Commands) and
// cmd/zhihui offers every listed module's commands next to its own
// (serve, worker, migrate, user, backup, version). A command parses its
// flags, adds the store's flags with Env.StoreFlags, opens the store with
// Env.Open and calls the domain package.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Command is one `zhihui NAME …` subcommand.
type Command struct {
	// Name is the subcommand's name; unique among all commands.
	Name string
	// Summary is its line in `zhihui help`.
	Summary string
	// Run runs it with the arguments after its name; an error is printed
	// as "zhihui NAME: …" and the process exits with status 1.
	Run func(env Env, args []string) error
}

// Env is what the command line hands a command.
type Env struct {
	// StoreFlags adds the flags that choose the store (--data, --db,
	// --log-level) to fs.
	StoreFlags func(fs *flag.FlagSet)
	// Open opens the store those flags chose, after fs.Parse: migrated
	// and bootstrapped as at every start. Close the App when done.
	Open func(ctx context.Context) (*App, error)
}

// App is an open store.
type App struct {
	DB    *store.DB
	Log   *slog.Logger
	where string
	close func() error
}

// NewApp describes an open store: where names it for messages, close
// releases it.
func NewApp(db *store.DB, log *slog.Logger, where string, close func() error) *App {
	return &App{DB: db, Log: log, where: where, close: close}
}

// Where describes the store for messages.
func (a *App) Where() string { return a.where }

// Close releases the store.
func (a *App) Close() error {
	if a.close == nil {
		return nil
	}
	return a.close()
}

// Dispatch runs the subcommand of cmd that args name.
func Dispatch(env Env, cmd, usage string, args []string, subs map[string]func(Env, []string) error) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	run, ok := subs[args[0]]
	if !ok {
		return fmt.Errorf("unknown %s command %q\n%s", cmd, args[0], usage)
	}
	return run(env, args[1:])
}

// PrintJSON writes v as indented JSON, without HTML escaping.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Positional splits leading arguments that are not flags from the flags
// after them and parses the flags; flags may also come first.
func Positional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 && (len(args[0]) == 0 || args[0][0] != '-') {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return append(pos, fs.Args()...), nil
}

// FileArg parses a command's flags, accepting its FILE argument before
// or after them; "" when none is given.
func FileArg(fs *flag.FlagSet, args []string) (string, error) {
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	return file, nil
}

// Actor is who a command acts as, set by --as.
type Actor struct {
	Name string
	P    *auth.Principal
	A    audit.Actor
}

// AsFlag adds --as to fs.
func AsFlag(fs *flag.FlagSet) *Actor {
	var x Actor
	fs.StringVar(&x.Name, "as", "", "act as this user, with the roles it holds at its units (default: the system, over the whole province)")
	return &x
}

// Resolve finds the user of --as in db: its grants scope every object
// the command touches as they scope its requests to the server. Without
// --as the command acts as the system with the administrator's role over
// the province.
func (x *Actor) Resolve(ctx context.Context, db *store.DB) error {
	if x.Name == "" {
		x.P = &auth.Principal{User: &auth.User{Name: audit.System.Name, Grants: []auth.Grant{{Role: auth.Admin, OrgCode: orgunit.Root, OrgPath: "/" + orgunit.Root + "/"}}}}
		x.A = audit.System
		return nil
	}
	u, err := auth.UserByName(ctx, db, x.Name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("--as %s: no such user", x.Name)
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return fmt.Errorf("--as %s: the account is disabled", x.Name)
	}
	x.P = &auth.Principal{User: u}
	x.A = x.P.Actor("cli")
	return nil
}

// Refused words a scope refusal for the command line.
func (x *Actor) Refused() error {
	who := x.Name
	if who == "" {
		who = "the system"
	}
	return fmt.Errorf("%s may not do this: the object lies outside its units or roles", who)
}

// ActingFlags is the flag set of a command that acts as a user: the
// store's flags and --as.
func ActingFlags(env Env, name string) (*flag.FlagSet, *Actor) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	env.StoreFlags(fs)
	return fs, AsFlag(fs)
}

// OpenAs opens the store and resolves x in it.
func OpenAs(ctx context.Context, env Env, x *Actor) (*App, error) {
	a, err := env.Open(ctx)
	if err != nil {
		return nil, err
	}
	if err := x.Resolve(ctx, a.DB); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// WriteOut calls write with the file path, created anew, or with the
// standard output when path is "-". A failed write or close removes the
// file and is the error returned.
func WriteOut(path string, write func(w io.Writer) error) error {
	if path == "-" {
		return write(os.Stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

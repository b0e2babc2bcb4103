package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"zhihui/internal/app"
	"zhihui/internal/i18n"
)

// The usual words of an import's --dry-run and --lang.
const (
	dryRunHelp = "check the file and print what importing it would do, writing nothing"
	langHelp   = "language of the error report: zh-CN or en"
)

// importCmd is the command line of an import: FILE, the store's flags,
// --dry-run and --lang, and --as when the import acts as a user.
type importCmd struct {
	fs   *flag.FlagSet
	c    app.Config
	as   *actor
	dry  *bool
	lang *string
	file string
}

// importCommand is the flag set of the import command name, its
// --dry-run and --lang described by dryHelp and langHelp; the command
// adds its own flags to fs.
func importCommand(name, dryHelp, langHelp string) *importCmd {
	ic := &importCmd{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	ic.c.StoreFlags(ic.fs)
	ic.dry = ic.fs.Bool("dry-run", false, dryHelp)
	ic.lang = ic.fs.String("lang", "zh-CN", langHelp)
	return ic
}

// acting adds --as: the import acts as that user, within its units.
func (ic *importCmd) acting() *importCmd {
	ic.as = asFlag(ic.fs)
	return ic
}

// run parses args (FILE before or after the flags; without one the
// command fails with usage), opens the file, then the store, as the
// user of --as when the command takes it, and calls do with them.
func (ic *importCmd) run(args []string, usage string, do func(ctx context.Context, a *app.App, f *os.File) error) error {
	file, err := parseFileArgs(ic.fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		return errors.New(usage)
	}
	ic.file = file
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx := context.Background()
	var a *app.App
	if ic.as != nil {
		a, err = openAs(ctx, ic.c, ic.as)
	} else {
		a, err = openApp(ctx, ic.c)
	}
	if err != nil {
		return err
	}
	defer a.Close()
	return do(ctx, a, f)
}

// importWords say what an import did: the tail of its refusal, the verb
// of a write and the verb of a dry run.
type importWords struct{ nothing, did, would string }

var imported = importWords{"nothing imported", "imported", "would import"}

// report prints what an import came to. With js (--json) it prints js as
// JSON, otherwise each of errs in --lang; n errors (all of them, listed
// or not) refuse the import with an error worded by w. An import without
// errors is told by done, given the verb of w for a write or, with
// --dry-run, for a dry run; with js it is not called.
func (ic *importCmd) report(w importWords, errs []*i18n.Error, n int, js any, done func(verb string) error) error {
	if js != nil {
		if err := printJSON(os.Stdout, js); err != nil {
			return err
		}
	} else {
		for _, e := range errs {
			fmt.Println(e.Message(*ic.lang))
		}
	}
	if n > 0 {
		return fmt.Errorf("%d errors: %s", n, w.nothing)
	}
	if js != nil {
		return nil
	}
	verb := w.did
	if *ic.dry {
		verb = w.would
	}
	return done(verb)
}

// parseFileArgs parses a command's flags, accepting its FILE argument
// before or after them; the file is "" when none is given.
func parseFileArgs(fs *flag.FlagSet, args []string) (string, error) {
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

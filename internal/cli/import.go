package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"zhihui/internal/i18n"
)

// The usual words of an import's --dry-run and --lang.
const (
	DryRunHelp = "check the file and print what importing it would do, writing nothing"
	LangHelp   = "language of the error report: zh-CN or en"
)

// Import is the command line of an import: FILE, the store's flags,
// --dry-run and --lang, and --as when the import acts as a user. The
// command adds its own flags to FS.
type Import struct {
	FS   *flag.FlagSet
	As   *Actor
	Dry  *bool
	Lang *string
	// File is the file named, once Run has parsed the arguments.
	File string
	env  Env
}

// NewImport is the flag set of the import command name, its --dry-run
// and --lang described by dryHelp and langHelp.
func NewImport(env Env, name, dryHelp, langHelp string) *Import {
	ic := &Import{FS: flag.NewFlagSet(name, flag.ContinueOnError), env: env}
	env.StoreFlags(ic.FS)
	ic.Dry = ic.FS.Bool("dry-run", false, dryHelp)
	ic.Lang = ic.FS.String("lang", "zh-CN", langHelp)
	return ic
}

// Acting adds --as: the import acts as that user, within its units.
func (ic *Import) Acting() *Import {
	ic.As = AsFlag(ic.FS)
	return ic
}

// Run parses args (FILE before or after the flags; without one the
// command fails with usage), opens the file, then the store, as the
// user of --as when the command takes it, and calls do with them.
func (ic *Import) Run(args []string, usage string, do func(ctx context.Context, a *App, f *os.File) error) error {
	file, err := FileArg(ic.FS, args)
	if err != nil {
		return err
	}
	if file == "" {
		return errors.New(usage)
	}
	ic.File = file
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx := context.Background()
	var a *App
	if ic.As != nil {
		a, err = OpenAs(ctx, ic.env, ic.As)
	} else {
		a, err = ic.env.Open(ctx)
	}
	if err != nil {
		return err
	}
	defer a.Close()
	return do(ctx, a, f)
}

// ImportWords say what an import did: the tail of its refusal, the verb
// of a write and the verb of a dry run.
type ImportWords struct{ Nothing, Did, Would string }

// Imported are the words of most imports.
var Imported = ImportWords{Nothing: "nothing imported", Did: "imported", Would: "would import"}

// Report prints what an import came to. With js (--json) it prints js as
// JSON, otherwise each of errs in --lang; n errors (all of them, listed
// or not) refuse the import with an error worded by w. An import without
// errors is told by done, given the verb of w for a write or, with
// --dry-run, for a dry run; with js it is not called.
func (ic *Import) Report(w ImportWords, errs []*i18n.Error, n int, js any, done func(verb string) error) error {
	if js != nil {
		if err := PrintJSON(os.Stdout, js); err != nil {
			return err
		}
	} else {
		for _, e := range errs {
			fmt.Println(e.Message(*ic.Lang))
		}
	}
	if n > 0 {
		return fmt.Errorf("%d errors: %s", n, w.Nothing)
	}
	if js != nil {
		return nil
	}
	verb := w.Did
	if *ic.Dry {
		verb = w.Would
	}
	return done(verb)
}

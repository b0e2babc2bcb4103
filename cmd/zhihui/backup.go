package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"zhihui/internal/app"
	"zhihui/internal/store"
)

func init() {
	register("backup", "write a consistent copy of the database (--out FILE)", runBackup)
}

func runBackup(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	c.StoreFlags(fs)
	out := fs.String("out", "", "file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if store.IsPostgresDSN(c.DSN) {
		return errors.New(`PostgreSQL is backed up with its own tools, which copy a consistent snapshot while Zhihui runs:
  pg_dump --format=custom --file=zhihui.dump "$ZHIHUI_DB"
and restored with
  pg_restore --clean --dbname="$ZHIHUI_DB" zhihui.dump
(see docs/operations.md)`)
	}
	if *out == "" {
		return errors.New("--out FILE is required")
	}
	ctx := context.Background()
	a, err := app.Open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.DB.Backup(ctx, *out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes)\n", *out, n)
	_ = os.Stdout.Sync()
	return nil
}

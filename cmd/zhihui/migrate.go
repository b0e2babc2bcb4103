package main

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"zhihui/internal/app"
)

func init() {
	register("migrate", "bring the database schema up to date and print its version", runMigrate)
}

func runMigrate(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	c.StoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := app.Open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.Versions(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(v))
	for n := range v {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("store: %s\nschema versions:\n", a.Where())
	for _, n := range names {
		fmt.Printf("  %-10s %d\n", n, v[n])
	}
	return nil
}

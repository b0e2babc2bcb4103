package project

import (
	"context"
	"flag"
	"fmt"
	"os"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

// pairOut is one similar pair as printed.
type pairOut struct {
	A     int64   `json:"a"`
	ANum  string  `json:"a_number"`
	AName string  `json:"a_name"`
	B     int64   `json:"b"`
	BNum  string  `json:"b_number"`
	BName string  `json:"b_name"`
	Score float64 `json:"score"`
	// NearCopy: the texts' SimHashes are within a few bits (printed
	// whatever the score).
	NearCopy bool `json:"near_copy"`
}

func runProjects(env cli.Env, args []string) error {
	if len(args) > 0 && args[0] == "om" {
		return runOM(env, args[1:])
	}
	if len(args) > 0 && args[0] == "systems" {
		return runSystems(env, args[1:])
	}
	if len(args) > 0 {
		if st, ok := projectSteps[args[0]]; ok {
			return runStep(env, args[0], st, args[1:])
		}
		if run, ok := map[string]func(cli.Env, []string) error{"document": projectsDocument, "draw": projectsDraw, "import": projectsImport, "reviews": projectsReviews, "score": projectsScore, "thresholds": projectsThresholds, "publication": projectsPublication, "publish": projectsPublish}[args[0]]; ok {
			return run(env, args[1:])
		}
	}
	if len(args) == 0 || args[0] != "similar" {
		return fmt.Errorf("usage: zhihui projects similar --all [--threshold T] [--json] [--data DIR] [--db DSN]\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s", stepsUsage, omUsage, reviewsUsage, systemsUsage, importUsage, thresholdsUsage, "usage: zhihui projects document ID FILE --kind KIND [--json]", publicationUsage)
	}
	fs := flag.NewFlagSet("projects similar", flag.ContinueOnError)
	env.StoreFlags(fs)
	all := fs.Bool("all", false, "compare every project with every other")
	threshold := fs.Float64("threshold", 0.5, "the least similarity (Jaccard index of word pairs estimated by MinHash, 0–1) a pair is printed with; near copies (SimHash) are printed whatever their score")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !*all {
		return fmt.Errorf("--all is required")
	}
	if *threshold <= 0 || *threshold > 1 {
		return fmt.Errorf("--threshold must be in (0, 1]")
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	// Projects registered before signatures were kept are signed once.
	if _, err := svc.IndexAll(ctx); err != nil {
		return err
	}
	docs, err := svc.Signatures(ctx, project.KindProject)
	if err != nil {
		return err
	}
	pairs := project.SimilarPairs(docs, *threshold)
	var ids []int64
	for _, p := range pairs {
		ids = append(ids, p.A, p.B)
	}
	byID, err := svc.Names(ctx, ids)
	if err != nil {
		return err
	}
	out := []pairOut{}
	for _, p := range pairs {
		pa, pb := byID[p.A], byID[p.B]
		out = append(out, pairOut{A: p.A, ANum: pa.Number, AName: pa.Name, B: p.B, BNum: pb.Number, BName: pb.Name, Score: float64(int(p.Score*1000+0.5)) / 1000, NearCopy: p.NearCopy})
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, out)
	}
	t := cli.NewTable("score", "near copy", "project", "name", "similar to", "name")
	for _, p := range out {
		near := ""
		if p.NearCopy {
			near = "yes"
		}
		t.Row(fmt.Sprintf("%.3f", p.Score), near, p.ANum, p.AName, p.BNum, p.BName)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d projects, %d pairs at or above %g\n", len(docs), len(out), *threshold)
	return nil
}

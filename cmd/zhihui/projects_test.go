package main

import (
	"context"
	"encoding/json"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/project"
)

// TestProjectsSimilarAll prints, as JSON, the pairs of the demo portfolio
// at or above the threshold (and near copies by SimHash), including the
// planted near duplicate, best first; a missing --all is refused.
func TestProjectsSimilarAll(t *testing.T) {
	dir := dataDir(t)
	ctx := context.Background()
	c := app.Config{DataDir: dir, LogLevel: "error"}
	a, err := app.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := project.LoadDemo(ctx, a.DB); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := cmdRun("projects")([]string{"similar", "--data", dir}); err == nil {
		t.Fatal("similar without --all accepted")
	}
	b, err := captureStdout(t, func() error {
		return cmdRun("projects")([]string{"similar", "--all", "--threshold", "0.6", "--json", "--data", dir, "--log-level", "error"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var pairs []struct {
		A        int64   `json:"a"`
		ANum     string  `json:"a_number"`
		B        int64   `json:"b"`
		BNum     string  `json:"b_number"`
		Score    float64 `json:"score"`
		NearCopy bool    `json:"near_copy"`
	}
	if err := json.Unmarshal([]byte(b), &pairs); err != nil || len(pairs) == 0 {
		t.Fatalf("not a list of pairs: %v\n%s", err, b)
	}
	planted := false
	for i, p := range pairs {
		if p.Score < 0.6 && !p.NearCopy || (i > 0 && p.Score > pairs[i-1].Score) || p.A >= p.B {
			t.Fatalf("pair %d out of order or below the threshold: %+v", i, p)
		}
		planted = planted || (p.ANum[len(p.ANum)-3:] == "007" && p.BNum[len(p.BNum)-3:] == "008")
	}
	if !planted {
		t.Errorf("the planted near duplicate DEMO-…-008 of DEMO-…-007 is missing: %+v", pairs[:min(5, len(pairs))])
	}
}

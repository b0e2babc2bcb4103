package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhihui/internal/jobs"
	webjobs "zhihui/internal/web/jobs"
)

// TestJobsCommand: `zhihui jobs list` shows a scheduled job in either
// language and as JSON, `jobs cancel` cancels it and `jobs retry` makes
// it run again; an unknown state and a missing job are refused.
func TestJobsCommand(t *testing.T) {
	a, flags := cliSite(t, nil)
	ctx := context.Background()
	e, err := jobs.Open(ctx, a.DB, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Insert(ctx, webjobs.SampleArgs{}, &jobs.InsertOpts{ScheduledAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(res.ID, 10)
	run := func(args ...string) (string, error) {
		return captureStdout(t, func() error { return cmdRun("jobs")(append(args, flags...)) })
	}
	if out, err := run("list", "--state", "scheduled"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, "已计划") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := run("list", "--lang", "en"); err != nil || !strings.Contains(out, "Scheduled") {
		t.Fatalf("list in English: %v\n%s", err, out)
	}
	if out, err := run("list", "--json"); err != nil || !strings.Contains(out, `"id": `+id) || !strings.Contains(out, `"state": "scheduled"`) {
		t.Fatalf("list as JSON: %v\n%s", err, out)
	}
	if out, err := run("cancel", id); err != nil || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %v\n%s", err, out)
	}
	if i, err := e.Get(ctx, res.ID); err != nil || i.State != jobs.Cancelled {
		t.Fatalf("after cancel: %+v %v", i, err)
	}
	if out, err := run("retry", id); err != nil || !strings.Contains(out, "available") {
		t.Fatalf("retry: %v\n%s", err, out)
	}
	if _, err := run("list", "--state", "bogus"); err == nil {
		t.Error("an unknown state was accepted")
	}
	if _, err := run("cancel", "999999"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("cancel of a missing job: %v", err)
	}
}

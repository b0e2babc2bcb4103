package app

import (
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/notify"
	"zhihui/internal/reporting"
)

// TestEveryJobKindHasALabel: the job list names each kind of job from
// the catalogue key jobs.kind.KIND, which the module that registers the
// kind puts in its own catalogue. A module whose job has no label fails
// here, whatever its settings (mail on, probes on, demo).
func TestEveryJobKindHasALabel(t *testing.T) {
	mods := Modules()
	if err := module.RegisterCatalogs(mods); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := jobs.NewRegistry()
	module.RegisterJobs(mods, r, module.JobEnv{Log: log, Demo: true, ProbeInterval: time.Hour, Mail: &notify.Mailer{}, Notify: notify.NewService()})
	reporting.RegisterDemoJob(r, nil, log, reporting.NewDemoProgress()) // serve --demo's own job
	kinds := r.Kinds()
	if len(kinds) < 10 {
		t.Fatalf("only %d job kinds registered: %v", len(kinds), kinds)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		l, ok := cat["jobs.kind."+k]
		if !ok {
			t.Errorf("job kind %s has no label: add jobs.kind.%s to its module's catalogue", k, k)
			continue
		}
		if l.Zh == "" || l.En == "" {
			t.Errorf("job kind %s: label %+v", k, l)
		}
	}
}

// TestOperationsListsEveryJob: docs/operations.md (*Background jobs*,
// *Which jobs*) names every job kind and every periodic job a process
// may register, whatever its settings (mail on, probes on, demo), so
// that operators find what each job on /jobs is.
func TestOperationsListsEveryJob(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := jobs.NewRegistry()
	module.RegisterJobs(Modules(), r, module.JobEnv{Log: log, Demo: true, ProbeInterval: time.Hour, Mail: &notify.Mailer{}, Notify: notify.NewService()})
	reporting.RegisterDemoJob(r, nil, log, reporting.NewDemoProgress())
	names := append(r.Kinds(), r.Periodic()...)
	if len(r.Periodic()) < 5 {
		t.Fatalf("only %d periodic jobs registered: %v", len(r.Periodic()), r.Periodic())
	}
	for _, k := range names {
		if !strings.Contains(string(doc), "| `"+k+"` |") {
			t.Errorf("docs/operations.md does not list the job %s: add a row for it to the table under *Which jobs*", k)
		}
	}
}

package plan

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"zhihui/internal/i18n"
)

func FuzzLoad(f *testing.F) {
	f.Add([]byte(validPlan))
	f.Add([]byte(validPlan + secondTask))
	f.Add([]byte("code: x\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("tasks:\n  - {id: T3.1.1, section: §3.1, lead: 41D-GXT, milestones: [{date: 2015-13-01}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(fstest.MapFS{"f.yaml": {Data: data}})
		if err != nil {
			var errs i18n.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not i18n.Errors: %v", err)
			}
			for _, e := range errs {
				if e.Zh == "" || e.En == "" || !strings.HasPrefix(e.Place, "f.yaml") {
					t.Fatalf("incomplete error %+v", e)
				}
			}
			return
		}
		// A plan that loads keeps the promises validation makes.
		for _, task := range p.Tasks(TaskFilter{}) {
			if _, ok := LookupDepartment(task.Lead); !ok {
				t.Fatalf("task %s has unknown lead %q", task.ID, task.Lead)
			}
			if _, ok := p.Section(task.Section); !ok {
				t.Fatalf("task %s has unknown section %q", task.ID, task.Section)
			}
			if task.Due().IsZero() {
				t.Fatalf("task %s has no deadline", task.ID)
			}
		}
		for _, tg := range p.Targets() {
			for _, v := range tg.Values {
				if (tg.Kind == Quantitative) != (v.Value != nil) {
					t.Fatalf("target %s: value presence does not match kind %s", tg.Code, tg.Kind)
				}
			}
		}
	})
}

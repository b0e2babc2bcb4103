package plan

import "testing"

func TestDefaultLoads(t *testing.T) {
	p := Default()
	if len(p.Tasks(TaskFilter{})) == 0 || len(p.Targets()) == 0 {
		t.Fatal("embedded plan has no tasks or targets")
	}
}

package journey

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
)

// addPanelExperts puts experts into the pool as the project journeys'
// panels need them: e-government experts of 郑州市, all available.
func addPanelExperts(ctx context.Context, svc *project.Service, a audit.Actor, experts ...project.Expert) error {
	for _, e := range experts {
		e.Fields, e.Region, e.Available = []string{"egov"}, "4101", true
		if _, err := svc.AddExpert(ctx, a, e); err != nil {
			return err
		}
	}
	return nil
}

// projectPeople creates the accounts the project journeys log in with:
// the 中原区 owner unit's project manager (zy-pm), the provincial office
// (ban) and the expert 王建国 (wjg).
func projectPeople(s *Site) {
	s.User("zy-pm", "中原区项目负责人", auth.Reporter, "410102")
	s.User("ban", "省信息化办公室", auth.Office, "41")
	s.User("wjg", "王建国", auth.Expert, "41")
}

// document writes a file called name holding text for a user to upload
// and returns its path.
func document(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

package ecstat

import (
	"os"
	"testing"

	"zhihui/internal/store/storetest"
)

// TestMain removes the store templates the tests filled once.
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.RemoveTemplates()
	os.Exit(code)
}

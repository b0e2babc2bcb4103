package journey

import (
	"os"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/store/storetest"
)

func TestMain(m *testing.M) {
	// Every site's accounts and every login: hash passwords cheaply.
	auth.UseTestHashCost()
	code := m.Run()
	browser.Shutdown()
	storetest.RemoveTemplates()
	os.Exit(code)
}

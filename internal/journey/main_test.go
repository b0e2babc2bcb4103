package journey

import (
	"testing"

	"zhihui/internal/journey/browser"
)

func TestMain(m *testing.M) { browser.Main(m) }

package journey

import (
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
)

// TestLoginFromHome logs in from the home page through the login page on
// both stores and lands back with the user's name in the header.
func TestLoginFromHome(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		s.User("j-leader", "省领导甲", auth.Leader, "41")
		b := browser.NewTab(t, s.URL)
		b.Login("j-leader", Password)
		if !b.Has("省领导甲") {
			t.Fatalf("header lacks the user's name: %.300s", b.Text())
		}
	})
}

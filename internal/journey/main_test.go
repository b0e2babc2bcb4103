package journey

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/store/storetest"
)

func TestMain(m *testing.M) {
	// Every site's accounts and every login: hash passwords cheaply.
	auth.UseTestHashCost()
	// Journeys run in parallel (each on its own site and store, in its
	// own incognito tabs of the one browser). A journey spends most of its
	// time waiting for the browser or the server, so twice as many as
	// there are processors run at once, unless -test.parallel says
	// otherwise (four times as many made the whole suite slower: the
	// browser's renderers took the cores from the other packages).
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", fmt.Sprint(2*runtime.GOMAXPROCS(0)))
	}
	code := m.Run()
	browser.Shutdown()
	storetest.RemoveTemplates()
	os.Exit(code)
}

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
	// time waiting for the browser or the server, so four times as many as
	// there are processors run at once, unless -test.parallel says
	// otherwise: this package is the longest of make test, which runs
	// other packages beside it, and fewer journeys at once left it waiting
	// while the cores went to the others.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", fmt.Sprint(4*runtime.GOMAXPROCS(0)))
	}
	code := m.Run()
	browser.Shutdown()
	storetest.RemoveTemplates()
	os.Exit(code)
}

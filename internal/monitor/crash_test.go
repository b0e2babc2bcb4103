package monitor

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// The child side of TestKillDuringImport: open the store, read the file,
// say so, commit. The parent kills it while it commits.
func init() {
	file := os.Getenv("ZHIHUI_CRASH_IMPORT")
	if file == "" {
		return
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: os.Getenv("ZHIHUI_CRASH_DATA"), DSN: os.Getenv("ZHIHUI_CRASH_DSN")})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	im, err := ReadImport(ctx, db, file, f, ImportOptions{})
	if err != nil || im.ErrorCount > 0 {
		fmt.Println("error", err, im.Errors)
		os.Exit(2)
	}
	fmt.Println("committing")
	if _, err := im.Commit(ctx, db, tester); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println("done")
	os.Exit(0)
}

func TestKillDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			opt := store.Options{DataDir: dir}
			if engine == "postgres" {
				base := storetest.PostgresDSN()
				if base == "off" {
					t.Skip("PostgreSQL tests disabled")
				}
				opt = store.Options{DSN: storetest.WithSearchPath(base, storetest.NewSchema(t, base))}
			}
			db, err := store.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			setup(t, db)
			if engine == "postgres" {
				// The set-up may have moved the store to a copy of a
				// template database: the child opens that.
				opt.DSN = storetest.DSN(t, db)
			}
			mustElement(t, db, Element{Code: "VBB_PORTS", Name: "端口", ValueType: Integer, Aggregation: Sum, PeriodType: "monthly"})
			mustElement(t, db, Element{Code: "VBB_SPEED", Name: "速率", ValueType: Number, Aggregation: Max, PeriodType: "monthly"})
			vs, err := orgunit.Descendants(ctx, db, "/41/", 5, 0)
			if err != nil {
				t.Fatal(err)
			}
			vs = vs[:40000]
			file := filepath.Join(dir, "big.csv")
			w, _ := os.Create(file)
			bw := bufio.NewWriter(w)
			bw.WriteString("dataElement,orgUnit,period,value\n")
			total := 0
			for i, v := range vs {
				fmt.Fprintf(bw, "VBB_PORTS,%s,201507,%d\nVBB_SPEED,%s,201507,%d.5\n", v.Code, i%97, v.Code, i%13)
				total += 2
			}
			bw.Flush()
			w.Close()

			rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
			var killed bool
			for attempt := 0; attempt < 3 && !killed; attempt++ {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "ZHIHUI_CRASH_IMPORT="+file, "ZHIHUI_CRASH_DATA="+dir, "ZHIHUI_CRASH_DSN="+opt.DSN)
				out, _ := cmd.StdoutPipe()
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(out)
				if !sc.Scan() || sc.Text() != "committing" {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("child said %q", sc.Text())
				}
				time.Sleep(time.Duration(20+rnd.IntN(300)) * time.Millisecond)
				cmd.Process.Signal(syscall.SIGKILL)
				rest := ""
				for sc.Scan() {
					rest += sc.Text()
				}
				cmd.Wait()
				killed = !strings.Contains(rest, "done")
				t.Logf("attempt %d: killed mid-commit: %v", attempt, killed)
			}
			// Reopen and check: all or nothing, aggregates match the values.
			db.Close()
			db2, err := store.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			var n int
			if err := db2.R.QueryRow("SELECT count(*) FROM monitor_value").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 && n != total {
				t.Fatalf("%d values after kill -9, want 0 or %d", n, total)
			}
			t.Logf("%d values after kill -9 (killed mid-commit: %v)", n, killed)
			assertConsistent(t, db2)
			var sum float64
			if err := db2.R.QueryRow("SELECT COALESCE(sum(value), 0) FROM monitor_value v JOIN monitor_element e ON e.id = v.element_id WHERE e.code = 'VBB_PORTS'").Scan(&sum); err != nil {
				t.Fatal(err)
			}
			r, err := Analytics(ctx, db2, Query{DX: []string{"VBB_PORTS"}, PE: []string{"2015"}, OU: []string{"41"}})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := r.Get("VBB_PORTS", "2015", "41")
			if got != sum {
				t.Fatalf("province aggregate %v, raw sum %v", got, sum)
			}
		})
	}
}

// Command feedback measures the public rating endpoint, POST
// /api/v1/ratings, of a real `zhihui serve` on 127.0.0.1, against the
// plain-insert baseline: the same rows inserted straight into
// publiceval_rating, one transaction each, with the same store and the
// same number of concurrent writers, in the same run.
//
//	feedback -zhihui BIN [-db DSN | (SQLite in a temporary directory)] [-c 64] [-d 10s]
//
// Raters: each connection comes from its own loopback address (the
// generator binds its connections to 127.a.b.c, a fresh address every
// three ratings, spread over many /24 networks), so the server's
// per-address limit (300 ratings per address in 10 minutes, answered
// 429) and the burst flags (more than 5 per address, 30 per /24 network,
// 3 per device in 10 minutes) run on every request without being what
// is measured. Nothing is configured on the server: no allow-list, no
// lifted limit. Levels follow a plausible spread (60 % 非常满意, 20 %
// 满意, 12 % 基本满意, 5 % 不满意, 3 % 非常不满意: 8 % 差评, each of which
// opens a case), and 5 % of the ratings are named with their own case
// number and phone.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/store"
)

func main() {
	bin := flag.String("zhihui", "", "the zhihui binary to serve with")
	dsn := flag.String("db", "", "PostgreSQL DSN (a schema of its own is created and dropped); empty: SQLite in a temporary directory")
	conc := flag.Int("c", 64, "concurrent clients (and concurrent writers of the baseline)")
	dur := flag.Duration("d", 10*time.Second, "measured duration")
	warm := flag.Duration("warm", 2*time.Second, "warm-up before the measured duration")
	perConn := flag.Int("per-conn", 3, "ratings per connection (per client address)")
	kill := flag.Duration("kill-after", 0, "instead of measuring: kill -9 the server this long into the run, then check that every rating answered 201 is stored")
	widget := flag.Int("widget", 30, "percentage of ratings sent as the embedded widget does, from the target's own site (Origin header, ?via=widget)")
	profile := flag.String("profile", "", "write the server's CPU profile of the run (warm-up included) to this file")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "feedback: -zhihui BIN is required")
		os.Exit(2)
	}
	if err := run(*bin, *dsn, *conc, *dur, *warm, *perConn, *widget, *profile, *kill); err != nil {
		fmt.Fprintln(os.Stderr, "feedback:", err)
		os.Exit(1)
	}
}

func run(bin, pgDSN string, conc int, dur, warm time.Duration, perConn, widget int, profile string, kill time.Duration) error {
	ctx := context.Background()
	cfg := app.Config{LogLevel: "error"}
	storeName := "sqlite"
	var dropSchema func()
	// On PostgreSQL, the CPU of the database's backends serving the
	// server (then the baseline's writers), found by application_name.
	backends := func() map[int]time.Duration { return nil }
	if pgDSN != "" {
		storeName = "postgres"
		b := make([]byte, 4)
		rand.Read(b)
		schema := "bench_feedback_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", pgDSN)
		if err != nil {
			return err
		}
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			return err
		}
		dropSchema = func() { admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); admin.Close() }
		defer dropSchema()
		u, err := url.Parse(pgDSN)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		q.Set("application_name", schema)
		u.RawQuery = q.Encode()
		cfg.DSN = u.String()
		backends = func() map[int]time.Duration {
			out := map[int]time.Duration{}
			rows, err := admin.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, schema)
			if err != nil {
				return out
			}
			defer rows.Close()
			for rows.Next() {
				var pid int
				if rows.Scan(&pid) == nil {
					out[pid] = procCPU(pid)
				}
			}
			return out
		}
	} else {
		dir, err := os.MkdirTemp("", "feedback")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}

	// The store with one service target, as an office registers it.
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	if err := a.Bootstrap(ctx); err != nil {
		a.Close()
		return err
	}
	tg, err := dom.AddTarget(ctx, a.DB, audit.System, dom.NewTarget{Kind: dom.KindService, Name: "社保卡申领", URL: benchSite + "/bs/sbk", OrgCode: "410102"},
		func(string) bool { return true })
	a.Close()
	if err != nil {
		return err
	}

	// A real server in its own process.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"serve", "--addr", addr}
	if cfg.DSN != "" {
		args = append(args, "--db", cfg.DSN)
	} else {
		args = append(args, "--data", cfg.DataDir)
	}
	if profile != "" {
		args = append(args, "--cpu-profile", profile)
	}
	srv := exec.Command(bin, args...)
	srv.Env = append(os.Environ(), "ZHIHUI_LOG_LEVEL=error")
	srv.Stdout, srv.Stderr = io.Discard, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill()
	if err := waitUp(addr, time.Minute); err != nil {
		return err
	}

	gen := &generator{addr: addr, target: tg.Key, perConn: perConn, widget: int64(widget)}
	gen.run(conc, warm) // warm-up, not counted
	if kill > 0 {
		return killRun(ctx, gen, srv, cfg, storeName, conc, dur, kill)
	}
	load := loadAvg()
	srvCPU0, genCPU0, m0, db0 := procCPU(srv.Process.Pid), selfCPU(), machineCPU(), backends()
	res := gen.run(conc, dur)
	srvCPU, genCPU, m, dbCPU := procCPU(srv.Process.Pid)-srvCPU0, selfCPU()-genCPU0, machineCPU().minus(m0), since(db0, backends())

	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		srv.Process.Kill()
		<-done
	}

	// Every acknowledged rating is stored; then the baseline on the same store.
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DSN: cfg.DSN})
	if err != nil {
		return err
	}
	defer db.Close()
	var stored int64
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating`).Scan(&stored); err != nil {
		return err
	}
	var flagged int64
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE flags <> ''`).Scan(&flagged); err != nil {
		return err
	}
	baseCPU0, bm0 := selfCPU(), machineCPU()
	b0 := backends()
	base, err := baseline(ctx, db, tg, conc, res.ok, int64(widget))
	if err != nil {
		return err
	}
	baseDB := since(b0, backends())
	baseCPU, bm := selfCPU()-baseCPU0, machineCPU().minus(bm0)
	// what the rest of the machine took while the endpoint was measured
	others := m.busy - srvCPU - genCPU - dbCPU

	out := map[string]any{
		"store": storeName, "clients": conc, "seconds": res.elapsed.Seconds(),
		"endpoint": map[string]any{"ratings": res.ok, "per_second": res.rate(), "p50_ms": ms(res.pct(50)), "p99_ms": ms(res.pct(99)),
			"max_ms": ms(res.pct(100)), "slowest_second": res.minSecond, "non_2xx": res.codes, "errors": res.errs,
			"addresses": gen.ips.Load(), "stored": stored, "flagged": flagged,
			"server_cpu_us_per_rating": perRating(srvCPU, res.ok), "generator_cpu_us_per_rating": perRating(genCPU, res.ok),
			"database_cpu_us_per_rating": perRating(dbCPU, res.ok), "widget_percent": widget, "machine_busy_percent": m.percent(), "others_cpu_seconds": others.Seconds(), "load_average": load},
		"baseline": map[string]any{"rows": base.ok, "per_second": base.rate(), "p50_ms": ms(base.pct(50)), "p99_ms": ms(base.pct(99)),
			"writer_cpu_us_per_row": perRating(baseCPU, base.ok), "database_cpu_us_per_row": perRating(baseDB, base.ok), "machine_busy_percent": bm.percent()},
		"ratio":     res.rate() / base.rate(),
		"cpu_ratio": perRating(srvCPU, res.ok) / perRating(baseCPU, base.ok),
	}
	j, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(j))
	fmt.Printf("%s: endpoint %.0f ratings/s (p50 %.1f ms, p99 %.1f ms, slowest second %d), plain insert %.0f rows/s (p99 %.1f ms): %.2f of the baseline; %d acknowledged, %d stored, %d flagged; "+
		"CPU per 1,000 ratings: server %.0f ms, PostgreSQL backends %.0f ms, load generator %.0f ms; plain insert writers %.0f ms and PostgreSQL backends %.0f ms per 1,000 rows (server ÷ writers %.2f); "+
		"machine %.0f %% busy during the endpoint run, %.1f CPU-s of it other work, load average %s\n",
		storeName, res.rate(), ms(res.pct(50)), ms(res.pct(99)), res.minSecond, base.rate(), ms(base.pct(99)), res.rate()/base.rate(), res.ok, stored, flagged,
		perRating(srvCPU, res.ok), perRating(dbCPU, res.ok), perRating(genCPU, res.ok), perRating(baseCPU, base.ok), perRating(baseDB, base.ok), perRating(srvCPU, res.ok)/perRating(baseCPU, base.ok),
		m.percent(), others.Seconds(), load)
	if stored < res.ok {
		return fmt.Errorf("%d ratings acknowledged, only %d stored", res.ok, stored)
	}
	return nil
}

// killRun sends ratings as the measured run does, kills the server with
// SIGKILL after kill, and checks that every rating answered 201 before
// is in the store.
func killRun(ctx context.Context, gen *generator, srv *exec.Cmd, cfg app.Config, storeName string, conc int, dur, kill time.Duration) error {
	gen.keepIDs = true
	resc := make(chan *result, 1)
	go func() { resc <- gen.run(conc, dur) }()
	time.Sleep(kill)
	if err := srv.Process.Kill(); err != nil {
		return err
	}
	srv.Wait()
	gen.stop.Store(true)
	res := <-resc
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DSN: cfg.DSN})
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.R.QueryContext(ctx, `SELECT id FROM publiceval_rating`)
	if err != nil {
		return err
	}
	stored := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		stored[id] = true
	}
	rows.Close()
	missing := 0
	for _, id := range res.ids {
		if !stored[id] {
			missing++
		}
	}
	fmt.Printf("%s: kill -9 of the server %s into a run of %d clients: %d ratings answered 201 (%.0f/s) before it, %d of them missing after the restart; %d stored in all (warm-up included)\n",
		storeName, kill, conc, len(res.ids), float64(len(res.ids))/kill.Seconds(), missing, len(stored))
	if missing > 0 || len(res.ids) == 0 {
		return fmt.Errorf("%d of %d acknowledged ratings lost", missing, len(res.ids))
	}
	return nil
}

// since is the CPU the processes of now used after then (all of it for
// those not in then).
func since(then, now map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, c := range now {
		d += c - then[pid]
	}
	return d
}

func perRating(d time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

// procCPU is the user and system CPU time process pid has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// fields after the command name (which may hold spaces): state is 3rd
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// cpuTimes are the machine's busy and total CPU time (all cores).
type cpuTimes struct{ busy, total time.Duration }

func (c cpuTimes) minus(o cpuTimes) cpuTimes { return cpuTimes{c.busy - o.busy, c.total - o.total} }

func (c cpuTimes) percent() float64 {
	if c.total <= 0 {
		return 0
	}
	return 100 * float64(c.busy) / float64(c.total)
}

// machineCPU reads the first line of /proc/stat.
func machineCPU() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var total, idle int64
	for i, v := range f[1:] {
		var n int64
		fmt.Sscan(v, &n)
		if i >= 8 { // guest time is counted in user already
			break
		}
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	tick := time.Second / 100 // USER_HZ
	return cpuTimes{busy: time.Duration(total-idle) * tick, total: time.Duration(total) * tick}
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// selfCPU is this process's user and system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func waitUp(addr string, limit time.Duration) error {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the server at %s did not answer within %s", addr, limit)
}

// result collects one run's answers.
type result struct {
	mu        sync.Mutex
	lat       []time.Duration
	ok        int64
	codes     map[int]int64
	errs      int64
	elapsed   time.Duration
	perSecond []int64
	minSecond int64
	ids       []int64 // acknowledged, when the generator keeps them
}

func (r *result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p / 100)
	return r.lat[i]
}

func (r *result) finish() {
	slices.Sort(r.lat)
	r.minSecond = -1
	for i, n := range r.perSecond {
		if i < int(r.elapsed/time.Second) && (r.minSecond < 0 || n < r.minSecond) {
			r.minSecond = n
		}
	}
}

type generator struct {
	addr    string
	target  string
	perConn int
	widget  int64        // percentage sent as the widget
	ips     atomic.Int64 // client addresses used
	seq     atomic.Int64 // ratings sent
	keepIDs bool         // collect the ids of acknowledged ratings (result.ids)
	stop    atomic.Bool
}

// nextIP is a fresh loopback address: consecutive addresses fall in
// different /24 networks (127.a.b.c, 200 × 250 networks, then c moves).
func (g *generator) nextIP() net.IP {
	i := g.ips.Add(1)
	n := i % (200 * 250)
	c := 1 + (i/(200*250))%250
	return net.IPv4(127, byte(1+n/250), byte(n%250), byte(c))
}

// benchSite is the registered target's own site, the origin of the
// ratings sent as the widget.
const benchSite = "https://zwfw.henan.gov.cn"

// isWidget reports whether the i-th rating comes from the widget.
func (g *generator) isWidget(i int64) bool { return (i*7)%100 < g.widget }

// body is the i-th rating.
func (g *generator) body(i int64) []byte {
	var level int
	switch r := i % 100; {
	case r < 60:
		level = 5
	case r < 80:
		level = 4
	case r < 92:
		level = 3
	case r < 97:
		level = 2
	default:
		level = 1
	}
	in := map[string]any{"target": g.target, "level": level, "comment": fmt.Sprintf("第 %d 条评价：办理顺利，窗口人员态度很好。", i)}
	if level <= 2 {
		in["tags"] = []string{"no_answer"}
		in["comment"] = fmt.Sprintf("第 %d 条评价：咨询电话长时间无人接听。", i)
	} else {
		in["tags"] = []string{"clear"}
	}
	if i%20 == 7 {
		in["case"] = fmt.Sprintf("BENCH-%d-%d", time.Now().UnixNano()%1e9, i)
		in["name"] = "张三"
		in["phone"] = fmt.Sprintf("13%09d", i%1e9)
	}
	b, _ := json.Marshal(in)
	return b
}

// run sends ratings from conc clients for d and returns what came back.
func (g *generator) run(conc int, d time.Duration) *result {
	res := &result{codes: map[int]int64{}, perSecond: make([]int64, int(d/time.Second)+2)}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A plain HTTP/1.1 client on a socket of its own: the
			// generator's own cost stays small beside the server's.
			var lat []time.Duration
			var conn net.Conn
			var br *bufio.Reader
			n := 0
			fail := func() {
				res.mu.Lock()
				res.errs++
				res.mu.Unlock()
				if conn != nil {
					conn.Close()
					conn = nil
				}
			}
			var ids []int64
			for time.Now().Before(end) && !g.stop.Load() {
				if conn == nil || n%g.perConn == 0 {
					if conn != nil {
						conn.Close()
					}
					d := net.Dialer{LocalAddr: &net.TCPAddr{IP: g.nextIP()}, Timeout: time.Minute}
					c, err := d.Dial("tcp", g.addr)
					if err != nil {
						fail()
						continue
					}
					conn, br = c, bufio.NewReader(c)
				}
				n++
				seq := g.seq.Add(1)
				body := g.body(seq)
				var req []byte
				if g.isWidget(seq) {
					req = fmt.Appendf(nil, "POST /api/v1/ratings?via=widget HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nContent-Type: application/json\r\nUser-Agent: Mozilla/5.0 (rater)\r\nContent-Length: %d\r\n\r\n", g.addr, benchSite, len(body))
				} else {
					req = fmt.Appendf(nil, "POST /api/v1/ratings HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nUser-Agent: Mozilla/5.0 (rater)\r\nContent-Length: %d\r\n\r\n", g.addr, len(body))
				}
				req = append(req, body...)
				t0 := time.Now()
				conn.SetDeadline(t0.Add(time.Minute))
				if _, err := conn.Write(req); err != nil {
					fail()
					continue
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					fail()
					continue
				}
				if g.keepIDs && resp.StatusCode == http.StatusCreated {
					b, _ := io.ReadAll(resp.Body)
					var a struct{ ID int64 }
					if json.Unmarshal(b, &a) == nil && a.ID > 0 {
						ids = append(ids, a.ID)
					}
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				el := time.Since(t0)
				res.mu.Lock()
				if resp.StatusCode == http.StatusCreated {
					res.ok++
					if s := int(time.Since(start) / time.Second); s < len(res.perSecond) {
						res.perSecond[s]++
					}
				} else {
					res.codes[resp.StatusCode]++
				}
				res.mu.Unlock()
				lat = append(lat, el)
				if resp.Close {
					conn.Close()
					conn = nil
				}
			}
			if conn != nil {
				conn.Close()
			}
			res.mu.Lock()
			res.lat = append(res.lat, lat...)
			res.ids = append(res.ids, ids...)
			res.mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.finish()
	return res
}

// baseline inserts n rows like the endpoint's straight into
// publiceval_rating, one INSERT per transaction, from conc writers.
func baseline(ctx context.Context, db *store.DB, tg dom.Target, conc int, n, widget int64) (*result, error) {
	res := &result{codes: map[int]int64{}}
	g := &generator{target: tg.Key, widget: widget}
	var next atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for {
				i := next.Add(1)
				if i > n {
					break
				}
				var in dom.Input
				json.Unmarshal(g.body(i), &in)
				ip := g.nextIP().String()
				channel, origin := dom.ChannelAPI, ""
				if g.isWidget(i) {
					channel, origin = dom.ChannelWidget, benchSite
				}
				var caseNo any
				if in.Case != "" {
					caseNo = in.Case
				}
				t0 := time.Now()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO publiceval_rating (target_id, org_path, month, level, tags, comment, case_no,
						rater_name, rater_phone, channel, ip, net, device, origin, flags, excluded, demo, created_at)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '', FALSE, FALSE, $15)`,
						tg.ID, tg.OrgPath, dom.MonthOf(time.Now()), in.Level, strings.Join(in.Tags, ","), in.Comment, caseNo,
						in.Name, in.Phone, channel, ip, dom.NetworkOf(ip), dom.DeviceOf(ip, "Mozilla/5.0 (rater)"), origin, store.Now())
					return err
				})
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat = append(lat, time.Since(t0))
			}
			res.mu.Lock()
			res.lat = append(res.lat, lat...)
			res.ok += int64(len(lat))
			res.mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.finish()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return res, nil
}

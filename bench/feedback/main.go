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
	profile := flag.String("profile", "", "write the server's CPU profile of the run (warm-up included) to this file")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "feedback: -zhihui BIN is required")
		os.Exit(2)
	}
	if err := run(*bin, *dsn, *conc, *dur, *warm, *perConn, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "feedback:", err)
		os.Exit(1)
	}
}

func run(bin, pgDSN string, conc int, dur, warm time.Duration, perConn int, profile string) error {
	ctx := context.Background()
	cfg := app.Config{LogLevel: "error"}
	storeName := "sqlite"
	var dropSchema func()
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
		u.RawQuery = q.Encode()
		cfg.DSN = u.String()
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
	tg, err := dom.AddTarget(ctx, a.DB, audit.System, dom.NewTarget{Kind: dom.KindService, Name: "社保卡申领", OrgCode: "410102"},
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

	gen := &generator{addr: addr, target: tg.Key, perConn: perConn}
	gen.run(conc, warm) // warm-up, not counted
	srvCPU0, genCPU0 := procCPU(srv.Process.Pid), selfCPU()
	res := gen.run(conc, dur)
	srvCPU, genCPU := procCPU(srv.Process.Pid)-srvCPU0, selfCPU()-genCPU0

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
	base, err := baseline(ctx, db, tg, conc, res.ok)
	if err != nil {
		return err
	}

	out := map[string]any{
		"store": storeName, "clients": conc, "seconds": res.elapsed.Seconds(),
		"endpoint": map[string]any{"ratings": res.ok, "per_second": res.rate(), "p50_ms": ms(res.pct(50)), "p99_ms": ms(res.pct(99)),
			"max_ms": ms(res.pct(100)), "slowest_second": res.minSecond, "non_2xx": res.codes, "errors": res.errs,
			"addresses": gen.ips.Load(), "stored": stored, "flagged": flagged,
			"server_cpu_us_per_rating": perRating(srvCPU, res.ok), "generator_cpu_us_per_rating": perRating(genCPU, res.ok)},
		"baseline": map[string]any{"rows": base.ok, "per_second": base.rate(), "p50_ms": ms(base.pct(50)), "p99_ms": ms(base.pct(99))},
		"ratio":    res.rate() / base.rate(),
	}
	j, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(j))
	fmt.Printf("%s: endpoint %.0f ratings/s (p50 %.1f ms, p99 %.1f ms, slowest second %d), plain insert %.0f rows/s (p99 %.1f ms): %.2f of the baseline; %d acknowledged, %d stored, %d flagged; CPU per rating: server %.0f µs, load generator %.0f µs\n",
		storeName, res.rate(), ms(res.pct(50)), ms(res.pct(99)), res.minSecond, base.rate(), ms(base.pct(99)), res.rate()/base.rate(), res.ok, stored, flagged,
		perRating(srvCPU, res.ok), perRating(genCPU, res.ok))
	if stored < res.ok {
		return fmt.Errorf("%d ratings acknowledged, only %d stored", res.ok, stored)
	}
	return nil
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
	ips     atomic.Int64 // client addresses used
	seq     atomic.Int64 // ratings sent
}

// nextIP is a fresh loopback address: consecutive addresses fall in
// different /24 networks (127.a.b.c, 200 × 250 networks, then c moves).
func (g *generator) nextIP() net.IP {
	i := g.ips.Add(1)
	n := i % (200 * 250)
	c := 1 + (i/(200*250))%250
	return net.IPv4(127, byte(1+n/250), byte(n%250), byte(c))
}

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
			for time.Now().Before(end) {
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
				body := g.body(g.seq.Add(1))
				req := fmt.Appendf(nil, "POST /api/v1/ratings HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nUser-Agent: Mozilla/5.0 (rater)\r\nContent-Length: %d\r\n\r\n", g.addr, len(body))
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
func baseline(ctx context.Context, db *store.DB, tg dom.Target, conc int, n int64) (*result, error) {
	res := &result{codes: map[int]int64{}}
	g := &generator{target: tg.Key}
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
				var caseNo any
				if in.Case != "" {
					caseNo = in.Case
				}
				t0 := time.Now()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO publiceval_rating (target_id, org_path, month, level, tags, comment, case_no,
						rater_name, rater_phone, channel, ip, net, device, origin, flags, excluded, demo, created_at)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', '', FALSE, FALSE, $14)`,
						tg.ID, tg.OrgPath, dom.MonthOf(time.Now()), in.Level, strings.Join(in.Tags, ","), in.Comment, caseNo,
						in.Name, in.Phone, dom.ChannelAPI, ip, dom.NetworkOf(ip), dom.DeviceOf(ip, "Mozilla/5.0 (rater)"), store.Now())
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

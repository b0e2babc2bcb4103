// Command projects measures duplicate-construction detection over a
// generated corpus of proposals: Chinese word segmentation (gse) into word
// pairs, MinHash sketches with LSH buckets and SimHash (project.Sign,
// project.SimilarPairs) against the plain baseline of comparing the exact
// word-pair sets of every pair (project.AllPairsBrute) on the same
// documents in the same run; the full report and one new proposal
// through a SQLite store holding the whole corpus, as the server and
// `zhihui projects similar --all` run them; and precision and recall on
// planted near duplicates (sentences reordered, words replaced by
// synonyms, 20–40 % of sentences rewritten).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/project"
	"zhihui/internal/store"
)

var boiler = []string{
	"项目遵循统一规划、统一标准、集约建设的原则", "依托全省电子政务云平台部署", "按照网络安全等级保护第三级要求进行安全设计",
	"建成后将与省级平台对接", "实现数据上报和业务协同", "建设周期为十二个月", "项目运维采用购买服务方式", "建立运维管理制度和考核机制",
	"在原有系统基础上进行整合", "配套建设数据标准规范和管理制度", "硬件资源由政务云统一提供", "系统采用微服务架构",
	"支持国产操作系统、数据库和中间件", "整合各部门政务服务事项", "建设统一的网上办事大厅和移动端", "推进电子证照共享互认",
	"编制政务数据资源目录", "汇聚人口、法人、空间地理等基础数据", "提供数据接口服务和数据质量管理", "支撑跨部门业务协同",
}

var synonyms = strings.NewReplacer("建设", "构建", "平台", "系统", "实现", "达成", "统一", "一体", "数据", "信息")

// corpus generates n proposals of about size characters from a skewed
// vocabulary: common boilerplate phrases and rarer words.
type corpus struct {
	r     *rand.Rand
	words []string
	zipf  *rand.Zipf
}

func newCorpus(seed uint64) *corpus {
	r := rand.New(rand.NewPCG(seed, 1))
	c := &corpus{r: r}
	for range 8000 {
		c.words = append(c.words, string([]rune{rune(0x4E00 + r.IntN(0x5000)), rune(0x4E00 + r.IntN(0x5000))}))
	}
	c.zipf = rand.NewZipf(r, 1.1, 4, uint64(len(c.words)-1))
	return c
}

func (c *corpus) sentence() string {
	var b strings.Builder
	b.WriteString(boiler[c.r.IntN(len(boiler))])
	b.WriteString("，")
	for range 6 + c.r.IntN(6) {
		b.WriteString(c.words[c.zipf.Uint64()])
	}
	b.WriteString("。")
	return b.String()
}

func (c *corpus) doc(size int) []string {
	var out []string
	n := 0
	for n < size {
		s := c.sentence()
		out = append(out, s)
		n += len([]rune(s))
	}
	return out
}

// nearCopy reorders sents, replaces some words and rewrites 20–40 % of them.
func (c *corpus) nearCopy(sents []string) string {
	cp := append([]string(nil), sents...)
	c.r.Shuffle(len(cp), func(i, j int) { cp[i], cp[j] = cp[j], cp[i] })
	edit := len(cp) * (20 + c.r.IntN(21)) / 100
	for _, i := range c.r.Perm(len(cp))[:edit] {
		cp[i] = c.sentence()
	}
	return synonyms.Replace(strings.Join(cp, ""))
}

func main() {
	n := flag.Int("n", 10000, "proposals in the corpus")
	size := flag.Int("size", 2000, "characters per proposal")
	planted := flag.Int("planted", 200, "near duplicates planted")
	brute := flag.Int("brute", 1000, "proposals the brute-force baseline compares pairwise (every pair of the corpus takes most of an hour)")
	t := flag.Float64("threshold", 0.3, "similarity threshold (Jaccard index of word pairs)")
	queries := flag.Int("queries", 20, "new proposals checked one by one against the stored corpus")
	flag.Parse()
	if err := run(*n, *size, *planted, *brute, *t, *queries); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(n, size, planted, brute int, t float64, queries int) error {
	ctx := context.Background()
	c := newCorpus(2013)
	texts := make([]string, 0, n)
	want := map[[2]int64]bool{}
	for len(texts) < n {
		sents := c.doc(size)
		texts = append(texts, strings.Join(sents, ""))
		if len(want) < planted && len(texts) < n {
			texts = append(texts, c.nearCopy(sents))
			want[[2]int64{int64(len(texts) - 1), int64(len(texts))}] = true
		}
	}
	fmt.Printf("corpus: %d proposals of ~%d characters, %d planted near duplicates, threshold %.2f, GOMAXPROCS %d\n",
		len(texts), size, len(want), t, runtime.GOMAXPROCS(0))

	start := time.Now()
	load, err := project.WarmSegmenter()
	if err != nil {
		return err
	}
	fmt.Printf("loading the segmentation dictionary (once, on first use): %v\n", load.Round(time.Millisecond))

	// The whole corpus through a store, as the report and the server run it.
	dir, err := os.MkdirTemp("", "zhihui-bench-projects-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, project.Schema, project.PortfolioSchema); err != nil {
		return err
	}
	if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
		return err
	}
	svc := project.New(db)
	all := []string{"/41/"}
	// Registration segments and signs each proposal once, on every core.
	start = time.Now()
	for from := 0; from < len(texts); from += 1000 {
		var ns []project.NewProject
		for i := from; i < min(from+1000, len(texts)); i++ {
			ns = append(ns, project.NewProject{Number: fmt.Sprintf("B-%05d", i+1), Name: "测试项目", Owner: "41", Category: "new",
				Funding: "省级财政预算资金", Year: 2020, Estimate: 1000000, Content: texts[i]})
		}
		if _, err := svc.RegisterMany(ctx, audit.Actor{Name: "bench"}, all, ns); err != nil {
			return err
		}
	}
	reg := time.Since(start)
	fmt.Printf("registering the corpus (segmenting, signing, storing sketches and buckets): %v (%.2f ms a proposal)\n",
		reg.Round(time.Millisecond), float64(reg.Microseconds())/float64(len(texts))/1000)

	start, cpu0 := time.Now(), cpuTime()
	stored, err := svc.Signatures(ctx, project.KindProject)
	if err != nil {
		return err
	}
	read := time.Since(start)
	full := project.SimilarPairs(stored, t)
	ft, fcpu := time.Since(start), cpuTime()-cpu0
	hit := 0
	for _, p := range full {
		if want[[2]int64{p.A, p.B}] {
			hit++
		}
	}
	fmt.Printf("full report over %d stored proposals: %v, CPU %v (reading signatures %v); %d pairs, %d of %d planted: precision %.3f, recall %.3f\n",
		len(stored), ft.Round(time.Millisecond), fcpu.Round(time.Millisecond), read.Round(time.Millisecond), len(full), hit, len(want),
		float64(hit)/float64(max(len(full), 1)), float64(hit)/float64(max(len(want), 1)))

	// The baseline on a subset: the exact word-pair sets of every pair,
	// against LSH over the same proposals' stored signatures.
	m := min(brute, len(texts))
	docs := make([]project.Doc, m)
	for i := range docs {
		docs[i] = project.Doc{ID: int64(i + 1), Set: project.Shingles(texts[i])}
	}
	start = time.Now()
	bp := project.AllPairsBrute(docs, t)
	bt := time.Since(start)
	start = time.Now()
	lp := project.SimilarPairs(stored[:m], t)
	lt := time.Since(start)
	exact := map[[2]int64]bool{}
	for _, p := range bp {
		exact[[2]int64{p.A, p.B}] = true
	}
	agree := 0
	for _, p := range lp {
		if exact[[2]int64{p.A, p.B}] {
			agree++
		}
	}
	fmt.Printf("all pairs of the first %d: exact Jaccard of every pair (baseline) %v, %d pairs; LSH %v (%.4f× the baseline), %d pairs, of which %d exact: precision %.3f, recall %.3f against the baseline\n",
		m, bt.Round(time.Millisecond), len(bp), lt.Round(time.Microsecond), float64(lt)/float64(bt), len(lp), agree,
		float64(agree)/float64(max(len(lp), 1)), float64(agree)/float64(max(len(bp), 1)))
	perPair := float64(bt) / float64(m*(m-1)/2)
	fmt.Printf("  the baseline over all %d: %d pairs × %.1f µs ≈ %v (extrapolated, not run)\n", len(texts), len(texts)*(len(texts)-1)/2, perPair/1000,
		time.Duration(perPair*float64(len(texts))*float64(len(texts)-1)/2).Round(time.Second))

	// New proposals against the stored corpus: near copies of stored ones
	// and fresh texts, each segmented, signed, looked up in the buckets
	// and scored, with the passages of the five best.
	var worst, sum time.Duration
	found := 0
	qcpu := cpuTime()
	for i := range queries {
		var q string
		orig := int64(-1)
		if i%2 == 0 {
			k := c.r.IntN(len(texts))
			q, orig = c.nearCopy(sentencesOf(texts[k])), int64(k+1)
		} else {
			q = strings.Join(c.doc(size), "")
		}
		start = time.Now()
		ms, err := svc.Similar(ctx, all, project.Query{Text: q}, 5)
		if err != nil {
			return err
		}
		d := time.Since(start)
		sum += d
		worst = max(worst, d)
		if orig > 0 && len(ms) > 0 && ms[0].ID == orig {
			found++
		}
	}
	qcpu = cpuTime() - qcpu
	// The baseline for one proposal: its exact word-pair set against every set.
	start = time.Now()
	qs := project.Shingles(strings.Join(c.doc(size), ""))
	best := 0.0
	for _, d := range docs {
		best = max(best, project.Jaccard(qs, d.Set))
	}
	base := time.Since(start)
	fmt.Printf("one new proposal against %d stored: mean %v (CPU %v), worst %v of %d (the near copies' originals ranked first: %d of %d); baseline, its exact set against the %d sets of the subset in memory: %v (%v for %d, extrapolated)\n",
		len(stored), (sum / time.Duration(max(queries, 1))).Round(time.Microsecond), (qcpu / time.Duration(max(queries, 1))).Round(time.Microsecond),
		worst.Round(time.Microsecond), queries, found, (queries+1)/2,
		len(docs), base.Round(time.Microsecond), (base * time.Duration(len(texts)) / time.Duration(max(len(docs), 1))).Round(time.Millisecond), len(texts))
	return nil
}

// cpuTime is the CPU time (user and system) the process has used: on a
// machine shared with other work it moves much less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sentencesOf cuts a generated text back into its sentences.
func sentencesOf(text string) []string {
	var out []string
	for _, s := range strings.SplitAfter(text, "。") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

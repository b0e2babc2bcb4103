// Command projects measures duplicate-construction detection over a
// generated corpus of proposals: the prefix-filtered all-pairs join
// (project.AllPairs) against comparing every pair (project.AllPairsBrute)
// on the same documents in the same run, one new proposal against the
// whole corpus, and precision and recall on planted near duplicates
// (sentences reordered, words replaced by synonyms, 20–40 % of sentences
// rewritten).
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"zhihui/internal/project"
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
	brute := flag.Int("brute", 2000, "proposals the brute-force baseline compares pairwise (every pair of the corpus takes hours)")
	t := flag.Float64("threshold", 0.3, "similarity threshold")
	flag.Parse()
	c := newCorpus(2013)
	texts := make([]string, 0, *n)
	want := map[[2]int64]bool{}
	for len(texts) < *n {
		sents := c.doc(*size)
		texts = append(texts, strings.Join(sents, ""))
		if len(want) < *planted && len(texts) < *n {
			texts = append(texts, c.nearCopy(sents))
			want[[2]int64{int64(len(texts) - 1), int64(len(texts))}] = true
		}
	}
	start := time.Now()
	docs := make([]project.Doc, len(texts))
	for i, s := range texts {
		docs[i] = project.Doc{ID: int64(i + 1), Set: project.Shingles(s)}
	}
	shingling := time.Since(start)
	fmt.Printf("corpus: %d proposals of ~%d characters, %d planted near duplicates, threshold %.2f, GOMAXPROCS %d\n",
		len(texts), *size, len(want), *t, runtime.GOMAXPROCS(0))
	fmt.Printf("shingling the corpus: %v (%.0f µs a proposal)\n", shingling.Round(time.Millisecond), float64(shingling.Microseconds())/float64(len(texts)))

	// The baseline and the join on the same subset.
	sub := docs[:min(*brute, len(docs))]
	start = time.Now()
	bp := project.AllPairsBrute(sub, *t)
	bt := time.Since(start)
	start = time.Now()
	fp := project.AllPairs(sub, *t)
	ft := time.Since(start)
	same := len(bp) == len(fp)
	for i := range bp {
		same = same && bp[i] == fp[i]
	}
	fmt.Printf("all pairs of %d: brute force %v, prefix filter %v (%.3f× the baseline), same %d pairs: %v\n",
		len(sub), bt.Round(time.Millisecond), ft.Round(time.Millisecond), float64(ft)/float64(bt), len(fp), same)

	// The join over the whole corpus, with precision and recall.
	start = time.Now()
	all := project.AllPairs(docs, *t)
	at := time.Since(start)
	hit := 0
	for _, p := range all {
		if want[[2]int64{p.A, p.B}] {
			hit++
		}
	}
	fmt.Printf("all pairs of %d: prefix filter %v; %d pairs found, %d of %d planted: precision %.3f, recall %.3f\n",
		len(docs), at.Round(time.Millisecond), len(all), hit, len(want), float64(hit)/float64(max(len(all), 1)), float64(hit)/float64(max(len(want), 1)))

	// One new proposal against the corpus (shingle sets held in memory),
	// compared with every proposal — what the project page does.
	q := c.nearCopy(c.doc(*size))
	start = time.Now()
	qs := project.Shingles(q)
	best := 0.0
	for _, d := range docs {
		best = max(best, project.Jaccard(qs, d.Set))
	}
	qt := time.Since(start)
	fmt.Printf("one new proposal against %d: %v (shingling it and comparing with every set)\n", len(docs), qt.Round(time.Microsecond))
	if !same {
		os.Exit(1)
	}
}

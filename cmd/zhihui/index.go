package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"zhihui/internal/evaluate"
)

func init() {
	register("index", "composite index: index run FRAMEWORK.yaml --data FILE.csv", runIndex)
}

func runIndex(args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return fmt.Errorf("usage: zhihui index run FRAMEWORK.yaml|builtin:ID --data FILE.csv [--year Y] [--mc N] [--seed S] [--json]")
	}
	args = args[1:]
	var fwPath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fwPath, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("index run", flag.ContinueOnError)
	dataPath := fs.String("data", "", "data CSV, long (unit,year,indicator,value) or wide (unit,year,IND1,…)")
	year := fs.Int("year", 0, "year to print (default: latest)")
	mc := fs.Int("mc", 0, "Monte Carlo samples for rank intervals (0 = none)")
	seed := fs.Uint64("seed", 1, "Monte Carlo seed")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fwPath == "" && fs.NArg() > 0 {
		fwPath = fs.Arg(0)
	}
	if fwPath == "" || *dataPath == "" {
		return fmt.Errorf("a framework and --data are required")
	}
	var fw *evaluate.Framework
	var err error
	if id, ok := strings.CutPrefix(fwPath, "builtin:"); ok {
		fw, err = evaluate.Builtin(id)
	} else {
		var f *os.File
		if f, err = os.Open(fwPath); err != nil {
			return err
		}
		fw, err = evaluate.ParseFramework(f)
		f.Close()
	}
	if err != nil {
		return err
	}
	df, err := os.Open(*dataPath)
	if err != nil {
		return err
	}
	data, err := evaluate.ReadCSV(df)
	df.Close()
	if err != nil {
		return err
	}
	res, err := evaluate.Run(fw, data, evaluate.Options{})
	if err != nil {
		return err
	}
	y := *year
	if y == 0 {
		y = data.Years[len(data.Years)-1]
	}
	var mcRes *evaluate.MCResult
	if *mc > 0 {
		mcRes, err = evaluate.MonteCarlo(fw, data, evaluate.Options{}, evaluate.MCOptions{Samples: *mc, Seed: *seed, Year: y})
		if err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Result     *evaluate.Result   `json:"result"`
			MonteCarlo *evaluate.MCResult `json:"monte_carlo,omitempty"`
		}{res, mcRes})
	}
	var yr *evaluate.YearResult
	for i := range res.Years {
		if res.Years[i].Year == y {
			yr = &res.Years[i]
		}
	}
	if yr == nil {
		return fmt.Errorf("year %d is not in the data", y)
	}
	var subs []string
	for _, n := range res.Nodes {
		if !n.Indicator && n.Level == 1 {
			subs = append(subs, n.ID)
		}
	}
	order := make([]int, len(res.Units))
	for i := range order {
		order[i] = i
	}
	rk := yr.Ranks[res.Root]
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := rk[order[a]], rk[order[b]]
		if ra == 0 || rb == 0 {
			return rb == 0 && ra != 0
		}
		return ra < rb
	})
	fmt.Printf("%s — %s / %s, %d\n", fw.ID, fw.Name.Zh, fw.Name.En, y)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "排名 rank\t单位 unit\t" + res.Root + "\t"
	for _, s := range subs {
		head += s + "\t"
	}
	if mcRes != nil {
		head += "中位 median\t5%\t95%\t"
	}
	fmt.Fprintln(tw, head)
	for _, u := range order {
		line := fmt.Sprintf("%d\t%s\t%s\t", rk[u], res.Units[u], num(yr.Scores[res.Root][u]))
		for _, s := range subs {
			line += num(yr.Scores[s][u]) + "\t"
		}
		if mcRes != nil {
			iv := mcRes.Intervals[u]
			line += fmt.Sprintf("%d\t%d\t%d\t", iv.Median, iv.P5, iv.P95)
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if mcRes != nil {
		fmt.Printf("\n蒙特卡洛 Monte Carlo: %d samples; 一阶 Sobol 指数 first-order Sobol indices (output: %s)\n", mcRes.Samples, mcRes.Output)
		for _, s := range mcRes.Sobol {
			fmt.Printf("  %-18s %.3f  (%d levels)\n", s.Factor, s.FirstOrder, s.Levels)
		}
	}
	for _, n := range res.Notes {
		fmt.Printf("注 note: %s / %s\n", n.Zh, n.En)
	}
	return nil
}

func num(v evaluate.Value) string {
	if v.IsMissing() {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(v))
}

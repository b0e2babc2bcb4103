package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"zhihui/internal/i18n"

	"zhihui/internal/cli"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
)

func runIndexCommand(env cli.Env, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return fmt.Errorf("usage: zhihui index run FRAMEWORK.yaml|builtin:ID|stored:KEY (--csv FILE.csv | --dataset ID|monitor [--fill ID] [--units 4101,4102]) [--data DIR] [--db DSN] [--year Y] [--mc N] [--seed S] [--json]")
	}
	args = args[1:]
	var fwPath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fwPath, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("index run", flag.ContinueOnError)
	csvPath := fs.String("csv", "", "data CSV, long (unit,year,indicator,value) or wide (unit,year,IND1,…)")
	dataset := fs.String("dataset", "", "stored dataset id, or monitor: monitoring data for the framework's monitor-sourced indicators")
	fill := fs.Int64("fill", 0, "with --dataset monitor: stored dataset id for the other indicators and the gaps")
	unitList := fs.String("units", "", "with --dataset monitor: unit codes, comma-separated (default: the 18 cities, or the --fill dataset's units)")
	env.StoreFlags(fs)
	year := fs.Int("year", 0, "year to print (default: latest)")
	mc := fs.Int("mc", 0, "Monte Carlo samples for rank intervals (0 = none)")
	seed := fs.Uint64("seed", 1, "Monte Carlo seed")
	asJSON := fs.Bool("json", false, "print JSON")
	lang := fs.String("lang", "zh-CN", "language of the run's notes: zh-CN or en (JSON has both)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fwPath == "" && fs.NArg() > 0 {
		fwPath = fs.Arg(0)
	}
	if fwPath == "" || (*csvPath == "") == (*dataset == "") {
		return fmt.Errorf("a framework and one of --csv or --dataset are required")
	}
	ctx := context.Background()
	var a *cli.App
	if *dataset != "" || strings.HasPrefix(fwPath, "stored:") {
		var err error
		if a, err = env.Open(ctx); err != nil {
			return err
		}
		defer a.Close()
	}
	var fw *evaluate.Framework
	var err error
	if id, ok := strings.CutPrefix(fwPath, "builtin:"); ok {
		fw, err = evaluate.Builtin(id)
	} else if key, ok := strings.CutPrefix(fwPath, "stored:"); ok {
		var sf *evalstore.StoredFramework
		if sf, err = evalstore.Framework(ctx, a.DB, key); err == nil {
			fw = sf.Framework
		}
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
	var data *evaluate.Dataset
	var sources map[string]string
	if *csvPath != "" {
		df, err := os.Open(*csvPath)
		if err != nil {
			return err
		}
		data, err = evaluate.ReadCSV(df)
		df.Close()
		if err != nil {
			return err
		}
	} else {
		in := evalstore.RunInput{Framework: fw, Source: evalstore.FromDataset}
		if *dataset == "monitor" {
			in.Source = evalstore.FromMonitor
			for _, u := range strings.Split(*unitList, ",") {
				if u = strings.TrimSpace(u); u != "" {
					in.Units = append(in.Units, u)
				}
			}
			if *fill != 0 {
				in.Dataset = evalstore.Stored{DB: a.DB, ID: *fill}
			}
		} else {
			id, err := strconv.ParseInt(*dataset, 10, 64)
			if err != nil {
				return fmt.Errorf("--dataset must be a stored dataset id or monitor, not %q", *dataset)
			}
			in.Dataset = evalstore.Stored{DB: a.DB, ID: id}
		}
		run, err := evalstore.ResolveRun(ctx, a.DB, in)
		if errors.Is(err, evalstore.ErrNotFound) {
			return fmt.Errorf("stored dataset: %w", err)
		}
		if err != nil {
			return err
		}
		if len(run.Dropped) > 0 {
			fmt.Fprintf(os.Stderr, "注 note: %s\n", i18n.Errorf("年份 %v 有指标全无数据，未计算", "years %v left out: some indicator has no figure at all", run.Dropped).Message(*lang))
		}
		if err := run.Complete(fw); err != nil {
			if run.Source == evalstore.FromMonitor {
				return fmt.Errorf("%w (sources: %v); add --fill ID for the indicators monitoring lacks", err, run.From)
			}
			return err
		}
		data, sources = run.Data, run.From
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
			Sources    map[string]string  `json:"sources,omitempty"`
		}{res, mcRes, sources})
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
	if sources != nil {
		fmt.Println("\n数据来源 sources:")
		for _, id := range fw.IndicatorIDs() {
			fmt.Printf("  %-24s %s\n", id, sources[id])
		}
	}
	for _, n := range res.Notes {
		fmt.Printf("注 note: %s\n", n.In(*lang))
	}
	return nil
}

func num(v evaluate.Value) string {
	if v.IsMissing() {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(v))
}

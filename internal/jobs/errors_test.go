package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

type failArgs struct {
	How string `json:"how"`
}

func (failArgs) Kind() string { return "test_fail" }

// TestUserErrorsKept: a job failing with a bilingual user error keeps it
// as its catalogue key and arguments (or its texts) with its location,
// and the job list reads it in either language; a cancel still cancels;
// an error of an earlier release, stored as "中文 (English)", reads as
// the reader's half; a plain error reads as stored. Both stores.
func TestUserErrorsKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[failArgs]) error {
			switch j.Args.How {
			case "key":
				return jobs.Cancel(fmt.Errorf("crawl: %w", i18n.E("search.count", 3, "郑州").At(2, "B").Wrap(errors.New("dial tcp: refused"))))
			case "inline":
				return i18n.Errorf("站点 %s 无响应", "site %s did not answer", "a.gov.cn")
			case "many":
				return i18n.Errors{i18n.Errorf("甲", "A").At(1, "A"), i18n.Errorf("乙", "B").At(2, "A")}
			case "legacy":
				return errors.New("站点无响应 (site did not answer)")
			}
			return errors.New("dial tcp: refused")
		})
		e := start(t, db, r, "kept")
		cases := []struct {
			how, state string
			zh, en     string
		}{
			{"key", "cancelled", "第2行「B」列：共找到 3 项与“郑州”相关的结果: dial tcp: refused", "row 2, column B: 3 results for “郑州”: dial tcp: refused"},
			{"inline", "discarded", "站点 a.gov.cn 无响应", "site a.gov.cn did not answer"},
			{"many", "discarded", "第1行「A」列：甲; 第2行「A」列：乙", "row 1, column A: A; row 2, column A: B"},
			{"legacy", "discarded", "站点无响应", "site did not answer"},
			{"plain", "discarded", "dial tcp: refused", "dial tcp: refused"},
		}
		for _, c := range cases {
			ins, err := e.Insert(ctx, failArgs{How: c.how}, &jobs.InsertOpts{MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, c.how+" job finished", func() bool { return string(state(t, e, ins.ID).State) == c.state })
			i := state(t, e, ins.ID)
			if len(i.Errors) != 1 {
				t.Fatalf("%s: errors %+v", c.how, i.Errors)
			}
			if got := i.LastError("zh-CN"); got != c.zh {
				t.Errorf("%s in Chinese: %q, want %q", c.how, got, c.zh)
			}
			if got := i.LastError("en"); got != c.en {
				t.Errorf("%s in English: %q, want %q", c.how, got, c.en)
			}
			stored := i.Errors[0].Error
			if c.how == "key" && (!strings.Contains(stored, `"key":"search.count"`) || strings.Contains(stored, "结果 (")) {
				t.Errorf("key error stored as %s", stored)
			}
			if c.how == "inline" && strings.Contains(stored, "无响应 (") {
				t.Errorf("inline error stored as one bilingual string: %s", stored)
			}
		}
	})
}

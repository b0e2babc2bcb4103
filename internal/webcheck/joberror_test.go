package webcheck

import (
	"errors"
	"fmt"
	"testing"

	"zhihui/internal/i18n"
)

// A failed job keeps a user error in both languages and shows other
// errors as they are.
func TestJobErrorKeepsBothLanguages(t *testing.T) {
	ue := fmt.Errorf("crawl: %w", i18n.Errorf("网址无效：%s", "invalid URL: %s", "ftp://x.cn/"))
	if got := JobErrorText(jobError(ue)); got.Zh != "网址无效：ftp://x.cn/" || got.En != "invalid URL: ftp://x.cn/" {
		t.Errorf("user error stored as %+v", got)
	}
	if got := JobErrorText(jobError(errors.New("dial tcp: refused"))); got.Zh != "dial tcp: refused" || got.En != got.Zh {
		t.Errorf("other error stored as %+v", got)
	}
	if got := JobErrorText("工作进程中断 / worker lost"); got.Zh != "工作进程中断 / worker lost" {
		t.Errorf("an earlier row reads %+v", got)
	}
}

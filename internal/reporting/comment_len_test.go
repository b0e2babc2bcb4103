package reporting

import (
	"strings"
	"testing"
)

func TestCommentLength(t *testing.T) {
	if err := checkCommentLen(strings.Repeat("审", MaxCommentLen)); err != nil {
		t.Fatalf("a comment of the maximum length: %v", err)
	}
	err := checkCommentLen(strings.Repeat("审", MaxCommentLen+1))
	if err == nil || !strings.Contains(err.Error(), "意见过长") {
		t.Fatalf("an over-long comment: %v", err)
	}
}

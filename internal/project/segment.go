package project

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/go-ego/gse"
)

// The Chinese word segmenter (gse) with its embedded dictionary of
// simplified Chinese. Loading the dictionary takes seconds, so it is
// loaded once, on the first use, never at start.
var (
	segOnce   sync.Once
	segmenter gse.Segmenter
	segErr    error
	segLoad   time.Duration
	segLoaded atomic.Bool
)

func loadSegmenter() {
	start := time.Now()
	segmenter.SkipLog = true
	segErr = segmenter.LoadDictEmbed("zh_s")
	segLoad = time.Since(start)
	segLoaded.Store(true)
}

// WarmSegmenter loads the segmentation dictionary if it is not loaded yet
// and returns how long the load took (0 once loaded). Writers call it
// before opening a transaction, so that the load never happens inside one.
func WarmSegmenter() (time.Duration, error) {
	loaded := false
	segOnce.Do(func() { loadSegmenter(); loaded = true })
	if loaded {
		return segLoad, segErr
	}
	return 0, segErr
}

// SegmenterLoaded reports whether the dictionary has been loaded.
func SegmenterLoaded() bool { return segLoaded.Load() }

// Words cuts text into lower-case words (gse's dictionary segmentation,
// shortest path), one slice per run of text between punctuation, symbols
// and white space; words never cross such a boundary.
func Words(text string) [][]string {
	var out [][]string
	var cur []string
	for _, w := range Tokens(text) {
		if !wordy(w) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, strings.ToLower(w))
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Tokens cuts text into words, punctuation and white space, which put
// together give text again. Without a dictionary (it failed to load),
// every Han character is a word.
func Tokens(text string) []string {
	WarmSegmenter()
	if segErr == nil {
		return segmenter.Cut(text)
	}
	var out []string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			out = append(out, run.String())
			run.Reset()
		}
	}
	for _, r := range text {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Han, r) || unicode.IsDigit(r) {
			run.WriteRune(r)
			continue
		}
		flush()
		out = append(out, string(r))
	}
	flush()
	return out
}

// wordy reports whether w has a Han character, a letter or a digit.
func wordy(w string) bool {
	for _, r := range w {
		if unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

package audit

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestChanges(t *testing.T) {
	type c = struct{ F, B, A string }
	for _, tc := range []struct {
		name          string
		before, after string
		want          []c
	}{
		{"create lists every field in order", ``, `{"code":"X","name":"甲","published":true}`,
			[]c{{"code", "", `"X"`}, {"name", "", `"甲"`}, {"published", "", "true"}}},
		{"update lists only what changed", `{"stage":"open","percent":0}`, `{"percent":29, "stage":"open","files":0}`,
			[]c{{"percent", "0", "29"}, {"files", "", "0"}}},
		{"a field removed", `{"a":1,"b":2}`, `{"a":1}`, []c{{"b", "2", ""}}},
		{"nested values compare by meaning", `{"g":{"x":1,"y":2}}`, `{"g":{"y":2,"x":1}}`, nil},
		{"not an object", ``, `"已超过首次联系时限"`, []c{{"", "", `"已超过首次联系时限"`}}},
		{"an array record", ``, `[1,2]`, []c{{"", "", `[1,2]`}}},
		{"nothing recorded", ``, ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{}
			if tc.before != "" {
				e.Before = json.RawMessage(tc.before)
			}
			if tc.after != "" {
				e.After = json.RawMessage(tc.after)
			}
			var got []c
			for _, ch := range e.Changes() {
				got = append(got, c{ch.Field, string(ch.Before), string(ch.After)})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Changes() = %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzChanges(f *testing.F) {
	f.Add(`{"a":1}`, `{"a":2,"b":[1,{"c":null}]}`)
	f.Add(``, `"x"`)
	f.Add(`{"a":`, `{}`)
	f.Fuzz(func(t *testing.T, before, after string) {
		e := Entry{Before: json.RawMessage(before), After: json.RawMessage(after)}
		for _, ch := range e.Changes() {
			if ch.Before == nil && ch.After == nil {
				t.Fatalf("a change with neither side: %+v", ch)
			}
		}
	})
}

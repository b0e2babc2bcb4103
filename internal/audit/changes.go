package audit

import (
	"bytes"
	"encoding/json"
)

// Change is one field of an audited record that the write set or changed:
// its name and its JSON value before and after (nil when absent). Field is
// empty when the record is not a JSON object.
type Change struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Changes lists the fields an entry's write touched, in the order the
// record lists them: every field of a created record, every field of a
// deleted one, and the fields whose value differs between before and
// after. A record that is not a JSON object is one change without a
// field name.
func (e Entry) Changes() []Change {
	bk, bv, bok := object(e.Before)
	ak, av, aok := object(e.After)
	if (len(e.Before) > 0 && !bok) || (len(e.After) > 0 && !aok) {
		if bytes.Equal(bytes.TrimSpace(e.Before), bytes.TrimSpace(e.After)) {
			return nil
		}
		return []Change{{Before: nonEmpty(e.Before), After: nonEmpty(e.After)}}
	}
	var out []Change
	for _, k := range ak {
		b, had := bv[k]
		if had && sameJSON(b, av[k]) {
			continue
		}
		c := Change{Field: k, After: av[k]}
		if had {
			c.Before = b
		}
		out = append(out, c)
	}
	for _, k := range bk {
		if _, still := av[k]; !still {
			out = append(out, Change{Field: k, Before: bv[k]})
		}
	}
	return out
}

func nonEmpty(r json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(r)) == 0 {
		return nil
	}
	return r
}

// object reads a JSON object keeping the order of its keys. ok is false
// for anything that is not an object (and for empty input, with no keys).
func object(raw json.RawMessage) (keys []string, vals map[string]json.RawMessage, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil, false
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		return nil, nil, false
	}
	vals = map[string]json.RawMessage{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, nil, false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, nil, false
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	return keys, vals, true
}

// sameJSON compares two JSON values by meaning (key order and spacing
// aside).
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

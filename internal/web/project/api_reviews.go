package project

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/web/kit"
)

// The JSON API of gate reviews, around the same domain functions as the
// pages: the office draws a panel for a project's submitted gate; an
// expert reads their own assignments and scores them. Write routes take
// JSON, or form values as the pages post them.

// sizeOf reads a panel size given as a JSON number or a form's text.
func sizeOf(raw json.RawMessage) (int, error) {
	bad := i18n.Errorf("评审专家人数应为整数", "the panel size must be a whole number").OnField("size")
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, bad
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, bad
	}
	return n, nil
}

// apiDraw draws a panel with a fresh seed, which the draw records (the
// caller cannot choose it), and answers with the review as GET
// /api/v1/projects/{id} shows it to the caller: the office, the only
// caller who may draw, sees the experts' names.
func (h handlers) apiDraw(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	var field string
	var size int
	if kit.IsJSON(r) {
		var b struct {
			Field string          `json:"field"`
			Size  json.RawMessage `json:"size"`
		}
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
		if field, size = b.Field, 0; len(b.Size) > 0 {
			if size, err = sizeOf(b.Size); err != nil {
				return err
			}
		}
	} else {
		field = r.PostFormValue("field")
		if size, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("size"))); err != nil {
			return i18n.Errorf("评审专家人数应为整数", "the panel size must be a whole number").OnField("size")
		}
	}
	rid, err := h.svc.DrawPanel(r.Context(), kit.Actor(r), scopes(r, Offices), id, field, size, nil)
	if err != nil {
		return refuse(err)
	}
	v, err := h.showData(r, id)
	if err != nil {
		return refuse(err)
	}
	for _, x := range v.Reviews {
		if x.ID == rid {
			return kit.JSON(w, http.StatusCreated, map[string]any{"review": x})
		}
	}
	return fmt.Errorf("project: review %d of project %d: not shown", rid, id)
}

// apiReviews is the caller's own seats: the project, the gate, the score
// and opinion given; no other expert is named.
func (h handlers) apiReviews(w http.ResponseWriter, r *http.Request) error {
	as, err := h.svc.Assignments(r.Context(), account(r))
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"assignments": as})
}

func (h handlers) apiScore(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	// The seat's owner first: a refusal never depends on the body.
	if _, err := h.svc.Assignment(r.Context(), account(r), id); err != nil {
		return refuse(err)
	}
	var score int
	var opinion string
	if kit.IsJSON(r) {
		var b struct {
			Score   json.RawMessage `json:"score"`
			Opinion string          `json:"opinion"`
		}
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
		if err := json.Unmarshal(b.Score, &score); err != nil {
			return i18n.Errorf("评分应为 0 至 100 的整数", "the score must be a whole number from 0 to 100").OnField("score")
		}
		opinion = b.Opinion
	} else {
		if score, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("score"))); err != nil {
			return i18n.Errorf("评分应为 0 至 100 的整数", "the score must be a whole number from 0 to 100").OnField("score")
		}
		opinion = r.PostFormValue("opinion")
	}
	if err := h.svc.Score(r.Context(), kit.Actor(r), account(r), id, score, opinion); err != nil {
		return refuse(err)
	}
	as, err := h.svc.Assignment(r.Context(), account(r), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"assignment": as})
}

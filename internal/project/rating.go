package project

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Rating is one risk rating of a project by the office (CIO rating).
type Rating struct {
	ID        int64     `json:"id"`
	Rating    int       `json:"rating"`
	Comment   string    `json:"comment"`
	ActorName string    `json:"actor"`
	At        time.Time `json:"at"`
}

// Light is the colour of rating r: red for 1–2, yellow for 3, green for 4–5.
func Light(r int) string {
	switch {
	case r == 0:
		return ""
	case r <= 2:
		return "red"
	case r == 3:
		return "yellow"
	}
	return "green"
}

// Rate records the office's risk rating (1 high risk … 5 low risk) of
// project id in scopes with its comment, keeping every earlier rating.
func (s *Service) Rate(ctx context.Context, a audit.Actor, scopes []string, id int64, rating int, comment string) error {
	if rating < 1 || rating > 5 {
		return i18n.Errorf("风险评级应为 1（高风险）至 5（低风险）", "the risk rating must be 1 (high risk) to 5 (low risk)").OnField("rating")
	}
	comment, err := limitText(comment, 2000, "comment", "评级说明", "comment")
	if err != nil {
		return err
	}
	if comment == "" {
		return i18n.Errorf("请填写评级说明", "explain the rating").OnField("comment")
	}
	return s.writeTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_rating (project_id, rating, comment, actor_name, at) VALUES ($1,$2,$3,$4,$5)`,
			id, rating, comment, a.Name, s.now()); err != nil {
			return fmt.Errorf("project: rate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_project SET risk = $1 WHERE id = $2`, rating, id); err != nil {
			return fmt.Errorf("project: rate: %w", err)
		}
		if err := s.event(ctx, tx, a, id, "rating", p.Stage, fmt.Sprintf("风险评级 %d：%s", rating, comment)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "rate", "project", strconv.FormatInt(id, 10), p.OwnerPath,
			map[string]any{"risk": p.Risk}, map[string]any{"risk": rating, "comment": comment})
	})
}

// Ratings returns the risk ratings of project id, newest first (the
// caller has seen the project).
func (s *Service) Ratings(ctx context.Context, id int64) ([]Rating, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, rating, comment, actor_name, at FROM project_rating WHERE project_id = $1 ORDER BY id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("project: ratings: %w", err)
	}
	defer rows.Close()
	var out []Rating
	for rows.Next() {
		var r Rating
		if err := rows.Scan(&r.ID, &r.Rating, &r.Comment, &r.ActorName, &r.At); err != nil {
			return nil, fmt.Errorf("project: ratings: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

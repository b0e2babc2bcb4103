package project

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/supervise"
)

// Document kinds: the gate's own material, and the evidence acceptance needs.
const (
	Material = "material" // 阶段材料 (建议书、可研报告、初步设计…)
	MLPS     = "mlps"     // 等级保护测评报告
	Crypto   = "crypto"   // 商用密码应用安全性评估（密评）报告
)

// DocKinds lists the document kinds.
var DocKinds = []string{Material, MLPS, Crypto}

// MaxDocument bounds one document (the same as a supervision attachment).
const MaxDocument = supervise.MaxAttachment

// Document is a stored file of a project.
type Document struct {
	ID          int64     `json:"id"`
	ProjectID   int64     `json:"project_id"`
	Stage       string    `json:"stage"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	ActorName   string    `json:"actor"`
	CreatedAt   time.Time `json:"created_at"`
}

// Event is one step on a project's timeline.
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Stage     string    `json:"stage"`
	ActorName string    `json:"actor"`
	Body      string    `json:"text"`
}

// editable refuses changes by the owner unit while a gate waits for its
// decision or after the project ended.
func editable(p *Project) error {
	switch p.Status {
	case Draft, Returned:
		return nil
	}
	return i18n.Errorf("项目%[1]s，当前不能修改", "the project is %[2]s and cannot be changed now", statusZh[p.Status], p.Status)
}

// AddDocument stores a document of kind for the current stage of project
// id in scopes; name, size and content are checked.
func (s *Service) AddDocument(ctx context.Context, a audit.Actor, scopes []string, id int64, kind, name string, data []byte) (int64, error) {
	if !slices.Contains(DocKinds, kind) {
		return 0, i18n.Errorf("未知的材料类型 %q", "unknown document kind %q", kind).OnField("kind")
	}
	ct, err := supervise.CheckUpload(supervise.Upload{Name: name, Data: data})
	if err != nil {
		return 0, err
	}
	var docID int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if err := editable(p); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_document (project_id, stage, kind, name, content_type, size, data, actor_name, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`, id, p.Stage, kind, name, ct, len(data), data, a.Name, s.now()).Scan(&docID); err != nil {
			return fmt.Errorf("project: document: %w", err)
		}
		if err := s.event(ctx, tx, a, id, "document", p.Stage, kindZh[kind]+"："+name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "document", "project", strconv.FormatInt(id, 10), p.OwnerPath, nil,
			map[string]any{"document": docID, "kind": kind, "name": name, "size": len(data)})
	})
	return docID, err
}

var kindZh = map[string]string{Material: "阶段材料", MLPS: "等保测评报告", Crypto: "密评报告"}

// Documents lists the documents of project id (the caller has seen the project).
func (s *Service) Documents(ctx context.Context, id int64) ([]Document, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, project_id, stage, kind, name, content_type, size, actor_name, created_at
		FROM project_document WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("project: documents: %w", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.ID, &d.ProjectID, &d.Stage, &d.Kind, &d.Name, &d.ContentType, &d.Size, &d.ActorName, &d.CreatedAt); err != nil {
			return nil, fmt.Errorf("project: documents: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DocumentData returns document id with its bytes if its project lies in scopes.
func (s *Service) DocumentData(ctx context.Context, scopes []string, id int64) (*Document, []byte, error) {
	var d Document
	var data []byte
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, project_id, stage, kind, name, content_type, size, actor_name, created_at, data
		FROM project_document WHERE id = $1`, id).Scan(&d.ID, &d.ProjectID, &d.Stage, &d.Kind, &d.Name, &d.ContentType, &d.Size, &d.ActorName, &d.CreatedAt, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("project: document %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("project: document: %w", err)
	}
	if _, err := s.Get(ctx, scopes, d.ProjectID); err != nil {
		return nil, nil, err
	}
	return &d, data, nil
}

// Check is one rule checked on a project at its current stage.
type Check struct {
	Key string `json:"key"`
	OK  bool   `json:"ok"`
	// Blocks is the step a failed check refuses: "submit" or "approve".
	Blocks string    `json:"blocks"`
	Text   i18n.Text `json:"text"`
}

// Checks evaluates the rules of p's current stage given its documents.
func Checks(p *Project, docs []Document) []Check {
	has := func(kind, stage string) bool {
		for _, d := range docs {
			if d.Kind == kind && (stage == "" || d.Stage == stage) {
				return true
			}
		}
		return false
	}
	var out []Check
	out = append(out, Check{Key: "material", OK: has(Material, p.Stage), Blocks: "submit",
		Text: i18n.Text{Zh: "已上传本阶段材料（" + stageZh[p.Stage] + "）", En: "the material of this stage is uploaded (" + p.Stage + ")"}})
	if p.Stage == Design {
		out = append(out, Check{Key: "budget", OK: p.Budget != nil, Blocks: "submit",
			Text: i18n.Text{Zh: "已填写初步设计概算", En: "the budget estimate of the preliminary design is entered"}})
		if p.Budget != nil && p.Approved != nil {
			over := p.Budget.ExceedsBy(*p.Approved, 10)
			out = append(out, Check{Key: "budget_over", OK: !over, Blocks: "approve", Text: i18n.Text{
				Zh: fmt.Sprintf("概算 %s 万元不超过批复估算 %s 万元的 10%%（现为 %s%%）；超过须重新报批可行性研究报告", p.Budget.Wan(), p.Approved.Wan(), p.Budget.PercentOver(*p.Approved)),
				En: fmt.Sprintf("the budget estimate %s is at most 10%% above the approved estimate %s (now %s%%); above that the feasibility study must be approved again", p.Budget.Wan(), p.Approved.Wan(), p.Budget.PercentOver(*p.Approved)),
			}})
		}
	}
	if p.Stage == FinalAccept {
		out = append(out,
			Check{Key: "mlps", OK: has(MLPS, ""), Blocks: "submit", Text: i18n.Text{Zh: "已上传等级保护测评报告", En: "the classified protection (MLPS) assessment report is uploaded"}},
			Check{Key: "crypto", OK: has(Crypto, ""), Blocks: "submit", Text: i18n.Text{Zh: "已上传商用密码应用安全性评估（密评）报告", En: "the commercial cryptography assessment report is uploaded"}},
			Check{Key: "final", OK: p.Final != nil, Blocks: "submit", Text: i18n.Text{Zh: "已填写决算金额", En: "the final account is entered"}})
	}
	return out
}

var stageZh = map[string]string{Proposal: "项目建议书", Feasibility: "可行性研究报告", Design: "初步设计与概算", Implement: "实施",
	InitialAccept: "初验", FinalAccept: "竣工验收", Operate: "运行", SelfEval: "自评价", PostEval: "后评价"}

// failed joins the checks of cs that block step and did not pass into one
// bilingual error, or nil.
func failed(cs []Check, step string) error {
	var zh, en []string
	for _, c := range cs {
		if c.Blocks == step && !c.OK {
			zh, en = append(zh, c.Text.Zh), append(en, c.Text.En)
		}
	}
	if len(zh) == 0 {
		return nil
	}
	if step == "submit" {
		return i18n.Errorf("尚不能报送，未满足：%[1]s", "cannot submit yet; not met: %[2]s", strings.Join(zh, "；"), strings.Join(en, "; "))
	}
	return i18n.Errorf("不能批准，未满足：%[1]s", "cannot approve; not met: %[2]s", strings.Join(zh, "；"), strings.Join(en, "; "))
}

// Submit sends the current gate of project id in scopes for the office's
// decision, once the stage's checks pass.
func (s *Service) Submit(ctx context.Context, a audit.Actor, scopes []string, id int64, note string) error {
	return s.writeTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if err := editable(p); err != nil {
			return err
		}
		docs, err := s.Documents(ctx, id)
		if err != nil {
			return err
		}
		th, err := s.Thresholds(ctx)
		if err != nil {
			return err
		}
		sv, err := s.Supervise(ctx, p, th)
		if err != nil {
			return err
		}
		if err := failed(append(Checks(p, docs), ActionCheck(sv, s.Today())), "submit"); err != nil {
			return err
		}
		note, err = limitText(note, 2000, "note", "说明", "note")
		if err != nil {
			return err
		}
		if err := s.setState(ctx, tx, p, p.Stage, Submitted); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a, id, "submit", p.Stage, note); err != nil {
			return err
		}
		if err := notifySubmitted(ctx, tx, a, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "submit", "project", strconv.FormatInt(id, 10), p.OwnerPath,
			map[string]any{"stage": p.Stage, "status": p.Status}, map[string]any{"stage": p.Stage, "status": Submitted, "note": note})
	})
}

func (s *Service) setState(ctx context.Context, tx *store.Tx, p *Project, stage, status string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE project_project SET stage = $1, status = $2, updated_at = $3 WHERE id = $4`, stage, status, s.now(), p.ID); err != nil {
		return fmt.Errorf("project: state: %w", err)
	}
	return nil
}

// Decisions the office takes on a submitted gate.
const (
	Approve   = "approve"   // 批准: on to the next stage
	Return    = "return"    // 退回修改: back to the owner unit
	Reject    = "reject"    // 不予批准: the project ends
	Reapprove = "reapprove" // 重新报批: back to the feasibility study with the budget estimate as the new estimate
)

// Decisions lists the decisions.
var Decisions = []string{Approve, Return, Reject, Reapprove}

// Decide records the office's decision with its reason on the submitted
// gate of project id in scopes. Approval needs the stage's checks to
// pass; a budget estimate more than 10 % above the approved feasibility
// estimate can only be sent back for re-approval. Every decision but an
// approval needs a reason.
func (s *Service) Decide(ctx context.Context, a audit.Actor, scopes []string, id int64, decision, reason string) error {
	if !slices.Contains(Decisions, decision) {
		return i18n.Errorf("请选择决定：批准、退回修改、不予批准或重新报批", "choose a decision: approve, return, reject or re-approve").OnField("decision")
	}
	reason, err := limitText(reason, 2000, "reason", "理由", "reason")
	if err != nil {
		return err
	}
	if reason == "" && decision != Approve {
		return i18n.Errorf("请填写决定的理由", "give the reason for the decision").OnField("reason")
	}
	return s.writeTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if p.Status != Submitted {
			return i18n.Errorf("项目%[1]s，没有待审批的阶段", "the project is %[2]s; no gate waits for a decision", statusZh[p.Status], p.Status)
		}
		docs, err := s.Documents(ctx, id)
		if err != nil {
			return err
		}
		route, ok := s.Routes.ByID(p.Route)
		if !ok {
			route = s.Routes.For(p.Level, p.Category, p.Estimate)
		}
		before := map[string]any{"stage": p.Stage, "status": p.Status}
		stage, status := p.Stage, p.Status
		cs := Checks(p, docs)
		switch decision {
		case Approve:
			if err := failed(cs, "approve"); err != nil {
				return err
			}
			if p.Stage == Feasibility {
				if _, err := tx.ExecContext(ctx, `UPDATE project_project SET approved_estimate = estimate WHERE id = $1`, id); err != nil {
					return fmt.Errorf("project: approve: %w", err)
				}
			}
			if next := route.Next(p.Stage); next != "" {
				stage, status = next, Draft
			} else {
				status = Completed
			}
		case Return:
			status = Returned
		case Reject:
			status = Rejected
		case Reapprove:
			over := false
			for _, c := range cs {
				over = over || (c.Key == "budget_over" && !c.OK)
			}
			if !over || !route.Has(Feasibility) {
				return i18n.Errorf("只有概算超过批复估算 10%% 时才须重新报批可行性研究报告", "re-approval of the feasibility study applies only to a budget estimate more than 10%% above the approved estimate").OnField("decision")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE project_project SET estimate = budget, approved_estimate = NULL WHERE id = $1`, id); err != nil {
				return fmt.Errorf("project: reapprove: %w", err)
			}
			stage, status = Feasibility, Draft
		}
		if err := s.setState(ctx, tx, p, stage, status); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a, id, decision, p.Stage, reason); err != nil {
			return err
		}
		if err := notifyDecided(ctx, tx, a, p, decision, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "decide", "project", strconv.FormatInt(id, 10), p.OwnerPath, before,
			map[string]any{"decision": decision, "reason": reason, "stage": stage, "status": status})
	})
}

// Timeline returns the steps of project id in scopes, oldest first.
func (s *Service) Timeline(ctx context.Context, scopes []string, id int64) ([]Event, error) {
	if _, err := s.Get(ctx, scopes, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, at, kind, stage, actor_name, body FROM project_event WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("project: timeline: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.At, &e.Kind, &e.Stage, &e.ActorName, &e.Body); err != nil {
			return nil, fmt.Errorf("project: timeline: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

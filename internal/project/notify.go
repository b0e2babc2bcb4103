package project

import (
	"context"
	"errors"
	"strconv"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
)

// Notification kinds of the module.
var (
	// KindSubmitted tells the office a gate waits for its decision.
	KindSubmitted = notify.DefineKind("project.submitted", "project.notify.kind.submitted", false)
	// KindDecided tells the owner unit the office's decision.
	KindDecided = notify.DefineKind("project.decided", "project.notify.kind.decided", true)
	// KindAssigned tells an expert a panel seat waits for the score.
	KindAssigned = notify.DefineKind("project.assigned", "project.notify.kind.assigned", true)
)

// Link is the address of project id's page.
func Link(id int64) string { return "/projects/" + strconv.FormatInt(id, 10) }

// stageText is a stage's name in both languages.
func stageText(stage string) i18n.Text { return i18n.Text{Zh: stageZh[stage], En: stageEn[stage]} }

var stageEn = map[string]string{Proposal: "proposal", Feasibility: "feasibility study", Design: "preliminary design and budget", Implement: "implementation",
	InitialAccept: "initial acceptance", FinalAccept: "final acceptance", Operate: "operation", SelfEval: "self-evaluation", PostEval: "post-evaluation"}

var decisionText = map[string]i18n.Text{
	Approve: {Zh: "批准", En: "approved"}, Return: {Zh: "退回修改", En: "returned"}, Reject: {Zh: "不予批准", En: "rejected"},
	Reapprove: {Zh: "须重新报批可行性研究报告", En: "to have its feasibility study approved again"},
}

func notifySubmitted(ctx context.Context, tx *store.Tx, a audit.Actor, p *Project) error {
	_, err := notify.Send(ctx, tx, notify.Message{Kind: KindSubmitted, Key: "project.notify.submitted",
		Args: []any{p.OwnerName, p.Name, stageText(p.Stage)}, Link: Link(p.ID),
		To: []notify.Recipient{notify.Covering(auth.Office, p.OwnerPath)}, Except: a.UserID})
	return err
}

func notifyDecided(ctx context.Context, tx *store.Tx, a audit.Actor, p *Project, decision, reason string) error {
	if reason == "" {
		reason = "—"
	}
	_, err := notify.Send(ctx, tx, notify.Message{Kind: KindDecided, Key: "project.notify.decided",
		Args: []any{p.Name, stageText(p.Stage), decisionText[decision], reason}, Link: Link(p.ID),
		To: []notify.Recipient{notify.Covering(auth.Reporter, p.OwnerPath), notify.Covering(auth.Approver, p.OwnerPath)}, Except: a.UserID})
	return err
}

// expertUsers are the user ids of the experts' accounts; experts without
// an account, or whose account does not exist, are left out.
func (s *Service) expertUsers(ctx context.Context, accounts []string) ([]int64, error) {
	var ids []int64
	for _, acct := range accounts {
		if acct == "" {
			continue
		}
		u, err := auth.UserByName(ctx, s.DB, acct)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// notifyAssigned tells the experts of panel (by their accounts) that
// their scores are awaited; experts without an account are left out.
func (s *Service) notifyAssigned(ctx context.Context, tx *store.Tx, a audit.Actor, p *Project, accounts []string) error {
	ids, err := s.expertUsers(ctx, accounts)
	if err != nil || len(ids) == 0 {
		return err
	}
	_, err = notify.Send(ctx, tx, notify.Message{Kind: KindAssigned, Key: "project.notify.assigned",
		Args: []any{p.Name, stageText(p.Stage)}, Link: "/projects/reviews", To: []notify.Recipient{notify.Users(ids...)}, Except: a.UserID})
	return err
}

package supervise

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// MaxAttachment bounds one attachment; MaxAttachments the files of one report.
const (
	MaxAttachment  = 10 << 20
	MaxAttachments = 5
)

// allowedTypes maps accepted file name extensions to the content types
// sniffing must find in them (office documents are zip containers).
var allowedTypes = map[string][]string{
	".pdf":  {"application/pdf"},
	".png":  {"image/png"},
	".jpg":  {"image/jpeg"},
	".jpeg": {"image/jpeg"},
	".txt":  {"text/plain; charset=utf-8"},
	".csv":  {"text/plain; charset=utf-8"},
	".docx": {"application/zip"},
	".xlsx": {"application/zip"},
	".pptx": {"application/zip"},
}

// Upload is one attached file.
type Upload struct {
	Name string
	Data []byte
}

// CheckUpload returns the content type of u, or a bilingual error when
// its name, size or content is not accepted.
func CheckUpload(u Upload) (string, error) {
	name := strings.TrimSpace(filepath.Base(strings.ReplaceAll(u.Name, "\\", "/")))
	if name == "" || name == "." || name == "/" || len(name) > 200 {
		return "", i18n.Errorf("附件名称无效：%q", "the attachment name is not valid: %q", u.Name).OnField("files")
	}
	if len(u.Data) == 0 {
		return "", i18n.Errorf("附件 %s 是空文件", "the attachment %s is empty", name).OnField("files")
	}
	if len(u.Data) > MaxAttachment {
		return "", i18n.Errorf("附件 %s 超过 %d MB", "the attachment %s is larger than %d MB", name, MaxAttachment>>20).OnField("files")
	}
	want, ok := allowedTypes[strings.ToLower(filepath.Ext(name))]
	if !ok {
		return "", i18n.Errorf("附件 %s 的类型不受支持（可用 PDF、PNG、JPEG、TXT、CSV、DOCX、XLSX、PPTX）",
			"the attachment %s has a type that is not accepted (PDF, PNG, JPEG, TXT, CSV, DOCX, XLSX, PPTX are)", name).OnField("files")
	}
	got := http.DetectContentType(u.Data)
	for _, w := range want {
		if got == w {
			return strings.SplitN(got, ";", 2)[0], nil
		}
	}
	return "", i18n.Errorf("附件 %s 的内容与其扩展名不符（检测为 %s）", "the content of %s does not match its extension (found %s)", name, got).OnField("files")
}

// Event is one step on an item's timeline.
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	ActorName string    `json:"actor"`
	Body      string    `json:"text"`
	// BodyEn is the English of a text the system wrote (a reminder);
	// what people write is kept as written, in Body alone.
	BodyEn      string       `json:"text_en,omitempty"`
	Percent     int          `json:"percent"`
	DueBefore   string       `json:"due_before,omitempty"`
	DueAfter    string       `json:"due_after,omitempty"`
	Attachments []Attachment `json:"attachments"`
}

// Text is the step's text in lang: the English a system text has, the
// text as written otherwise.
func (e Event) Text(lang string) string {
	return i18n.Text{Zh: e.Body, En: e.BodyEn}.In(lang)
}

// ByReminder reports whether the automatic reminder wrote the step.
func (e Event) ByReminder() bool { return e.ActorName == Reminder.Name }

// Attachment is a stored file of a progress report.
type Attachment struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func addEvent(ctx context.Context, tx *store.Tx, at time.Time, a audit.Actor, item int64, kind, body string, percent int, before, after string) error {
	_, err := addEventID(ctx, tx, at, a, item, kind, body, percent, before, after)
	return err
}

func addEventID(ctx context.Context, tx *store.Tx, at time.Time, a audit.Actor, item int64, kind, body string, percent int, before, after string) (int64, error) {
	return addEventText(ctx, tx, at, a, item, kind, i18n.Text{Zh: body}, percent, before, after)
}

// addEventText adds a step whose text the system wrote, in both
// languages.
func addEventText(ctx context.Context, tx *store.Tx, at time.Time, a audit.Actor, item int64, kind string, body i18n.Text, percent int, before, after string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO supervise_event (item_id, at, kind, actor_id, actor_name, body, body_en, percent, due_before, due_after)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`, item, at, kind, a.UserID, a.Name, body.Zh, body.En, percent, before, after).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("supervise: add %s event: %w", kind, err)
	}
	return id, nil
}

// Timeline returns the steps of an item in scopes, oldest first.
func (s *Service) Timeline(ctx context.Context, scopes []string, id int64) ([]Event, error) {
	if _, err := s.Item(ctx, scopes, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, at, kind, actor_name, body, body_en, percent, due_before, due_after
		FROM supervise_event WHERE item_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("supervise: timeline: %w", err)
	}
	var out []Event
	idx := map[int64]int{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.At, &e.Kind, &e.ActorName, &e.Body, &e.BodyEn, &e.Percent, &e.DueBefore, &e.DueAfter); err != nil {
			rows.Close()
			return nil, err
		}
		e.Attachments = []Attachment{}
		idx[e.ID] = len(out)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT id, event_id, name, content_type, size FROM supervise_attachment WHERE item_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("supervise: attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at Attachment
		var ev int64
		if err := rows.Scan(&at.ID, &ev, &at.Name, &at.ContentType, &at.Size); err != nil {
			return nil, err
		}
		if i, ok := idx[ev]; ok {
			out[i].Attachments = append(out[i].Attachments, at)
		}
	}
	return out, rows.Err()
}

// AttachmentData returns an attachment of an item in scopes with its bytes.
func (s *Service) AttachmentData(ctx context.Context, scopes []string, id int64) (Attachment, []byte, error) {
	var at Attachment
	var item int64
	var data []byte
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, item_id, name, content_type, size, data FROM supervise_attachment WHERE id = $1`, id).
		Scan(&at.ID, &item, &at.Name, &at.ContentType, &at.Size, &data)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return at, nil, store.ErrNotFound
		}
		return at, nil, fmt.Errorf("supervise: attachment %d: %w", id, err)
	}
	if _, err := s.Item(ctx, scopes, item); err != nil {
		return at, nil, err
	}
	return at, data, nil
}

// step loads the item in scopes inside tx, locks it by updating its
// timestamp, and runs fn on it.
func (s *Service) step(ctx context.Context, scopes []string, id int64, fn func(tx *store.Tx, it *Item) error) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE supervise_item SET updated_at = $1 WHERE id = $2`, store.Now(), id); err != nil {
			return err
		}
		it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+itemFrom+` WHERE i.id = $1`, id))
		if err != nil {
			if strings.Contains(err.Error(), "no rows") {
				return store.ErrNotFound
			}
			return fmt.Errorf("supervise: item %d: %w", id, err)
		}
		if !inScopes(it.UnitPath, scopes) {
			return ErrOutside
		}
		return fn(tx, it)
	})
}

func errStage(it *Item, action string) error {
	zh := fmt.Sprintf("事项 %d 当前为「%s」，不能%s", it.ID, stageZh[it.Stage], actionZh[action])
	en := fmt.Sprintf("item %d is %s and cannot be %s", it.ID, it.Stage, action)
	return &i18n.Error{Text: i18n.Text{Zh: zh, En: en}, Field: "stage"}
}

var stageZh = map[string]string{Open: "办理中", Returned: "已退办", Closed: "已办结"}
var actionZh = map[string]string{"reported on": "报送进展", "extended": "申请延期", "returned": "退办", "closed": "办结", "decided": "审批延期"}

// Progress is one progress report.
type Progress struct {
	Text    string   `json:"text"`
	Percent int      `json:"percent"`
	Files   []Upload `json:"-"`
}

// Report records a progress report of the responsible unit; a returned
// item goes back to open. scopes are the caller's reporting subtrees.
func (s *Service) Report(ctx context.Context, a audit.Actor, scopes []string, id int64, p Progress) error {
	text := strings.TrimSpace(p.Text)
	if text == "" {
		return i18n.Errorf("请填写进展情况", "describe the progress").OnField("text")
	}
	if len([]rune(text)) > 5000 {
		return i18n.Errorf("进展情况过长（最多 5000 字）", "the progress text is too long (5000 characters at most)").OnField("text")
	}
	if p.Percent < 0 || p.Percent > 100 {
		return i18n.Errorf("完成进度应在 0 到 100 之间：%d", "the percent complete must be between 0 and 100: %d", p.Percent).OnField("percent")
	}
	if len(p.Files) > MaxAttachments {
		return i18n.Errorf("一次最多 %d 个附件", "at most %d attachments at once", MaxAttachments).OnField("files")
	}
	types := make([]string, len(p.Files))
	for i, f := range p.Files {
		ct, err := CheckUpload(f)
		if err != nil {
			return err
		}
		types[i] = ct
	}
	return s.step(ctx, scopes, id, func(tx *store.Tx, it *Item) error {
		stage := it.Stage
		switch it.Stage {
		case Open:
		case Returned:
			stage = Open
		default:
			return errStage(it, "reported on")
		}
		ev, err := addEventID(ctx, tx, s.stamp(), a, id, "progress", text, p.Percent, "", "")
		if err != nil {
			return err
		}
		for i, f := range p.Files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO supervise_attachment (event_id, item_id, name, content_type, size, data) VALUES ($1,$2,$3,$4,$5,$6)`,
				ev, id, filepath.Base(strings.ReplaceAll(f.Name, "\\", "/")), types[i], len(f.Data), f.Data); err != nil {
				return fmt.Errorf("supervise: store attachment: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supervise_item SET percent = $1, stage = $2 WHERE id = $3`, p.Percent, stage, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "progress", "supervise_item", fmt.Sprint(id), it.UnitPath,
			map[string]any{"percent": it.Percent, "stage": it.Stage}, map[string]any{"percent": p.Percent, "stage": stage, "files": len(p.Files)})
	})
}

// RequestExtension asks for a new deadline, before the current one has
// passed; one request may wait at a time.
func (s *Service) RequestExtension(ctx context.Context, a audit.Actor, scopes []string, id int64, newDue, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return i18n.Errorf("请填写延期理由", "give the reason for the extension").OnField("reason")
	}
	nd, err := ParseDate(strings.TrimSpace(newDue))
	if err != nil {
		return i18n.Errorf("新的办结时限应为 YYYY-MM-DD：%q", "the new deadline must be YYYY-MM-DD: %q", newDue).OnField("due")
	}
	return s.step(ctx, scopes, id, func(tx *store.Tx, it *Item) error {
		if it.Stage != Open {
			return errStage(it, "extended")
		}
		due, _ := ParseDate(it.Due)
		if s.Today().After(due) {
			return i18n.Errorf("事项已超过办结时限 %s，不能再申请延期", "the item is past its deadline %s; an extension can no longer be asked for", it.Due).OnField("due")
		}
		if !nd.After(due) {
			return i18n.Errorf("新的办结时限 %s 应晚于现在的 %s", "the new deadline %s must be after the current one, %s", FormatDate(nd), it.Due).OnField("due")
		}
		if it.ExtensionPending != "" {
			return i18n.Errorf("已有一个延期申请（至 %s）等待审批", "an extension request (to %s) is already waiting", it.ExtensionPending).OnField("due")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supervise_item SET extension_pending = $1 WHERE id = $2`, FormatDate(nd), id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, s.stamp(), a, id, "extension_request", reason, it.Percent, it.Due, FormatDate(nd)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "extension_request", "supervise_item", fmt.Sprint(id), it.UnitPath, nil, map[string]any{"due": it.Due, "asked": FormatDate(nd), "reason": reason})
	})
}

// DecideExtension approves or refuses the waiting extension request; a
// refusal needs a reason. scopes are the caller's office subtrees.
func (s *Service) DecideExtension(ctx context.Context, a audit.Actor, scopes []string, id int64, approve bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return i18n.Errorf("不同意延期时请填写理由", "give the reason for refusing the extension").OnField("reason")
	}
	return s.step(ctx, scopes, id, func(tx *store.Tx, it *Item) error {
		if it.Stage == Closed {
			return errStage(it, "decided")
		}
		if it.ExtensionPending == "" {
			return i18n.Errorf("事项 %d 没有等待审批的延期申请", "item %d has no extension request waiting", it.ID).OnField("decision")
		}
		due, kind := it.Due, "extension_refuse"
		if approve {
			due, kind = it.ExtensionPending, "extension_approve"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supervise_item SET due_on = $1, extension_pending = '' WHERE id = $2`, due, id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, s.stamp(), a, id, kind, reason, it.Percent, it.Due, due); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, kind, "supervise_item", fmt.Sprint(id), it.UnitPath,
			map[string]any{"due": it.Due, "asked": it.ExtensionPending}, map[string]any{"due": due, "reason": reason})
	})
}

// Return sends an open item back to its unit with the reason (退办).
func (s *Service) Return(ctx context.Context, a audit.Actor, scopes []string, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return i18n.Errorf("请填写退办理由", "give the reason for returning the item").OnField("reason")
	}
	return s.move(ctx, a, scopes, id, Returned, "return", reason, "returned")
}

// Close closes an open item after review (办结) on today's date.
func (s *Service) Close(ctx context.Context, a audit.Actor, scopes []string, id int64, note string) error {
	return s.move(ctx, a, scopes, id, Closed, "close", strings.TrimSpace(note), "closed")
}

func (s *Service) move(ctx context.Context, a audit.Actor, scopes []string, id int64, to, kind, body, action string) error {
	return s.step(ctx, scopes, id, func(tx *store.Tx, it *Item) error {
		if !CanMove(it.Stage, to) {
			return errStage(it, action)
		}
		closed, percent := "", it.Percent
		if to == Closed {
			closed, percent = FormatDate(s.Today()), 100
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supervise_item SET stage = $1, closed_on = $2, percent = $3, extension_pending = '' WHERE id = $4`, to, closed, percent, id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, s.stamp(), a, id, kind, body, percent, "", ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, kind, "supervise_item", fmt.Sprint(id), it.UnitPath,
			map[string]any{"stage": it.Stage}, map[string]any{"stage": to, "reason": body, "closed_on": closed})
	})
}

// IsOutside reports whether err refuses an object outside the caller's units.
func IsOutside(err error) bool { return errors.Is(err, ErrOutside) }

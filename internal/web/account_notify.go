package web

import (
	"net/http"

	"zhihui/internal/notify"
	"zhihui/internal/web/kit"
)

// notifyForm is the notification settings form of the account page: the
// e-mail address and, per kind of message, how it is received.
type notifyForm struct {
	Email string
	Kinds []notifyKind
	// Mail says whether this installation sends e-mail at all.
	Mail bool
}

type notifyKind struct {
	notify.Kind
	Mode  notify.Mode
	Modes []notify.Mode // those offered: mandatory kinds cannot be off
}

// Field is the form field of the kind's mode.
func (k notifyKind) Field() string { return "mode_" + k.Name }

func newNotifyForm(st notify.Settings, mail bool) *notifyForm {
	f := &notifyForm{Email: st.Email, Mail: mail}
	for _, k := range notify.Kinds() {
		if k.Name == "" || isTestKind(k.Name) {
			continue
		}
		nk := notifyKind{Kind: k, Mode: st.Mode(k.Name)}
		for _, m := range notify.Modes {
			if m == notify.Off && k.Mandatory {
				continue
			}
			nk.Modes = append(nk.Modes, m)
		}
		f.Kinds = append(f.Kinds, nk)
	}
	return f
}

// isTestKind hides kinds that tests define from the form.
func isTestKind(name string) bool { return len(name) > 5 && name[:5] == "test." }

// notifySettingsSave stores the caller's notification settings; wrong
// input shows the form again with what was entered and the error.
func (s *Server) notifySettingsSave(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	st := notify.Settings{Email: r.PostFormValue("email"), Modes: map[string]notify.Mode{}}
	for _, k := range notify.Kinds() {
		if v := r.PostFormValue("mode_" + k.Name); v != "" {
			st.Modes[k.Name] = notify.Mode(v)
		}
	}
	err := notify.SaveSettings(r.Context(), s.db, p.Actor(clientIP(r)), p.User.ID, st)
	if err == nil {
		return kit.Redirect(w, r, "/account?flash=notify_settings_saved#notify")
	}
	ue, ok := kit.UserError(err)
	if !ok {
		return err
	}
	pg, err := s.accountPage(r, accountView{Notify: newNotifyForm(st, s.opt.Notify.MailEnabled())})
	if err != nil {
		return err
	}
	pg.Error = ue.Message(pg.Lang)
	s.render(w, r, "account", http.StatusBadRequest, pg)
	return nil
}

package web

import (
	"net/http"

	"zhihui/internal/i18n"
	"zhihui/internal/reporting"
)

// maxNotifications is how many notifications the list shows, unread first.
const maxNotifications = 200

type notificationsView struct {
	Notifications []reporting.Notification
	Unread        int
}

// notificationsPage lists the caller's notifications, unread first.
func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ns, err := reporting.Notifications(r.Context(), s.db, p.User.ID, maxNotifications)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := notificationsView{Notifications: ns}
	for _, n := range ns {
		if n.ReadAt == nil {
			v.Unread++
		}
	}
	pg := s.page(r, "reporting", v)
	pg.Title = i18n.T(pg.Lang, "reporting.notifications")
	s.render(w, r, "reporting/notifications", http.StatusOK, pg)
}

// notificationsReadAll marks every notification of the caller read.
func (s *Server) notificationsReadAll(w http.ResponseWriter, r *http.Request) {
	_, err := reporting.MarkAllRead(r.Context(), s.db, principal(r).User.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reporting/notifications?flash=notifications_read", http.StatusSeeOther)
}

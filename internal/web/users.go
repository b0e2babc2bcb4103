package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

type usersView struct {
	Users []*auth.User
	Roles []auth.Role
	Form  struct{ Name, DisplayName, Role, Org string }
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, nil, usersView{})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, formErr error, v usersView) {
	p := principal(r)
	users, err := auth.ListUsers(r.Context(), s.db, p.Scopes(auth.Admin))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Users, v.Roles = users, auth.Roles
	pg := s.page(r, "admin", v)
	pg.Title = i18n.T(pg.Lang, "users.title")
	if ue, ok := kit.UserError(formErr); ok {
		pg.Error = ue.Message(pg.Lang)
	} else if formErr != nil {
		s.fail(w, r, formErr)
		return
	}
	s.render(w, r, "users", status, pg)
}

// usersXLSX: GET /admin/users.xlsx — the accounts the users page lists
// (those with a role in the caller's units), with their roles.
func (s *Server) usersXLSX(w http.ResponseWriter, r *http.Request) {
	users, err := auth.ListUsers(r.Context(), s.db, principal(r).Scopes(auth.Admin))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lg := lang(r)
	head := []string{i18n.T(lg, "users.name"), i18n.T(lg, "users.display_name"), i18n.T(lg, "users.roles"), i18n.T(lg, "users.status")}
	rows := make([][]any, 0, len(users))
	for _, u := range users {
		var gs []string
		for _, g := range u.Grants {
			gs = append(gs, auth.RoleNames[g.Role].In(lg)+" @ "+g.OrgName)
		}
		st := i18n.T(lg, "users.active")
		if u.Disabled {
			st = i18n.T(lg, "users.disabled")
		}
		rows = append(rows, []any{u.Name, u.DisplayName, strings.Join(gs, "; "), st})
	}
	if err := kit.XLSX(w, "users.xlsx", head, rows); err != nil {
		s.fail(w, r, err)
	}
}

// userCreate adds an account with a first role; the admin must cover the
// unit the role is granted at.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var v usersView
	v.Form.Name = strings.TrimSpace(r.PostFormValue("name"))
	v.Form.DisplayName = strings.TrimSpace(r.PostFormValue("display_name"))
	v.Form.Role = r.PostFormValue("role")
	v.Form.Org = strings.TrimSpace(r.PostFormValue("org"))
	role, err := auth.ParseRole(v.Form.Role)
	if err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, err, v)
		return
	}
	unit, err := orgunit.Get(r.Context(), s.db, v.Form.Org)
	if err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", v.Form.Org), v)
		return
	}
	if !p.Covers(unit.Path, auth.Admin) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	actor := p.Actor(clientIP(r))
	u, err := auth.CreateUser(r.Context(), s.db, actor, auth.NewUser{Name: v.Form.Name, DisplayName: v.Form.DisplayName, Password: r.PostFormValue("password")})
	if err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, err, v)
		return
	}
	if err := auth.AddGrant(r.Context(), s.db, actor, u.ID, role, unit.Code); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?flash=user_created", http.StatusSeeOther)
}

// managedUser loads the user in the path and checks the caller may manage it.
func (s *Server) managedUser(w http.ResponseWriter, r *http.Request) (*auth.User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return nil, false
	}
	u, err := auth.GetUser(r.Context(), s.db, id)
	if s.lookupFailed(w, r, err, auth.ErrNotFound) {
		return nil, false
	}
	if !principal(r).CanManage(u) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return nil, false
	}
	return u, true
}

type userView struct {
	U      *auth.User
	Roles  []auth.Role
	Tokens []tokenRow
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	ts, err := auth.Tokens(r.Context(), s.db, u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := userView{U: u, Roles: auth.Roles}
	now := time.Now()
	for _, t := range ts {
		v.Tokens = append(v.Tokens, tokenRow{Token: t, Expired: t.Expired(now)})
	}
	pg := s.page(r, "admin", v)
	pg.Title = u.DisplayName
	s.render(w, r, "user", http.StatusOK, pg)
}

func (s *Server) userGrant(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	p := principal(r)
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	unit, err := orgunit.Get(r.Context(), s.db, strings.TrimSpace(r.PostFormValue("org")))
	if err != nil {
		s.fail(w, r, i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", r.PostFormValue("org")))
		return
	}
	if !p.Covers(unit.Path, auth.Admin) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	if err := auth.AddGrant(r.Context(), s.db, p.Actor(clientIP(r)), u.ID, role, unit.Code); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=saved", http.StatusSeeOther)
}

func (s *Server) userRevoke(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	p := principal(r)
	if u.ID == p.User.ID && r.PostFormValue("role") == string(auth.Admin) {
		s.fail(w, r, i18n.Errorf("不能撤销自己的管理员角色", "you cannot revoke your own admin role"))
		return
	}
	if err := auth.RemoveGrant(r.Context(), s.db, p.Actor(clientIP(r)), u.ID, auth.Role(r.PostFormValue("role")), r.PostFormValue("org")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=saved", http.StatusSeeOther)
}

func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	if err := auth.SetPassword(r.Context(), s.db, principal(r).Actor(clientIP(r)), u.ID, nil, r.PostFormValue("password"), ""); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=password_changed", http.StatusSeeOther)
}

func (s *Server) userDisable(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	p := principal(r)
	disable := r.PostFormValue("disabled") == "true"
	if u.ID == p.User.ID && disable {
		s.fail(w, r, i18n.Errorf("不能停用自己的账号", "you cannot disable your own account"))
		return
	}
	if err := auth.SetDisabled(r.Context(), s.db, p.Actor(clientIP(r)), u.ID, disable); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=saved", http.StatusSeeOther)
}

// userTokenRevoke lets an administrator revoke another user's API token.
func (s *Server) userTokenRevoke(w http.ResponseWriter, r *http.Request) {
	u, ok := s.managedUser(w, r)
	if !ok {
		return
	}
	tid, err := strconv.ParseInt(r.PathValue("tid"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	if err := auth.RevokeToken(r.Context(), s.db, principal(r).Actor(clientIP(r)), u.ID, tid); s.lookupFailed(w, r, err, auth.ErrNoToken) {
		return
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?flash=token_revoked", http.StatusSeeOther)
}

package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

type usersView struct {
	Users []*auth.User
	Roles []auth.Role
	Form  struct{ Name, DisplayName, Role, Org string }
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUsers(w, r, http.StatusOK, nil, usersView{})
}

// renderUsers shows the users page, with the create form's values and
// its user error when formErr is one; any other error is returned.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, formErr error, v usersView) error {
	ue, ok := kit.UserError(formErr)
	if formErr != nil && !ok {
		return formErr
	}
	p := principal(r)
	users, err := auth.ListUsers(r.Context(), s.db, p.Scopes(auth.Admin))
	if err != nil {
		return err
	}
	v.Users, v.Roles = users, auth.Roles
	pg := s.page(r, "admin", v)
	pg.Title = i18n.T(pg.Lang, "users.title")
	if ok {
		pg.Error = ue.Message(pg.Lang)
	}
	s.render(w, r, "users", status, pg)
	return nil
}

// usersXLSX: GET /admin/users.xlsx — the accounts the users page lists
// (those with a role in the caller's units), with their roles.
func (s *Server) usersXLSX(w http.ResponseWriter, r *http.Request) error {
	users, err := auth.ListUsers(r.Context(), s.db, principal(r).Scopes(auth.Admin))
	if err != nil {
		return err
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
	return kit.XLSX(w, "users.xlsx", head, rows)
}

// userCreate adds an account with a first role; the admin must cover the
// unit the role is granted at.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var v usersView
	v.Form.Name = strings.TrimSpace(r.PostFormValue("name"))
	v.Form.DisplayName = strings.TrimSpace(r.PostFormValue("display_name"))
	v.Form.Role = r.PostFormValue("role")
	v.Form.Org = strings.TrimSpace(r.PostFormValue("org"))
	role, err := auth.ParseRole(v.Form.Role)
	if err != nil {
		return s.renderUsers(w, r, http.StatusBadRequest, err, v)
	}
	unit, err := s.unitOf(r, v.Form.Org)
	if err != nil {
		return s.renderUsers(w, r, http.StatusBadRequest, err, v)
	}
	if !p.Covers(unit.Path, auth.Admin) {
		return kit.ErrOutside
	}
	actor := p.Actor(clientIP(r))
	u, err := auth.CreateUser(r.Context(), s.db, actor, auth.NewUser{Name: v.Form.Name, DisplayName: v.Form.DisplayName, Password: r.PostFormValue("password")})
	if err != nil {
		return s.renderUsers(w, r, http.StatusBadRequest, err, v)
	}
	if err := auth.AddGrant(r.Context(), s.db, actor, u.ID, role, unit.Code); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?flash=user_created")
}

// unitOf is the org unit of a form's code; an unknown code is a user
// error.
func (s *Server) unitOf(r *http.Request, code string) (orgunit.Unit, error) {
	unit, err := orgunit.Get(r.Context(), s.db, strings.TrimSpace(code))
	if errors.Is(err, store.ErrNotFound) {
		return unit, i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", code).OnField("org")
	}
	return unit, err
}

// managedUser loads the user in the path and checks the caller may manage
// it: an unknown user is kit.ErrNotFound (auth.ErrNotFound wraps
// store.ErrNotFound), one outside the caller's units kit.ErrOutside.
func (s *Server) managedUser(r *http.Request) (*auth.User, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	u, err := auth.GetUser(r.Context(), s.db, id)
	if err != nil {
		return nil, err
	}
	if !principal(r).CanManage(u) {
		return nil, kit.ErrOutside
	}
	return u, nil
}

type userView struct {
	U      *auth.User
	Roles  []auth.Role
	Tokens []tokenRow
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.managedUser(r)
	if err != nil {
		return err
	}
	ts, err := auth.Tokens(r.Context(), s.db, u.ID)
	if err != nil {
		return err
	}
	v := userView{U: u, Roles: auth.Roles}
	now := time.Now()
	for _, t := range ts {
		v.Tokens = append(v.Tokens, tokenRow{Token: t, Expired: t.Expired(now)})
	}
	pg := s.page(r, "admin", v)
	pg.Title = u.DisplayName
	s.render(w, r, "user", http.StatusOK, pg)
	return nil
}

func (s *Server) userGrant(w http.ResponseWriter, r *http.Request) error {
	u, err := s.managedUser(r)
	if err != nil {
		return err
	}
	p := principal(r)
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err != nil {
		return err
	}
	unit, err := s.unitOf(r, r.PostFormValue("org"))
	if err != nil {
		return err
	}
	if !p.Covers(unit.Path, auth.Admin) {
		return kit.ErrOutside
	}
	if err := auth.AddGrant(r.Context(), s.db, p.Actor(clientIP(r)), u.ID, role, unit.Code); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=saved")
}

func (s *Server) userRevoke(w http.ResponseWriter, r *http.Request) error {
	u, err := s.managedUser(r)
	if err != nil {
		return err
	}
	p := principal(r)
	if u.ID == p.User.ID && r.PostFormValue("role") == string(auth.Admin) {
		return i18n.Errorf("不能撤销自己的管理员角色", "you cannot revoke your own admin role")
	}
	if err := auth.RemoveGrant(r.Context(), s.db, p.Actor(clientIP(r)), u.ID, auth.Role(r.PostFormValue("role")), r.PostFormValue("org")); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=saved")
}

func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request) error {
	u, err := s.managedUser(r)
	if err != nil {
		return err
	}
	if err := auth.SetPassword(r.Context(), s.db, principal(r).Actor(clientIP(r)), u.ID, nil, r.PostFormValue("password"), ""); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=password_changed")
}

func (s *Server) userDisable(w http.ResponseWriter, r *http.Request) error {
	u, err := s.managedUser(r)
	if err != nil {
		return err
	}
	p := principal(r)
	disable := r.PostFormValue("disabled") == "true"
	if u.ID == p.User.ID && disable {
		return i18n.Errorf("不能停用自己的账号", "you cannot disable your own account")
	}
	if err := auth.SetDisabled(r.Context(), s.db, p.Actor(clientIP(r)), u.ID, disable); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/admin/users/"+r.PathValue("id")+"?flash=saved")
}

// userTokenRevoke lets an administrator revoke another user's API token.
func (s *Server) userTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	u, err := s.managedUser(r)
	if err != nil {
		return err
	}
	tid, err := kit.PathID(r, "tid")
	if err != nil {
		return err
	}
	// an unknown token: auth.ErrNoToken wraps store.ErrNotFound (404)
	if err := auth.RevokeToken(r.Context(), s.db, principal(r).Actor(clientIP(r)), u.ID, tid); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?flash=token_revoked")
}

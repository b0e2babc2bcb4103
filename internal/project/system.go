package project

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// System is an existing information system in the catalogue (信息系统目录).
type System struct {
	ID            int64  `json:"id"`
	Owner         string `json:"owner"`
	OwnerPath     string `json:"-"`
	OwnerName     string `json:"owner_name"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	DataResources string `json:"data_resources"`
	OMCost        Money  `json:"om_cost"`    // annual O&M cost
	MLPSLevel     int    `json:"mlps_level"` // 等保 level 1–5
	// RetiredYear is the year the system stopped running, 0 while it runs.
	RetiredYear int       `json:"retired_year,omitempty"`
	Demo        bool      `json:"demo,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewSystem is a system to add to the catalogue.
type NewSystem struct {
	Owner         string `json:"owner"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	DataResources string `json:"data_resources"`
	OMCost        Money  `json:"om_cost"`
	MLPSLevel     int    `json:"mlps_level"`
	Demo          bool   `json:"-"`
}

// AddSystem adds n to the catalogue for its unit, which must lie in scopes.
func (s *Service) AddSystem(ctx context.Context, a audit.Actor, scopes []string, n NewSystem) (int64, error) {
	var err error
	if n.Name, err = limitText(n.Name, 200, "name", "系统名称", "system name"); err != nil {
		return 0, err
	}
	if n.Name == "" {
		return 0, i18n.Errorf("请填写系统名称", "the system name is required").OnField("name")
	}
	if n.Description, err = limitText(n.Description, 5000, "description", "系统简介", "description"); err != nil {
		return 0, err
	}
	if n.DataResources, err = limitText(n.DataResources, 2000, "data_resources", "数据资源", "data resources"); err != nil {
		return 0, err
	}
	if n.MLPSLevel < 1 || n.MLPSLevel > 5 {
		return 0, i18n.Errorf("等保级别应为 1 至 5：%d", "the MLPS level must be 1 to 5: %d", n.MLPSLevel).OnField("mlps_level")
	}
	if n.OMCost < 0 {
		return 0, i18n.Errorf("年度运维费用不能为负数", "the annual O&M cost cannot be negative").OnField("om_cost")
	}
	u, err := orgunit.Get(ctx, s.DB, strings.TrimSpace(n.Owner))
	if errors.Is(err, store.ErrNotFound) {
		return 0, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", n.Owner).OnField("owner")
	}
	if err != nil {
		return 0, err
	}
	if !covered(u.Path, scopes) {
		return 0, ErrOutside
	}
	sig := SignText(systemText(n.Name, n.Description, n.DataResources))
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_system (owner_code, owner_path, owner_name, name, description, data_resources, om_cost, mlps_level, demo, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`, u.Code, u.Path, u.Name, n.Name, n.Description, n.DataResources, int64(n.OMCost), n.MLPSLevel,
			b2i(n.Demo), s.now()).Scan(&id); err != nil {
			return fmt.Errorf("project: system: %w", err)
		}
		if err := writeSig(ctx, tx, &sigRow{Kind: KindSystem, ID: id, OwnerCode: u.Code, OwnerPath: u.Path, Sig: sig, Resources: Items(n.DataResources)}, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "project_system", strconv.FormatInt(id, 10), u.Path, nil,
			map[string]any{"name": n.Name, "owner": u.Code, "om_cost": n.OMCost.Wan(), "mlps_level": n.MLPSLevel})
	})
	return id, err
}

// SystemFilter selects systems for a list.
type SystemFilter struct {
	Scopes  []string
	Q       string
	MLPS    int
	Page    int
	PerPage int
}

// Systems returns one page of the systems f selects and how many there are.
func (s *Service) Systems(ctx context.Context, f SystemFilter) ([]System, int, error) {
	if len(f.Scopes) == 0 {
		return nil, 0, ErrOutside
	}
	var args store.Args
	var sc []string
	for _, p := range f.Scopes {
		sc = append(sc, "owner_path LIKE "+args.Add(p+"%"))
	}
	w := " WHERE (" + strings.Join(sc, " OR ") + ")"
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(q) + "%"
		w += " AND (name LIKE " + args.Add(like) + " OR owner_name LIKE " + args.Add(like) + ")"
	}
	if f.MLPS != 0 {
		w += " AND mlps_level = " + args.Add(f.MLPS)
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_system`+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("project: systems: %w", err)
	}
	per := f.PerPage
	if per <= 0 {
		per = 50
	}
	per = min(per, MaxExport)
	page := max(f.Page, 1)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, owner_code, owner_path, owner_name, name, description, data_resources, om_cost, mlps_level, retired_year, demo, created_at
		FROM project_system`+w+` ORDER BY owner_path, id LIMIT `+strconv.Itoa(per)+` OFFSET `+strconv.Itoa((page-1)*per), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("project: systems: %w", err)
	}
	defer rows.Close()
	var out []System
	for rows.Next() {
		var y System
		var cost int64
		var demo int
		if err := rows.Scan(&y.ID, &y.Owner, &y.OwnerPath, &y.OwnerName, &y.Name, &y.Description, &y.DataResources, &cost, &y.MLPSLevel, &y.RetiredYear, &demo, &y.CreatedAt); err != nil {
			return nil, 0, fmt.Errorf("project: systems: %w", err)
		}
		y.OMCost, y.Demo = Money(cost), demo == 1
		out = append(out, y)
	}
	return out, total, rows.Err()
}

// SystemsByID returns the systems ids, in id order.
func (s *Service) SystemsByID(ctx context.Context, ids []int64) ([]System, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var args store.Args
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, owner_code, owner_path, owner_name, name, description, data_resources, om_cost, mlps_level, retired_year, demo, created_at
		FROM project_system WHERE id IN (`+store.In(&args, ids)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: systems: %w", err)
	}
	defer rows.Close()
	var out []System
	for rows.Next() {
		var y System
		var cost int64
		var demo int
		if err := rows.Scan(&y.ID, &y.Owner, &y.OwnerPath, &y.OwnerName, &y.Name, &y.Description, &y.DataResources, &cost, &y.MLPSLevel, &y.RetiredYear, &demo, &y.CreatedAt); err != nil {
			return nil, fmt.Errorf("project: systems: %w", err)
		}
		y.OMCost, y.Demo = Money(cost), demo == 1
		out = append(out, y)
	}
	return out, rows.Err()
}

// OMTolerance is how far, in percent, an O&M request may exceed the
// annual O&M cost of its systems in the catalogue before it is flagged.
const OMTolerance = 20

// OMCheck compares the request of an O&M project with the annual O&M
// cost of its linked systems in the catalogue; it flags, it never blocks.
// ok is false when no system is linked or the request exceeds the
// catalogue's cost by more than OMTolerance percent.
func OMCheck(p *Project, systems []System) Check {
	c := Check{Key: "om_budget"}
	if len(systems) == 0 {
		c.Text = i18n.Text{Zh: "运维项目未关联信息系统目录中的系统，无法核对运维费用", En: "the O&M project is linked to no system of the catalogue, so its cost cannot be checked"}
		return c
	}
	var sum Money
	for _, y := range systems {
		sum += y.OMCost
	}
	c.OK = !p.Estimate.ExceedsBy(sum, OMTolerance)
	c.Text = i18n.Text{
		Zh: fmt.Sprintf("运维申请 %s 万元，所关联系统在目录中登记的年度运维费合计 %s 万元（高出 %s%%，超过 %d%% 即提示）", p.Estimate.Wan(), sum.Wan(), p.Estimate.PercentOver(sum), OMTolerance),
		En: fmt.Sprintf("O&M request %s against an annual O&M cost of %s for the linked systems in the catalogue (%s%% above; flagged above %d%%)", p.Estimate.Wan(), sum.Wan(), p.Estimate.PercentOver(sum), OMTolerance),
	}
	return c
}

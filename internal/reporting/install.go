package reporting

import (
	"context"
	"errors"
	"fmt"

	"zhihui/internal/audit"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

func ptr(f float64) *float64 { return &f }

// quarterlyElements are the county quarterly figures the default county
// quarterly report collects (the catalogue's figures are yearly or
// monthly).
var quarterlyElements = []monitor.Element{
	{Code: "COUNTY_BB_NEW_SUBS", Name: "新增宽带用户（季度）", NameEn: "New broadband subscribers (quarter)", ValueType: monitor.Integer, Aggregation: monitor.Sum, Unit: "户", PeriodType: "quarterly", Min: ptr(0)},
	{Code: "COUNTY_FTTH_NEW", Name: "新增光纤入户家庭（季度）", NameEn: "Households newly passed by fibre (quarter)", ValueType: monitor.Integer, Aggregation: monitor.Sum, Unit: "户", PeriodType: "quarterly", Min: ptr(0)},
	{Code: "COUNTY_IT_INVEST", Name: "信息化项目完成投资（季度）", NameEn: "Informatization project investment (quarter)", ValueType: monitor.Number, Aggregation: monitor.Sum, Unit: "万元", PeriodType: "quarterly", Min: ptr(0)},
}

// DefaultDataSets are the forms a fresh installation offers.
var DefaultDataSets = []DataSet{
	{Code: "VILLAGE_MONTHLY", Name: "村级宽带月报", NameEn: "Village broadband monthly report", PeriodType: "monthly",
		OrgKinds: []string{orgunit.Village}, DueDays: 15,
		Elements: []string{"VILLAGE_BB", "VILLAGE_BB_PORTS", "VILLAGE_BB_SUBS", "VILLAGE_BB_SPEED", "VILLAGE_INFO_STATION"}},
	{Code: "COUNTY_QUARTERLY", Name: "县级信息化季报", NameEn: "County informatization quarterly report", PeriodType: "quarterly",
		OrgKinds: []string{orgunit.County}, DueDays: 15,
		Elements: []string{"COUNTY_BB_NEW_SUBS", "COUNTY_FTTH_NEW", "COUNTY_IT_INVEST"}},
	{Code: "COUNTY_ANNUAL", Name: "县级信息化年报", NameEn: "County informatization annual report", PeriodType: "yearly",
		OrgKinds: []string{orgunit.County}, DueDays: 20,
		Elements: []string{"HOUSEHOLDS_URBAN", "HOUSEHOLDS_RURAL", "BB_URBAN_SUBS", "BB_RURAL_SUBS", "FTTH_URBAN_HOUSEHOLDS",
			"ADMIN_VILLAGES", "ADMIN_VILLAGES_BB", "ADMIN_VILLAGES_FIBER", "ADMIN_VILLAGES_INFO", "RURAL_INFO_STATIONS",
			"BB_URBAN_CAP", "BB_RURAL_CAP", "FIRMS_ABOVE_SCALE", "FIRMS_CNC",
			"PERMIT_ITEMS", "PERMIT_ITEMS_ONLINE", "PUBSERV_ITEMS", "PUBSERV_ITEMS_ONLINE", "ECOMMERCE_VOLUME"}},
	{Code: "DEPT_ANNUAL", Name: "省直部门信息化年报", NameEn: "Provincial department annual report", PeriodType: "yearly",
		OrgKinds: []string{orgunit.Department}, DueDays: 20,
		Elements: []string{"PERMIT_ITEMS", "PERMIT_ITEMS_ONLINE", "PUBSERV_ITEMS", "PUBSERV_ITEMS_ONLINE",
			"INFO_SERVICE_VA", "SERVICES_VA", "TWO_INTEGRATION_INDEX", "INFO_DEV_INDEX", "INFO_DEV_INDEX_NATIONAL", "INFO_DEV_INDEX_RANK",
			"ELEC_MFG_CENTRAL_RANK", "IPV6_ACTIVE_USERS", "MOBILE_3G_USERS"}},
}

// DefaultRules are the validation rules a fresh installation checks.
var DefaultRules = []Rule{
	{Code: "VILLAGES_BB_LE_VILLAGES", Name: "通宽带行政村数不超过行政村数", NameEn: "Villages with broadband ≤ administrative villages",
		Left: "#{ADMIN_VILLAGES_BB}", Op: "<=", Right: "#{ADMIN_VILLAGES}", Importance: High, PeriodType: "yearly",
		MessageZh: "通宽带的行政村数大于行政村总数", MessageEn: "more villages with broadband than administrative villages"},
	{Code: "VILLAGES_FIBER_LE_VILLAGES", Name: "通光纤行政村数不超过行政村数", NameEn: "Villages with fibre ≤ administrative villages",
		Left: "#{ADMIN_VILLAGES_FIBER}", Op: "<=", Right: "#{ADMIN_VILLAGES}", Importance: High, PeriodType: "yearly",
		MessageZh: "通光纤的行政村数大于行政村总数", MessageEn: "more villages with fibre than administrative villages"},
	{Code: "VILLAGES_FIBER_LE_BB", Name: "通光纤行政村数不超过通宽带行政村数", NameEn: "Villages with fibre ≤ villages with broadband",
		Left: "#{ADMIN_VILLAGES_FIBER}", Op: "<=", Right: "#{ADMIN_VILLAGES_BB}", Importance: Medium, PeriodType: "yearly",
		MessageZh: "通光纤的行政村多于通宽带的行政村", MessageEn: "more villages with fibre than with broadband"},
	{Code: "VILLAGES_INFO_LE_VILLAGES", Name: "信息服务覆盖行政村数不超过行政村数", NameEn: "Villages with information services ≤ administrative villages",
		Left: "#{ADMIN_VILLAGES_INFO}", Op: "<=", Right: "#{ADMIN_VILLAGES}", Importance: High, PeriodType: "yearly",
		MessageZh: "信息服务覆盖的行政村数大于行政村总数", MessageEn: "more villages covered by information services than administrative villages"},
	{Code: "STATIONS_LE_VILLAGES", Name: "农村综合信息服务站不超过行政村数", NameEn: "Rural information stations ≤ administrative villages",
		Left: "#{RURAL_INFO_STATIONS}", Op: "<=", Right: "#{ADMIN_VILLAGES}", Importance: Medium, PeriodType: "yearly",
		MessageZh: "农村综合信息服务站多于行政村（每村至多一站）", MessageEn: "more rural information stations than villages (at most one per village)"},
	{Code: "FTTH_LE_HOUSEHOLDS", Name: "光纤入户家庭不超过城镇家庭数", NameEn: "FTTH households ≤ urban households",
		Left: "#{FTTH_URBAN_HOUSEHOLDS}", Op: "<=", Right: "#{HOUSEHOLDS_URBAN}", Importance: High, PeriodType: "yearly",
		MessageZh: "具备光纤入户条件的家庭数大于城镇家庭总数", MessageEn: "more households passed by fibre than urban households"},
	{Code: "RURAL_BB_SHARE_LE_100", Name: "农村家庭宽带普及率不超过100%", NameEn: "Rural household broadband share ≤ 100%",
		Left: "#{BB_RURAL_SUBS} / #{HOUSEHOLDS_RURAL} * 100", Op: "<=", Right: "100", Importance: Medium, PeriodType: "yearly",
		MessageZh: "农村家庭宽带用户数超过农村家庭户数（普及率超过 100%）", MessageEn: "rural broadband subscribers exceed rural households (share above 100%)"},
	{Code: "URBAN_BB_SHARE_LE_100", Name: "城镇家庭宽带普及率不超过100%", NameEn: "Urban household broadband share ≤ 100%",
		Left: "#{BB_URBAN_SUBS} / #{HOUSEHOLDS_URBAN} * 100", Op: "<=", Right: "100", Importance: Medium, PeriodType: "yearly",
		MessageZh: "城镇家庭宽带用户数超过城镇家庭户数（普及率超过 100%）", MessageEn: "urban broadband subscribers exceed urban households (share above 100%)"},
	{Code: "PERMITS_ONLINE_LE_ALL", Name: "在线办理许可项目不超过许可项目总数", NameEn: "Online permits ≤ all permits",
		Left: "#{PERMIT_ITEMS_ONLINE}", Op: "<=", Right: "#{PERMIT_ITEMS}", Importance: High, PeriodType: "yearly",
		MessageZh: "在线办理的行政许可项目多于许可项目总数", MessageEn: "more licensing items online than licensing items"},
	{Code: "PUBSERV_ONLINE_LE_ALL", Name: "在线公共服务不超过公共服务事项总数", NameEn: "Online public services ≤ all public services",
		Left: "#{PUBSERV_ITEMS_ONLINE}", Op: "<=", Right: "#{PUBSERV_ITEMS}", Importance: High, PeriodType: "yearly",
		MessageZh: "在线办理的公共服务事项多于事项总数", MessageEn: "more public services online than public services"},
	{Code: "CNC_LE_FIRMS", Name: "应用数控企业不超过规模以上企业数", NameEn: "CNC firms ≤ firms above designated size",
		Left: "#{FIRMS_CNC}", Op: "<=", Right: "#{FIRMS_ABOVE_SCALE}", Importance: High, PeriodType: "yearly",
		MessageZh: "应用数控技术的企业多于规模以上工业企业总数", MessageEn: "more CNC firms than firms above designated size"},
	{Code: "RURAL_CAP_LE_URBAN", Name: "农村宽带接入能力一般不高于城市", NameEn: "Rural access capability usually ≤ urban",
		Left: "#{BB_RURAL_CAP}", Op: "<=", Right: "#{BB_URBAN_CAP}", Importance: Low, PeriodType: "yearly",
		MessageZh: "农村家庭宽带接入能力高于城市，请核实", MessageEn: "rural access capability above urban; please check"},
	{Code: "VILLAGE_SUBS_LE_PORTS", Name: "村宽带用户不超过端口数", NameEn: "Village subscribers ≤ ports",
		Left: "#{VILLAGE_BB_SUBS}", Op: "<=", Right: "#{VILLAGE_BB_PORTS}", Importance: Medium, PeriodType: "monthly",
		MessageZh: "村宽带用户数大于端口数", MessageEn: "more broadband subscribers than ports in the village"},
}

// Install adds the default quarterly elements, data sets and rules that
// the store lacks; existing ones are left as users edited them. Safe on
// every start (after monitor.InstallCatalog).
func Install(ctx context.Context, db *store.DB) error {
	actor := audit.Actor{Name: "system"}
	for _, e := range quarterlyElements {
		if _, err := monitor.GetElement(ctx, db, e.Code); err == nil {
			continue
		} else if !errors.Is(err, monitor.ErrNotFound) {
			return err
		}
		if _, err := monitor.SaveElement(ctx, db, actor, e); err != nil {
			return fmt.Errorf("reporting: install element %s: %w", e.Code, err)
		}
	}
	for _, d := range DefaultDataSets {
		if _, err := GetDataSet(ctx, db, d.Code); err == nil {
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := SaveDataSet(ctx, db, actor, d); err != nil {
			return fmt.Errorf("reporting: install data set %s: %w", d.Code, err)
		}
	}
	have, err := Rules(ctx, db)
	if err != nil {
		return err
	}
	got := map[string]bool{}
	for _, r := range have {
		got[r.Code] = true
	}
	for _, r := range DefaultRules {
		if got[r.Code] {
			continue
		}
		if err := SaveRule(ctx, db, actor, r); err != nil {
			return fmt.Errorf("reporting: install rule %s: %w", r.Code, err)
		}
	}
	return nil
}

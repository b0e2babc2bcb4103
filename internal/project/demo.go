package project

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// The demo portfolio: synthetic projects, systems and experts, each
// marked as demo data, generated from fixed seeds so that every demo
// installation shows the same portfolio.

type theme struct {
	name, content, functions, data string
}

var demoThemes = []theme{
	{"政务服务一体化平台", "整合各部门政务服务事项，建设统一的网上办事大厅和移动端，实现事项统一受理、统一办理、统一反馈。推进电子证照共享互认，减少群众重复提交材料。建立办件全流程监督和好差评机制。", "统一身份认证；事项管理；网上受理；电子证照调用；办件监督；好差评", "政务服务事项库；办件库；电子证照库"},
	{"数据共享交换平台", "建设覆盖全市的政务数据共享交换体系，编制政务数据资源目录，汇聚人口、法人、空间地理等基础数据。提供数据接口服务和数据质量管理，支撑跨部门业务协同。", "资源目录管理；数据交换；接口服务；数据质量监测；共享统计", "人口基础信息；法人单位信息；空间地理信息"},
	{"智慧城管平台", "建设数字化城市管理系统，实现城市部件和事件的发现、立案、派遣、处置、核查、结案闭环管理。接入视频监控和物联网感知设备，提升城市精细化管理水平。", "案件受理；智能派遣；视频巡查；物联网感知；考核评价", "城市部件库；案件库；视频资源"},
	{"电子政务外网", "对电子政务外网骨干网络进行扩容升级，完善城域网到乡镇的接入，建设统一的安全防护体系和网络运维监控平台，满足各部门业务迁移上网需求。", "网络扩容；安全接入；运维监控；IPv6改造", "网络设备台账；IP地址资源"},
	{"公共资源交易平台", "建设全流程电子化公共资源交易平台，覆盖工程建设、政府采购、土地矿业权和国有产权交易，实现不见面开标和远程异地评标，交易数据实时共享。", "电子招投标；不见面开标；远程评标；交易监管；信用评价", "交易主体库；项目库；专家库"},
	{"社会信用信息平台", "归集各部门行政许可、行政处罚和信用评价信息，建设信用信息数据库和信用门户网站，提供信用查询、信用报告和联合奖惩服务。", "信用归集；信用查询；信用报告；联合奖惩；信用修复", "企业信用信息；自然人信用信息"},
	{"12345政务服务便民热线系统", "整合各类政务服务热线，建设统一的受理、派单、督办、回访系统，建立知识库和智能客服，对诉求数据进行分析研判。", "电话受理；网络受理；工单派发；督办回访；知识库；数据分析", "工单库；知识库"},
	{"不动产登记信息平台", "建设不动产统一登记信息平台，实现登记、交易、税收一窗受理，与公安、民政、税务等部门实时共享数据，提供网上查询和预约服务。", "一窗受理；登记审核；数据共享；网上查询；电子证照", "不动产登记数据；权籍调查数据"},
	{"智慧教育云平台", "建设覆盖全市中小学的教育云平台，提供优质数字教育资源、网络学习空间和教育管理服务，推动教育资源均衡配置。", "资源共享；网络学习空间；教育管理；在线课堂", "教育资源库；学籍数据"},
	{"全民健康信息平台", "建设区域全民健康信息平台，实现电子健康档案和电子病历在医疗机构间共享调阅，支撑分级诊疗、家庭医生签约和公共卫生管理。", "健康档案；电子病历共享；分级诊疗；家庭医生；公共卫生监测", "居民健康档案；电子病历"},
	{"应急指挥信息系统", "建设应急指挥中心信息系统，整合视频会商、预案管理、资源调度和监测预警功能，实现突发事件的统一指挥和协同处置。", "监测预警；预案管理；资源调度；视频会商；辅助决策", "应急资源库；预案库；危险源数据"},
	{"政府网站集约化平台", "建设统一的政府网站技术平台，整合各部门网站，统一信息发布、互动交流和安全防护，提升网站内容保障和服务水平。", "站群管理；信息发布；互动交流；智能搜索；安全防护", "网站内容库；政策文件库"},
	{"视频监控联网共享平台", "推进公共安全视频监控建设联网应用，整合各部门视频资源，建设视频共享交换平台和智能分析系统，服务社会治理。", "视频汇聚；共享交换；智能分析；权限管理", "视频点位资源；视频图像数据"},
	{"智慧农业综合服务平台", "建设农业生产、经营、管理和服务一体化平台，提供农产品质量追溯、农技服务和农村电子商务服务，促进农业信息化。", "质量追溯；农技服务；农村电商；生产监测", "农业经营主体；农产品追溯数据"},
	{"空间地理信息平台", "建设全市统一的地理空间信息公共平台，整合基础测绘成果和专题空间数据，提供地图服务和空间分析服务，支撑各部门应用。", "地图服务；空间分析；数据更新；专题图层", "基础地理信息；遥感影像"},
	{"智慧交通综合管理平台", "建设交通运行监测和综合管理平台，整合公交、出租、客运和路网数据，提供出行信息服务和交通运行分析。", "运行监测；出行服务；客运监管；数据分析", "路网数据；车辆运行数据"},
	{"生态环境监测信息系统", "建设生态环境监测监控一体化系统，接入大气、水、土壤和污染源在线监测数据，实现环境质量分析预警和执法监管。", "在线监测；预警分析；执法监管；信息公开", "环境监测数据；污染源数据"},
	{"电子证照库", "建设电子证照库和证照共享服务系统，推动各类证照电子化，实现跨部门、跨层级证照共享互认和亮证办事。", "证照制作；证照共享；亮证办事；用证监管", "电子证照数据"},
	{"协同办公系统", "建设覆盖全市党政机关的协同办公系统，实现公文流转、督查督办、会议管理和移动办公，推行无纸化办公。", "公文流转；督查督办；会议管理；移动办公", "公文数据；通讯录"},
	{"市场监管信息平台", "建设市场主体登记、监管和服务一体化平台，实施双随机一公开监管，归集企业信息并向社会公示。", "登记注册；双随机抽查；信息公示；投诉举报", "市场主体信息；抽查结果"},
}

var demoGeneric = []string{
	"项目遵循统一规划、统一标准、集约建设的原则，依托全省电子政务云平台部署。",
	"项目按照网络安全等级保护第三级要求进行安全设计，同步开展商用密码应用。",
	"项目建成后将与省级平台对接，实现数据上报和业务协同。",
	"建设周期为十二个月，分需求调研、系统开发、试运行和验收四个阶段实施。",
	"项目运维采用购买服务方式，建立运维管理制度和考核机制。",
	"本项目在原有系统基础上进行整合，避免重复投资。",
	"项目配套建设数据标准规范和管理制度，保障系统长效运行。",
	"硬件资源由政务云统一提供，不单独采购服务器和存储设备。",
	"系统采用微服务架构，支持国产操作系统、数据库和中间件。",
	"建设单位成立项目领导小组，主要负责同志任组长。",
	"项目资金纳入年度财政预算，按合同进度拨付。",
	"培训各级业务人员，编写操作手册和运维手册。",
	"项目绩效目标为办事效率提升百分之三十以上。",
	"通过政务外网连接各乡镇（街道）便民服务中心。",
	"移动端应用接入省级政务服务移动平台统一发布。",
	"系统日志留存不少于六个月，满足安全审计要求。",
	"开展第三方软件测评和安全渗透测试后方可上线。",
	"建立数据共享责任清单，明确数据提供和使用部门。",
}

// demoUnits are the owner units of the demo portfolio.
var demoUnits = []string{"41", "4101", "4102", "4103", "4104", "4105", "4106", "4107", "4108", "4109", "4110", "4111", "4112", "4113",
	"4114", "4115", "4116", "4117", "410102", "410181", "410225", "410482", "410526"}

var demoFundings = []string{"省级财政预算资金", "市级财政预算资金", "县级财政预算资金", "信息化发展专项资金", "政府债券资金"}

// DemoExpertAccount is the demo account of an expert in the pool.
const DemoExpertAccount = "expert"

// LoadDemo adds the demo portfolio unless it is there: 40 systems, 120
// experts, 320 projects across stages and levels with planted near
// duplicates, one finished review and one waiting for the demo expert.
func LoadDemo(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project WHERE demo = 1`).Scan(&n); err != nil {
		return fmt.Errorf("project: demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	s := New(db)
	a := audit.Actor{Name: "demo"}
	all := []string{"/" + orgunit.Root + "/"}
	units, err := orgunit.GetMany(ctx, db, demoUnits)
	if err != nil {
		return err
	}
	if len(units) == 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(2013, 8))
	sysOf := map[string][]int64{}
	for i := 0; i < 40; i++ {
		th, u := demoThemes[i%len(demoThemes)], units[(i*7)%len(units)]
		cost := Money((20 + r.IntN(400)) * 10000 / 4 * 4) // whole 元, several 万元
		sid, err := s.AddSystem(ctx, a, all, NewSystem{Owner: u.Code, Name: u.Name + th.name + "（已建）", Description: th.content,
			DataResources: th.data, OMCost: cost, MLPSLevel: 2 + r.IntN(2), Demo: true})
		if err != nil {
			return err
		}
		sysOf[u.Code] = append(sysOf[u.Code], sid)
	}
	if err := loadDemoExperts(ctx, s, a, r); err != nil {
		return err
	}
	type stageAt struct{ stage, status string }
	suffix := map[string]string{"new": "建设项目", "upgrade": "升级改造项目", "om": "运维项目"}
	var ids []int64
	var prevContent string
	WarmSegmenter()
	err = s.writeTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < 320; i++ {
			th := demoThemes[(i*3)%len(demoThemes)]
			u := units[(i/len(demoThemes)+i)%len(units)]
			cat := Categories[r.IntN(10)%3]
			gen := append([]string(nil), demoGeneric...)
			r.Shuffle(len(gen), func(x, y int) { gen[x], gen[y] = gen[y], gen[x] })
			own := sentences(th.content)
			r.Shuffle(len(own), func(x, y int) { own[x], own[y] = own[y], own[x] })
			content := fmt.Sprintf("%s计划投入 %d 个部门、覆盖 %d 个乡镇（街道）。", u.Name, 5+r.IntN(40), 3+r.IntN(30)) +
				strings.Join(own[:min(2, len(own))], "") + strings.Join(gen[:4+r.IntN(3)], "")
			est := Money(r.IntN(6000)+50) * 10000
			if cat == "om" {
				est = Money(r.IntN(300)+10) * 10000
			}
			np := NewProject{Number: fmt.Sprintf("DEMO-%d-%03d", 2014+i%6, i+1), Name: fmt.Sprintf("%s%s%s", u.Name, th.name, suffix[cat]),
				Owner: u.Code, Category: cat, Funding: demoFundings[r.IntN(len(demoFundings))], Year: 2014 + i%6, Estimate: est,
				Summary: "【演示数据】" + u.Name + "建设" + th.name + "。", Content: content, Functions: th.functions, Demo: true}
			if i%53 == 7 {
				// A planted near duplicate of the project before it: the
				// same text with its sentences reordered and a few words changed.
				prev := demoThemes[((i-1)*3)%len(demoThemes)]
				np.Name = u.Name + strings.Replace(prev.name, "平台", "系统", 1) + suffix[cat]
				sents := sentences(prevContent)
				r.Shuffle(len(sents), func(x, y int) { sents[x], sents[y] = sents[y], sents[x] })
				np.Content = strings.ReplaceAll(strings.Join(sents, ""), "建设", "构建")
				np.Functions = prev.functions
			}
			prevContent = np.Content
			if cat == "om" && len(sysOf[u.Code]) > 0 {
				np.Systems = sysOf[u.Code][:1]
			}
			np.Level = LevelOf(u)
			id, err := s.insert(ctx, tx, a, u, np, SignText(np.text()))
			if err != nil {
				return err
			}
			ids = append(ids, id)
			route := s.Routes.For(np.Level, np.Category, np.Estimate)
			k := r.IntN(len(route.Stages) + 1)
			st := stageAt{route.Stages[min(k, len(route.Stages)-1)], Draft}
			switch {
			case k == len(route.Stages):
				st.status = Completed
			case r.IntN(5) == 0:
				st.status = Submitted
			case r.IntN(12) == 0:
				st.status = Returned
			}
			var budget, final, appr any
			if k > slicesIndex(route.Stages, Feasibility) && route.Has(Feasibility) {
				appr = int64(est)
			}
			if k > slicesIndex(route.Stages, Design) {
				budget = int64(est) * int64(95+r.IntN(10)) / 100
			}
			if k > slicesIndex(route.Stages, FinalAccept) {
				final = int64(est) * int64(90+r.IntN(8)) / 100
			}
			if _, err := tx.ExecContext(ctx, `UPDATE project_project SET stage = $1, status = $2, approved_estimate = $3, budget = $4, final_account = $5 WHERE id = $6`,
				st.stage, st.status, appr, budget, final, id); err != nil {
				return fmt.Errorf("project: demo: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := loadDemoReviews(ctx, s, a, all); err != nil {
		return err
	}
	return loadDemoRatings(ctx, s, a, all, r)
}

var demoRatingComments = map[int][]string{
	1: {"【演示数据】主体工程停滞，资金未到位，需制定整改计划"},
	2: {"【演示数据】进度滞后三个月，概算执行偏差较大", "【演示数据】关键接口未打通，上线时间存在风险"},
	3: {"【演示数据】总体可控，个别子系统延期"},
	4: {"【演示数据】按计划推进，偏差在允许范围内"},
	5: {"【演示数据】进度和投资均符合计划"},
}

// loadDemoRatings rates the projects being implemented.
func loadDemoRatings(ctx context.Context, s *Service, a audit.Actor, all []string, r *rand.Rand) error {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id FROM project_project WHERE demo = 1 AND stage IN ($1, $2) ORDER BY id LIMIT 40`, Implement, InitialAccept)
	if err != nil {
		return fmt.Errorf("project: demo: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		n := 1 + r.IntN(5)
		cs := demoRatingComments[n]
		if err := s.Rate(ctx, a, all, id, n, cs[r.IntN(len(cs))]); err != nil {
			return err
		}
	}
	return nil
}

func slicesIndex(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return 1 << 30
}

var (
	demoSurnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	demoGiven     = []string{"建国", "海燕", "志强", "晓明", "丽华", "文博", "思远", "静", "磊", "雪梅", "立新", "红军", "敏", "伟", "宏伟", "春雷"}
	demoEmployers = []string{"郑州大学", "河南大学", "河南工业大学", "解放军信息工程大学", "河南省信息中心", "中国电信河南分公司", "中国移动河南公司",
		"中国联通河南分公司", "河南省电子规划研究院", "华北水利水电大学", "河南财经政法大学", "郑州轻工业大学", "洛阳师范学院", "河南省测绘地理信息技术中心"}
)

func loadDemoExperts(ctx context.Context, s *Service, a audit.Actor, r *rand.Rand) error {
	for i := 0; i < 120; i++ {
		e := Expert{Name: demoSurnames[i%len(demoSurnames)] + demoGiven[(i*7)%len(demoGiven)], Employer: demoEmployers[r.IntN(len(demoEmployers))],
			Region: demoUnits[1+r.IntN(17)], Available: r.IntN(10) != 0, Demo: true}
		fs := map[string]bool{Fields[i%len(Fields)]: true}
		for j := r.IntN(3); j > 0; j-- {
			fs[Fields[r.IntN(len(Fields))]] = true
		}
		for _, f := range Fields {
			if fs[f] {
				e.Fields = append(e.Fields, f)
			}
		}
		if i == 0 {
			e.Account, e.Available, e.Fields = DemoExpertAccount, true, []string{"egov", "data", "security"}
		}
		if r.IntN(8) == 0 {
			e.Conflicts = []string{demoUnits[1+r.IntN(17)]}
		}
		if _, err := s.AddExpert(ctx, a, e); err != nil {
			return err
		}
	}
	return nil
}

// loadDemoReviews submits two feasibility studies through the gates'
// own steps: the first is reviewed, scored and approved; the second waits
// for the scores of a panel the demo expert sits on.
func loadDemoReviews(ctx context.Context, s *Service, a audit.Actor, all []string) error {
	var ids []int64
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id FROM project_project WHERE demo = 1 AND stage = $1 AND status = $2 ORDER BY id LIMIT 2`, Feasibility, Draft)
	if err != nil {
		return fmt.Errorf("project: demo: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) < 2 {
		return nil
	}
	for k, id := range ids {
		if _, err := s.AddDocument(ctx, a, all, id, Material, "可行性研究报告.txt", []byte("【演示数据】可行性研究报告正文。")); err != nil {
			return err
		}
		if err := s.Submit(ctx, a, all, id, "【演示数据】报请审批可行性研究报告"); err != nil {
			return err
		}
		// The first seed that seats the demo expert, found by drawing.
		var rid int64
		for seed := uint64(1); ; seed++ {
			p, err := s.Get(ctx, all, id)
			if err != nil {
				return err
			}
			cands, err := s.candidates(ctx, p, "egov")
			if err != nil {
				return err
			}
			var demoExpert int64
			if err := s.DB.R.QueryRowContext(ctx, `SELECT id FROM project_expert WHERE account = $1`, DemoExpertAccount).Scan(&demoExpert); err != nil {
				return err
			}
			if !containsID(Pick(cands, seed, 5), demoExpert) && seed < 10000 {
				continue
			}
			if rid, err = s.DrawPanel(ctx, a, all, id, "egov", 5, &seed); err != nil {
				return err
			}
			break
		}
		if k == 1 {
			continue
		}
		revs, err := s.Reviews(ctx, id)
		if err != nil {
			return err
		}
		for i, st := range revs[len(revs)-1].Seats {
			if st.ReviewID != rid {
				continue
			}
			if _, err := s.DB.W.ExecContext(ctx, `UPDATE project_seat SET score = $1, opinion = $2, scored_at = $3 WHERE id = $4`,
				80+i*3, "【演示数据】方案可行，建议批准。", s.now(), st.ID); err != nil {
				return err
			}
		}
		if err := s.Decide(ctx, a, all, id, Approve, "【演示数据】专家评审通过，予以批准"); err != nil {
			return err
		}
	}
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

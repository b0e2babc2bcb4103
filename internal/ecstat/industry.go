package ecstat

import (
	"strconv"
	"strings"

	"zhihui/internal/i18n"
)

// Section is a section (门类) of the industrial classification GB/T
// 4754-2017 with the range of its two-digit divisions (大类).
type Section struct {
	Code     string
	Name     string
	NameEn   string
	From, To int
}

// Sections are the 20 sections of GB/T 4754-2017.
var Sections = []Section{
	{"A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery", 1, 5},
	{"B", "采矿业", "Mining", 6, 12},
	{"C", "制造业", "Manufacturing", 13, 43},
	{"D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water", 44, 46},
	{"E", "建筑业", "Construction", 47, 50},
	{"F", "批发和零售业", "Wholesale and retail trade", 51, 52},
	{"G", "交通运输、仓储和邮政业", "Transport, storage and post", 53, 60},
	{"H", "住宿和餐饮业", "Accommodation and catering", 61, 62},
	{"I", "信息传输、软件和信息技术服务业", "Information transmission, software and IT services", 63, 65},
	{"J", "金融业", "Finance", 66, 69},
	{"K", "房地产业", "Real estate", 70, 70},
	{"L", "租赁和商务服务业", "Leasing and business services", 71, 72},
	{"M", "科学研究和技术服务业", "Scientific research and technical services", 73, 75},
	{"N", "水利、环境和公共设施管理业", "Water conservancy, environment and public facilities", 76, 79},
	{"O", "居民服务、修理和其他服务业", "Resident, repair and other services", 80, 82},
	{"P", "教育", "Education", 83, 83},
	{"Q", "卫生和社会工作", "Health and social work", 84, 85},
	{"R", "文化、体育和娱乐业", "Culture, sports and entertainment", 86, 90},
	{"S", "公共管理、社会保障和社会组织", "Public administration and social organisations", 91, 96},
	{"T", "国际组织", "International organisations", 97, 97},
}

// SectionOf returns the section of code, or false.
func SectionOf(code string) (Section, bool) {
	for _, s := range Sections {
		if s.Code == code {
			return s, true
		}
	}
	return Section{}, false
}

// ParseIndustry reads an industry code of GB/T 4754-2017: a division,
// group or class (2 to 4 digits), optionally prefixed by its section
// letter ("F5292" or "5292"). It returns the digits and the section.
func ParseIndustry(s string) (code, section string, err *i18n.Error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	digits := s
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		digits = s[1:]
	}
	if len(digits) < 2 || len(digits) > 4 || strings.Trim(digits, "0123456789") != "" {
		return "", "", i18n.Errorf("行业代码 %q 应为 GB/T 4754 的 2–4 位数字代码（可带门类字母，如 F5292）",
			"industry code %q must be a GB/T 4754 code of 2–4 digits (optionally after its section letter, e.g. F5292)", s)
	}
	div, _ := strconv.Atoi(digits[:2])
	for _, sec := range Sections {
		if div >= sec.From && div <= sec.To {
			if digits != s && s[:1] != sec.Code {
				return "", "", i18n.Errorf("行业代码 %q 的门类应为 %s（%s）", "industry code %q belongs to section %s (%s)", s, sec.Code, sec.NameEn)
			}
			return digits, sec.Code, nil
		}
	}
	return "", "", i18n.Errorf("行业代码 %q 不是 GB/T 4754 的行业大类", "industry code %q is not a GB/T 4754 division", s)
}

// Size classes of enterprises (大型、中型、小型、微型, after the NBS
// classification of enterprise sizes).
const (
	Large  = "large"
	Medium = "medium"
	Small  = "small"
	Micro  = "micro"
)

// SizeClasses in order.
var SizeClasses = []string{Large, Medium, Small, Micro}

var sizeNames = map[string]string{
	"large": Large, "大": Large, "大型": Large, "l": Large,
	"medium": Medium, "中": Medium, "中型": Medium, "m": Medium,
	"small": Small, "小": Small, "小型": Small, "s": Small,
	"micro": Micro, "微": Micro, "微型": Micro, "xs": Micro,
}

// ParseSize reads a size class in Chinese or English.
func ParseSize(s string) (string, *i18n.Error) {
	if v, ok := sizeNames[strings.ToLower(strings.TrimSpace(s))]; ok {
		return v, nil
	}
	return "", i18n.Errorf("企业规模 %q 应为 大型、中型、小型 或 微型", "size %q must be large, medium, small or micro", s)
}

// ParseYesNo reads 是/否, yes/no, true/false, 1/0, Y/N.
func ParseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "yes", "y", "true", "1", "t":
		return true, true
	case "否", "no", "n", "false", "0", "f":
		return false, true
	}
	return false, false
}

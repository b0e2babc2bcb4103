package extract

import (
	"regexp"
	"strings"
)

// Marks are the registration marks a Chinese government website shows in its
// footer. Empty fields were not found.
type Marks struct {
	SiteCode string `json:"site_code,omitempty"` // 政府网站标识码, 10 characters
	ICP      string `json:"icp,omitempty"`       // e.g. 豫ICP备05001234号-1
	PSB      string `json:"psb,omitempty"`       // e.g. 豫公网安备 41010502000123号
}

var (
	siteCodeRe = regexp.MustCompile(`(?:政府网站)?标识码\s*[:：]?\s*([0-9A-Za-z]{10})`)
	icpRe      = regexp.MustCompile(`([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])\s*ICP\s*备\s*(\d{4,})\s*号(?:\s*-\s*(\d+))?`)
	psbRe      = regexp.MustCompile(`([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])\s*公网安备\s*(\d{8,})\s*号?`)
)

// FindMarks looks for the site code, the ICP filing number and the public
// security filing number in text (typically the visible text of a homepage).
func FindMarks(text string) Marks {
	var m Marks
	if strings.Contains(text, "标识码") {
		if s := siteCodeRe.FindStringSubmatch(text); s != nil {
			m.SiteCode = s[1]
		}
	}
	if strings.Contains(text, "ICP") {
		if s := icpRe.FindStringSubmatch(text); s != nil {
			m.ICP = s[1] + "ICP备" + s[2] + "号"
			if s[3] != "" {
				m.ICP += "-" + s[3]
			}
		}
	}
	if strings.Contains(text, "公网安备") {
		if s := psbRe.FindStringSubmatch(text); s != nil {
			m.PSB = s[1] + "公网安备" + s[2] + "号"
		}
	}
	return m
}

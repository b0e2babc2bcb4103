package extract

import "testing"

func TestListLikeURL(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"http://a.gov.cn/zwgk/tzgg/":              true,
		"http://a.gov.cn/col/col123/index.html":   true,
		"http://a.gov.cn/ldzc/index_2.shtml":      true,
		"http://a.gov.cn/hdjl/list.jhtml":         true,
		"http://a.gov.cn/channel/42.html":         true,
		"http://a.gov.cn/":                        false,
		"http://a.gov.cn":                         false,
		"http://a.gov.cn/art/2024/1/5/art_1.html": false,
		"http://a.gov.cn/zwgk/t20240105_123.html": false,
		"http://a.gov.cn/about/jgzn.html":         false,
		"http://a.gov.cn/content_88.html":         false,
	} {
		if got := ListLikeURL(u); got != want {
			t.Errorf("ListLikeURL(%q) = %v", u, got)
		}
	}
}

func TestLooksLikeColumnTitle(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"专题专栏": true, "领导之窗": true, "政务公开": true, "办事服务": true, "互动交流": true,
		"首页": false, "网站地图": false, "English": false, "关于召开会议的通知": false, "2024年第3期": false,
		"县政府召开第12次常务会议研究部署": false, "更多": false, "a": false,
	} {
		if got := LooksLikeColumnTitle(s); got != want {
			t.Errorf("LooksLikeColumnTitle(%q) = %v", s, got)
		}
	}
}

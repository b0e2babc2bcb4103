package publiceval

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/web/kit"
)

type handlers struct {
	k      *kit.Kit
	pages  *kit.Pages
	svc    *dom.Service
	widget []byte
	limits *limits
}

// Hard limits per process: beyond them a rater is refused (429, nothing
// stored); below them bursts are stored and flagged by the domain.
const (
	ipLimit    = 300 // per address and 10 minutes
	phoneLimit = 20  // per phone and day
)

type limits struct{ ip, phone *windowLimit }

// newLimits: 10 minutes in 5 slots and a day in 6 (plus the current slot
// each), 2^17 and 2^18 counters per row (6 MiB and 14 MiB, allocated as
// slots are first used).
func newLimits() *limits {
	return &limits{ip: newWindowLimit(ipLimit, 10*time.Minute, 5, 1<<17), phone: newWindowLimit(phoneLimit, 24*time.Hour, 6, 1<<18)}
}

var errTooMany = &kit.Status{Code: http.StatusTooManyRequests, Key: "publiceval.too_many"}
var errOrigin = &kit.Status{Code: http.StatusForbidden, Key: "publiceval.origin_refused"}

// refuse maps the domain's refusals to answers.
func refuse(err error) error {
	switch {
	case errors.Is(err, dom.ErrOutside):
		return kit.ErrOutside
	case err == dom.ErrNoTarget:
		return kit.ErrNotFound
	}
	return err
}

// pageOrigin is the origin of the page a request comes from: its Origin
// header, else its Referer's.
func pageOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return o
	}
	if o, ok := dom.OriginOf(r.Referer()); ok {
		return o
	}
	return ""
}

// sameSite reports whether origin is this server.
func sameSite(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// submit stores in for the request: hard limits first, then the
// allow-list (api: refused; forms: stored flagged), then one domain call.
func (h *handlers) submit(r *http.Request, in dom.Input, refuseForeign bool) (dom.Rating, error) {
	in.IP, in.UserAgent = kit.ClientIP(r), r.UserAgent()
	in.Origin = pageOrigin(r)
	if !h.limits.ip.Attempt(in.IP) {
		return dom.Rating{}, errTooMany
	}
	if in.Phone != "" {
		if !h.limits.phone.Attempt(in.Phone) {
			return dom.Rating{}, errTooMany
		}
	}
	foreign := false
	if in.Origin != "" && !sameSite(r, in.Origin) {
		t, err := h.svc.Target(r.Context(), in.Target)
		if err != nil {
			return dom.Rating{}, err
		}
		ok, err := h.svc.OriginAllowed(r.Context(), t, in.Origin)
		if err != nil {
			return dom.Rating{}, err
		}
		if !ok {
			if refuseForeign {
				return dom.Rating{}, errOrigin
			}
			foreign = true
		}
	}
	return h.svc.Rate(r.Context(), in, foreign)
}

// ---- public pages ----

type targetsView struct {
	Targets []dom.Target
	Q, Kind string
	Kinds   []string
	Lang    string
}

// Kind names a kind in the view's language.
func (v targetsView) KindName(k string) string { return dom.KindNames[k].In(v.Lang) }

func (h *handlers) targets(w http.ResponseWriter, r *http.Request) error {
	q, kind := strings.TrimSpace(r.URL.Query().Get("q")), r.URL.Query().Get("kind")
	if _, ok := dom.KindNames[kind]; !ok {
		kind = ""
	}
	if len(q) > 100 {
		q = q[:100]
	}
	ts, err := dom.Targets(r.Context(), h.k.DB, kind, q)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "targets", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.rate_title"), Nav: "rate",
		Data: targetsView{Targets: ts, Q: q, Kind: kind, Kinds: []string{dom.KindSite, dom.KindPage, dom.KindDisclosure, dom.KindService}, Lang: kit.Lang(r)}})
}

type levelView struct {
	Level int
	Name  string
	Bad   bool
}

type tagView struct {
	Code, Name string
	Checked    bool
}

type formView struct {
	Target   dom.Target
	Kind     string
	Action   string
	Levels   []levelView
	Good     []tagView
	Bad      []tagView
	In       dom.Input
	Widget   string // the embedding snippet
	Max      int
	Embedded bool
	// Via is "mobile" when the page was opened from a QR code.
	Via string
}

func (h *handlers) formData(r *http.Request, t dom.Target, in dom.Input) formView {
	lang := kit.Lang(r)
	v := formView{Target: t, Kind: dom.KindNames[t.Kind].In(lang), Action: "/rate/" + url.PathEscape(t.Key), In: in, Max: dom.MaxComment}
	if r.URL.Query().Get("via") == "mobile" || r.PostFormValue("via") == "mobile" {
		v.Via = "mobile"
	}
	for _, l := range []int{5, 4, 3, 2, 1} {
		v.Levels = append(v.Levels, levelView{Level: l, Name: dom.Levels[l].In(lang), Bad: dom.IsBad(l)})
	}
	for _, tg := range dom.Tags {
		tv := tagView{Code: tg.Code, Name: tg.Name.In(lang)}
		for _, c := range in.Tags {
			tv.Checked = tv.Checked || c == tg.Code
		}
		if tg.Good {
			v.Good = append(v.Good, tv)
		} else {
			v.Bad = append(v.Bad, tv)
		}
	}
	return v
}

func (h *handlers) form(w http.ResponseWriter, r *http.Request) error {
	t, err := h.svc.Target(r.Context(), r.PathValue("key"))
	if err != nil {
		return refuse(err)
	}
	return h.k.Render(w, r, h.pages, "form", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.rate_title"), Nav: "rate", Data: h.formData(r, t, dom.Input{})})
}

func (h *handlers) rate(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	t, err := h.svc.Target(r.Context(), key)
	if err != nil {
		return refuse(err)
	}
	form := r.PostForm
	form.Set("target", key)
	in, err := dom.ParseForm(form)
	if err == nil {
		in.Channel = channelOf(r)
		var rt dom.Rating
		rt, err = h.submit(r, in, false)
		if err == nil {
			return kit.Redirect(w, r, "/rate/"+url.PathEscape(key)+"/thanks?"+url.Values{"no": {strconv.FormatInt(rt.ID, 10)}}.Encode())
		}
	}
	ue, ok := kit.UserError(err)
	if !ok {
		return err
	}
	return h.k.Render(w, r, h.pages, "form", http.StatusBadRequest, kit.View{Title: kit.T(r, "publiceval.rate_title"), Nav: "rate",
		Data: h.formData(r, t, in), Errors: []*i18n.Error{ue}})
}

type thanksView struct {
	Target dom.Target
	No     int64
}

func (h *handlers) thanks(w http.ResponseWriter, r *http.Request) error {
	t, err := h.svc.Target(r.Context(), r.PathValue("key"))
	if err != nil {
		return refuse(err)
	}
	no, _ := strconv.ParseInt(r.URL.Query().Get("no"), 10, 64)
	return h.k.Render(w, r, h.pages, "thanks", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.thanks"), Nav: "rate", Data: thanksView{Target: t, No: max(no, 0)}})
}

// ---- widget and API ----

func (h *handlers) widgetJS(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, err := w.Write(h.widget)
	return err
}

// cors answers an allowed cross-origin caller's origin.
func (h *handlers) cors(w http.ResponseWriter, origin string) {
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Add("Vary", "Origin")
}

func (h *handlers) preflight(w http.ResponseWriter, r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" {
		ok, err := h.allowedAnywhere(r, o)
		if err != nil {
			return err
		}
		if ok {
			h.cors(w, o)
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// allowedAnywhere reports whether origin may embed the widget for some
// target: a configured origin, a target's site or a registered website.
func (h *handlers) allowedAnywhere(r *http.Request, origin string) (bool, error) {
	return h.svc.EmbeddingAllowed(r.Context(), origin)
}

// rateAnswer is the answer to a stored rating (a struct, not a map: it
// is encoded on every rating).
type rateAnswer struct {
	CaseID int64  `json:"case_id"`
	ID     int64  `json:"id"`
	En     string `json:"message_en"`
	Zh     string `json:"message_zh"`
}

func (h *handlers) apiRate(w http.ResponseWriter, r *http.Request) error {
	origin := r.Header.Get("Origin")
	var in dom.Input
	var err error
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		in, err = dom.ParseForm(r.PostForm)
	default:
		body, rerr := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		if errors.As(rerr, &tooBig) {
			return &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
		}
		if rerr != nil {
			return kit.ErrBadForm
		}
		in, err = dom.ParseJSON(body)
	}
	// (an Origin other than "null" is the page origin submit checks)
	cross := origin != "" && origin != "null" && !sameSite(r, origin)
	if err == nil {
		in.Channel = dom.ChannelAPI
		if r.Header.Get("X-Zhihui-Widget") != "" || r.URL.Query().Get("via") == "widget" {
			in.Channel = dom.ChannelWidget
		}
		var rt dom.Rating
		if rt, err = h.submit(r, in, true); err == nil {
			if cross {
				h.cors(w, origin) // submit accepted the origin for the target
			}
			return kit.JSON(w, http.StatusCreated, rateAnswer{ID: rt.ID, CaseID: rt.CaseID,
				Zh: i18n.T("zh-CN", "publiceval.thanks_text"), En: i18n.T("en", "publiceval.thanks_text")})
		}
	}
	if cross && err != errOrigin {
		// answer the widget's errors readably too, when the origin may embed it
		if ok, aerr := h.allowedAnywhere(r, origin); aerr == nil && ok {
			h.cors(w, origin)
		}
	}
	return refuse(err)
}

// scope reads ?unit= (default: the caller's home unit) and checks that
// the caller holds a role over it.
func (h *handlers) scope(r *http.Request, roles ...auth.Role) (orgunit.Unit, error) {
	code := strings.TrimSpace(r.URL.Query().Get("unit"))
	p := kit.Principal(r)
	if code == "" {
		code = p.Home()
	}
	u, err := orgunit.Get(r.Context(), h.k.DB, code)
	if err != nil {
		return u, kit.ErrNotFound
	}
	if !p.Covers(u.Path, roles...) {
		return u, kit.ErrOutside
	}
	return u, nil
}

// periodOf reads ?period= (default: this year).
func periodOf(r *http.Request) (dom.Period, error) {
	s := strings.TrimSpace(r.URL.Query().Get("period"))
	if s == "" {
		s = time.Now().In(period.Shanghai).Format("2006")
	}
	return dom.ParsePeriod(s)
}

type statsJSON struct {
	Unit         string     `json:"unit"`
	Period       string     `json:"period"`
	Counts       dom.Counts `json:"counts"`
	Valid        int64      `json:"valid"`
	Satisfaction float64    `json:"satisfaction_rate"`
	BadRate      float64    `json:"bad_rate"`
	RectifyRate  float64    `json:"rectification_rate"`
	OnTimeRate   float64    `json:"on_time_rate"`
	CallbackRate float64    `json:"callback_rate"`
	// ActiveRate is the 主动评价率 in percent: counts.rated_handled valid
	// ratings over counts.handled cases, for the services and months
	// whose case volume is recorded (0 without any).
	ActiveRate float64 `json:"active_rate"`
	// Channels are the ratings per channel (web, widget, api, import).
	Channels []dom.ChannelCount `json:"channels"`
}

func (h *handlers) apiStats(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	p, err := periodOf(r)
	if err != nil {
		return err
	}
	c, err := dom.Stats(r.Context(), h.k.DB, u.Path, p)
	if err != nil {
		return err
	}
	ch, err := dom.ByChannel(r.Context(), h.k.DB, u.Path, p)
	if err != nil {
		return err
	}
	if ch == nil {
		ch = []dom.ChannelCount{}
	}
	return kit.JSON(w, http.StatusOK, statsJSON{Channels: ch, Unit: u.Code, Period: p.ID, Counts: c, Valid: c.Valid(), Satisfaction: c.Satisfaction().Percent(),
		BadRate: c.BadRate().Percent(), RectifyRate: c.RectifyRate().Percent(), OnTimeRate: c.OnTimeRate().Percent(), CallbackRate: c.CallbackRate().Percent(), ActiveRate: c.ActiveRate().Percent()})
}

func (h *handlers) apiCases(w http.ResponseWriter, r *http.Request) error {
	cs, err := dom.Cases(r.Context(), h.k.DB, dom.CaseFilter{Scopes: kit.Principal(r).Scopes(Handlers...), State: stateOf(r)})
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []dom.Case{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"cases": cs})
}

func stateOf(r *http.Request) string {
	s := r.URL.Query().Get("state")
	if _, ok := dom.StateNames[s]; ok || s == "open" {
		return s
	}
	return ""
}

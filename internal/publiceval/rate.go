package publiceval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"time"

	"zhihui/internal/calendar"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Service is the module's domain over a store.
type Service struct {
	DB *store.DB
	// Now is the clock (tests set it); nil is time.Now.
	Now func() time.Time
	// Calendar counts working days; nil is calendar.Default().
	Calendar *calendar.Calendar
}

// New returns the service over db.
func New(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return store.Now()
}

func (s *Service) cal() *calendar.Calendar {
	if s.Calendar != nil {
		return s.Calendar
	}
	return calendar.Default()
}

// Abuse thresholds: a rating is flagged when, in the window before it,
// so many ratings came from the same address, network (IPv4 /24, IPv6
// /48), device (address, browser and language) or phone.
const (
	BurstWindow  = 10 * time.Minute
	BurstIP      = 5
	BurstNetwork = 30
	BurstDevice  = 3
	PhoneWindow  = 24 * time.Hour
	BurstPhone   = 3
)

// Flags a suspicious rating may carry.
const (
	FlagHoneypot = "honeypot"
	FlagIP       = "burst_ip"
	FlagNetwork  = "burst_network"
	FlagDevice   = "burst_device"
	FlagPhone    = "burst_phone"
	FlagOrigin   = "foreign_page"
)

// FlagNames explain the flags.
var FlagNames = map[string]i18n.Text{
	FlagHoneypot: {Zh: "填写了隐藏字段（疑似机器）", En: "filled the hidden field (likely a robot)"},
	FlagIP:       {Zh: "同一地址短时间内多次评价", En: "many ratings from one address in a short time"},
	FlagNetwork:  {Zh: "同一网段短时间内大量评价", En: "a burst of ratings from one network"},
	FlagDevice:   {Zh: "同一设备短时间内多次评价", En: "many ratings from one device in a short time"},
	FlagPhone:    {Zh: "同一电话一天内多次评价", En: "many ratings with one phone in a day"},
	FlagOrigin:   {Zh: "来自未登记的网页", En: "sent from a page not on the allow-list"},
}

// Rating is a stored rating. Name and Phone are the rater's identity:
// only the case's handlers may see them (see [Service.Identity]).
type Rating struct {
	ID        int64     `json:"id"`
	TargetID  int64     `json:"target_id"`
	Target    string    `json:"target"`
	OrgPath   string    `json:"-"`
	Month     string    `json:"month"`
	Level     int       `json:"level"`
	Tags      []string  `json:"tags"`
	Comment   string    `json:"comment"`
	Case      string    `json:"case,omitempty"`
	Named     bool      `json:"named"`
	Channel   string    `json:"channel"`
	Flags     []string  `json:"flags,omitempty"`
	Excluded  bool      `json:"excluded"`
	CaseID    int64     `json:"case_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Suspicious reports whether the rating carries abuse flags.
func (r Rating) Suspicious() bool { return len(r.Flags) > 0 }

// NetworkOf is the network an address belongs to for burst detection.
func NetworkOf(ip string) string {
	a := net.ParseIP(ip)
	switch {
	case a == nil:
		return ip
	case a.To4() != nil:
		return a.Mask(net.CIDRMask(24, 32)).String() + "/24"
	default:
		return a.Mask(net.CIDRMask(48, 128)).String() + "/48"
	}
}

// DeviceOf fingerprints a device without cookies: address and browser.
func DeviceOf(ip, userAgent string) string {
	h := sha256.Sum256([]byte(ip + "\x00" + userAgent))
	return hex.EncodeToString(h[:12])
}

// ErrCaseRated is the answer to a second rating of one case.
var ErrCaseRated = i18n.Errorf("该办件已经评价过，每个办件只能评价一次", "this case has been rated already; each case is rated once").OnField("case")

// Rate stores a rating (checked by [ParseJSON] or [ParseForm]) for its
// target, with its abuse flags, and, for a 差评 that is not suspicious,
// opens the case for the target's unit — all in one transaction, so that
// a rating the caller is told about is committed. Suspicious ratings are
// stored flagged, never dropped.
func (s *Service) Rate(ctx context.Context, in Input, foreign bool) (Rating, error) {
	if err := in.check(); err != nil {
		return Rating{}, err
	}
	t, err := Resolve(ctx, s.DB, in.Target)
	if err != nil {
		return Rating{}, err
	}
	at := in.At
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	if in.Channel == "" {
		in.Channel = ChannelAPI
	}
	netw, dev := NetworkOf(in.IP), DeviceOf(in.IP, in.UserAgent)
	r := Rating{TargetID: t.ID, Target: t.Key, OrgPath: t.OrgPath, Month: MonthOf(at), Level: in.Level, Tags: in.Tags,
		Comment: in.Comment, Case: in.Case, Named: in.Name != "", Channel: in.Channel, CreatedAt: at}
	if in.Website != "" {
		r.Flags = append(r.Flags, FlagHoneypot)
	}
	if foreign {
		r.Flags = append(r.Flags, FlagOrigin)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if in.Case != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE case_no = $1`, in.Case).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrCaseRated
			}
		}
		since := at.Add(-BurstWindow)
		for _, b := range []struct {
			col, val, flag string
			max            int
			since          time.Time
		}{
			{"ip", in.IP, FlagIP, BurstIP, since},
			{"net", netw, FlagNetwork, BurstNetwork, since},
			{"device", dev, FlagDevice, BurstDevice, since},
			{"rater_phone", in.Phone, FlagPhone, BurstPhone, at.Add(-PhoneWindow)},
		} {
			if b.val == "" {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating WHERE `+b.col+` = $1 AND created_at > $2`, b.val, b.since).Scan(&n); err != nil {
				return err
			}
			if n >= b.max {
				r.Flags = append(r.Flags, b.flag)
			}
		}
		var caseNo any
		if in.Case != "" {
			caseNo = in.Case
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO publiceval_rating (target_id, org_path, month, level, tags, comment, case_no,
			rater_name, rater_phone, channel, ip, net, device, origin, flags, excluded, demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, FALSE, $16, $17) RETURNING id`,
			t.ID, t.OrgPath, r.Month, r.Level, strings.Join(r.Tags, ","), r.Comment, caseNo, in.Name, in.Phone, r.Channel,
			in.IP, netw, dev, clip(in.Origin, 200), strings.Join(r.Flags, ","), in.Demo, at).Scan(&r.ID); err != nil {
			return fmt.Errorf("publiceval: store rating: %w", err)
		}
		var cs *caseRow
		if IsBad(r.Level) && !r.Suspicious() {
			c, err := s.openCase(ctx, tx, r, t, at)
			if err != nil {
				return err
			}
			r.CaseID, cs = c.ID, &c
		}
		return addMonth(ctx, tx, r.Month, t.ID, t.OrgPath, Contribution(rowOf(r), cs))
	})
	if err != nil {
		if isUniqueViolation(err) && in.Case != "" {
			return Rating{}, ErrCaseRated
		}
		return Rating{}, err
	}
	return r, nil
}

func isUniqueViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint") || strings.Contains(s, "duplicate key") || strings.Contains(s, "23505")
}

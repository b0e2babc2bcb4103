package publiceval

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// GroupCommit lets concurrent ratings share a transaction (the
	// server's setting); each is still answered only once committed.
	GroupCommit bool

	group    committer
	targets  targetCache
	stmts    stmtCache
	settings settingsCache
	origins  originCache
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
//
// With [Service.GroupCommit] set, ratings arriving together share one
// transaction (see [committer]); Rate still returns only after the
// transaction holding its rating has committed.
func (s *Service) Rate(ctx context.Context, in Input, foreign bool) (Rating, error) {
	if err := in.check(); err != nil {
		return Rating{}, err
	}
	t, err := s.target(ctx, in.Target)
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
	p := &pending{in: in, foreign: foreign, t: t, at: at}
	if s.GroupCommit {
		s.group.do(ctx, s, p)
	} else {
		s.commit(ctx, []*pending{p})
	}
	return p.r, p.err
}

// pending is one rating on its way into the store.
type pending struct {
	in      Input
	foreign bool
	t       Target
	at      time.Time
	r       Rating
	err     error
	done    chan struct{}
}

// commit stores the ratings of batch in one durable transaction (see
// [Service.writeBatch]) and sets each one's answer. When the transaction
// fails and holds more than one rating, each is tried again alone, so
// that one rating's failure (a case number a concurrent writer took)
// never fails the others.
func (s *Service) commit(ctx context.Context, batch []*pending) {
	s.prepare(ctx)
	err := s.DB.InDurableTx(ctx, func(tx *store.Tx) error { return s.writeBatch(ctx, tx, batch) })
	if err == nil {
		return
	}
	if len(batch) > 1 {
		for _, p := range batch {
			s.commit(ctx, []*pending{p})
		}
		return
	}
	p := batch[0]
	p.r = Rating{}
	if isUniqueViolation(err) && p.in.Case != "" {
		p.err = ErrCaseRated
	} else {
		p.err = err
	}
}

// batchState is what the ratings of one transaction share: their month
// figures, added once per month and target at the end, and the settings.
type batchState struct {
	months   map[Key]Counts
	paths    map[int64]string
	settings *Settings
}

// burstKinds are the burst checks: the column counted, the threshold and
// the flag.
var burstKinds = [4]struct {
	col, flag string
	max       int
}{{"ip", FlagIP, BurstIP}, {"net", FlagNetwork, BurstNetwork}, {"device", FlagDevice, BurstDevice}, {"rater_phone", FlagPhone, BurstPhone}}

// writeBatch writes the ratings of batch in tx with a fixed number of
// statements whatever its size: one query for the case numbers already
// rated, the four burst counts of every address, network, device and
// phone in the batch (each bounded by its threshold, so a flood costs no
// more than a quiet rater) and the new ids; then one insert of the
// ratings, one of the cases their 差评 open and one of the cases' first
// events (multi-row on SQLite, arrays on PostgreSQL), and the month
// figures once per month and target.
//
// Each rating gets the flags and the case it would get alone after the
// ones before it in the batch: the counts add the batch's earlier ratings
// to the stored ones, and a case number already taken — stored, or by an
// earlier rating of the batch — refuses that rating alone. The counting
// window starts at the batch's earliest rating, so a later one's count
// can only be larger than alone (by the ratings of a few milliseconds).
func (s *Service) writeBatch(ctx context.Context, tx *store.Tx, batch []*pending) error {
	type keyed struct {
		keys [4]string // ip, network, device, phone
	}
	ks := make([]keyed, len(batch))
	var lists [5][]string // case numbers, then the burst keys
	seen := map[string]bool{}
	add := func(i int, v string) {
		if v == "" || seen[strconv.Itoa(i)+"\x00"+v] {
			return
		}
		seen[strconv.Itoa(i)+"\x00"+v] = true
		lists[i] = append(lists[i], v)
	}
	from := batch[0].at
	bad := 0
	for i, p := range batch {
		p.r, p.err = Rating{}, nil
		ks[i].keys = [4]string{p.in.IP, NetworkOf(p.in.IP), DeviceOf(p.in.IP, p.in.UserAgent), p.in.Phone}
		add(0, p.in.Case)
		for j, k := range ks[i].keys {
			add(j+1, k)
		}
		if p.at.Before(from) {
			from = p.at
		}
		if IsBad(p.in.Level) {
			bad++
		}
	}
	stored, ratingIDs, caseIDs, err := s.batchChecks(ctx, tx, lists, from, len(batch), bad)
	if err != nil {
		return err
	}
	b := batchState{months: map[Key]Counts{}, paths: map[int64]string{}}
	if bad > 0 {
		set, err := s.Settings(ctx)
		if err != nil {
			return err
		}
		b.settings = &set
	}
	var ratings, cases, events [][]any
	inBatch := map[string]int{}
	for i, p := range batch {
		in, t, at := p.in, p.t, p.at
		if in.Case != "" {
			if stored["c\x00"+in.Case] > 0 || inBatch["c\x00"+in.Case] > 0 {
				p.err = ErrCaseRated // nothing written for it; the others go on
				continue
			}
			inBatch["c\x00"+in.Case]++
		}
		r := Rating{ID: ratingIDs[len(ratings)], TargetID: t.ID, Target: t.Key, OrgPath: t.OrgPath, Month: MonthOf(at), Level: in.Level, Tags: in.Tags,
			Comment: in.Comment, Case: in.Case, Named: in.Name != "", Channel: in.Channel, CreatedAt: at}
		if in.Website != "" {
			r.Flags = append(r.Flags, FlagHoneypot)
		}
		if p.foreign {
			r.Flags = append(r.Flags, FlagOrigin)
		}
		for j, bk := range burstKinds {
			k := ks[i].keys[j]
			if k == "" {
				continue
			}
			id := bk.col + "\x00" + k
			if min(stored[id], bk.max)+inBatch[id] >= bk.max {
				r.Flags = append(r.Flags, bk.flag)
			}
			inBatch[id]++
		}
		var caseNo any
		if in.Case != "" {
			caseNo = in.Case
		}
		ratings = append(ratings, []any{r.ID, t.ID, t.OrgPath, r.Month, int64(r.Level), strings.Join(r.Tags, ","), r.Comment, caseNo, in.Name, in.Phone, r.Channel,
			in.IP, ks[i].keys[1], ks[i].keys[2], clip(in.Origin, 200), strings.Join(r.Flags, ","), false, in.Demo, at})
		var cs *caseRow
		if IsBad(r.Level) && !r.Suspicious() {
			c := caseRow{ID: caseIDs[len(cases)], State: StateNew, ContactDue: s.contactDue(*b.settings, at)}
			cases = append(cases, []any{c.ID, r.ID, t.OrgCode, t.OrgPath, StateNew, c.ContactDue, "", "", "", "", "", "", "", at, at})
			events = append(events, []any{c.ID, at, "open", ActorPublic, "", strconv.Itoa(r.Level)})
			r.CaseID, cs = c.ID, &c
		}
		k := Key{Month: r.Month, Target: t.ID}
		sum := b.months[k]
		sum.Add(Contribution(rowOf(r), cs))
		b.months[k], b.paths[t.ID] = sum, t.OrgPath
		p.r = r
	}
	for _, w := range []struct {
		bt   *bulkTable
		rows [][]any
	}{{&bulkRatings, ratings}, {&bulkCases, cases}, {&bulkEvents, events}} {
		if err := s.insertRows(ctx, tx, w.bt, w.rows); err != nil {
			return err
		}
	}
	keys := make([]Key, 0, len(b.months))
	for k := range b.months {
		keys = append(keys, k)
	}
	// a fixed order, so that concurrent batches lock month rows alike
	slices.SortFunc(keys, func(a, c Key) int {
		if a.Month != c.Month {
			return strings.Compare(a.Month, c.Month)
		}
		return int(a.Target - c.Target)
	})
	for _, k := range keys {
		d := b.months[k]
		if _, err := s.exec(ctx, tx, qMonth, append([]any{k.Month, k.Target, b.paths[k.Target]}, d.vals()...)...); err != nil {
			return fmt.Errorf("publiceval: month figures: %w", err)
		}
	}
	return nil
}

// batchChecks runs the batch's one query: how often each case number of
// lists[0] is stored, how many ratings (at most the threshold) each key
// of lists[1:] — addresses, networks, devices, phones — has since its
// window before from, by "column\x00key" ("c\x00number" for case
// numbers); and nRatings and nCases new ids for ratings and cases.
func (s *Service) batchChecks(ctx context.Context, tx *store.Tx, lists [5][]string, from time.Time, nRatings, nCases int) (map[string]int, []int64, []int64, error) {
	args := make([]any, 0, 9)
	for _, l := range lists {
		j, err := json.Marshal(l)
		if err != nil {
			return nil, nil, nil, err
		}
		if l == nil {
			j = []byte("[]")
		}
		args = append(args, string(j))
	}
	args = append(args, from.Add(-BurstWindow), from.Add(-PhoneWindow))
	pg := s.DB.Dialect == store.Postgres
	if pg {
		args = append(args, nRatings, nCases)
	}
	rows, err := s.query(ctx, tx, checksQuery(s.DB.Dialect), args...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("publiceval: checks: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	var ratingIDs, caseIDs []int64
	for rows.Next() {
		var kind, key string
		var n int64
		if err := rows.Scan(&kind, &key, &n); err != nil {
			return nil, nil, nil, fmt.Errorf("publiceval: checks: %w", err)
		}
		switch kind {
		case "r":
			ratingIDs = append(ratingIDs, n)
		case "k":
			caseIDs = append(caseIDs, n)
		default:
			counts[kind+"\x00"+key] = int(n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("publiceval: checks: %w", err)
	}
	if !pg {
		// the largest id ever given (AUTOINCREMENT's), and the ones after
		// it: this transaction holds the only writer's lock
		ratingIDs, caseIDs = following(ratingIDs, nRatings), following(caseIDs, nCases)
	}
	if len(ratingIDs) < nRatings || len(caseIDs) < nCases {
		return nil, nil, nil, fmt.Errorf("publiceval: checks: %d rating ids and %d case ids for %d and %d", len(ratingIDs), len(caseIDs), nRatings, nCases)
	}
	return counts, ratingIDs, caseIDs, nil
}

func following(last []int64, n int) []int64 {
	if len(last) != 1 {
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = last[0] + 1 + int64(i)
	}
	return out
}

var checksQueries sync.Map // store.Dialect → string

// checksQuery is the statement of [Service.batchChecks] for d: its lists
// come as JSON arrays ($1 case numbers, $2–$5 the burst keys), $6 and $7
// start the burst and phone windows; on PostgreSQL $8 and $9 are how
// many ids to draw from the sequences.
func checksQuery(d store.Dialect) string {
	if q, ok := checksQueries.Load(d); ok {
		return q.(string)
	}
	list := func(p string) string {
		if d == store.Postgres {
			return `json_array_elements_text(` + p + `::json) AS j(value)`
		}
		return `json_each(` + p + `) AS j`
	}
	q := `SELECT 'c', j.value, (SELECT COUNT(*) FROM publiceval_rating WHERE case_no = j.value) FROM ` + list("$1")
	for i, bk := range burstKinds {
		from := "$6"
		if bk.col == "rater_phone" {
			from = "$7"
		}
		q += ` UNION ALL SELECT '` + bk.col + `', j.value, (SELECT COUNT(*) FROM (SELECT 1 FROM publiceval_rating WHERE ` + bk.col + ` = j.value AND created_at > ` + from +
			` LIMIT ` + strconv.Itoa(bk.max) + `) x) FROM ` + list("$"+strconv.Itoa(i+2))
	}
	for _, t := range []struct{ kind, table, n string }{{"r", "publiceval_rating", "$8"}, {"k", "publiceval_case", "$9"}} {
		if d == store.Postgres {
			q += ` UNION ALL SELECT '` + t.kind + `', '', nextval(pg_get_serial_sequence('` + t.table + `', 'id')) FROM generate_series(1, ` + t.n + `)`
		} else {
			q += ` UNION ALL SELECT '` + t.kind + `', '', MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '` + t.table + `'), 0), COALESCE((SELECT MAX(id) FROM ` + t.table + `), 0))`
		}
	}
	checksQueries.Store(d, q)
	return q
}

// contactDue is the end of the ContactDays-th working day after at.
func (s *Service) contactDue(set Settings, at time.Time) time.Time {
	return s.cal().AddWorkingDays(at, set.ContactDays).AddDate(0, 0, 1).Add(-time.Second).UTC()
}

// The statements of the rating path outside the batch.
var (
	qCase = `INSERT INTO publiceval_case (rating_id, org_code, org_path, state, contact_due, triage, rectify_due,
		answer, satisfaction, appeal_reason, appeal_decision, alerted, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, '', '', '', '', '', '', '', $6, $6) RETURNING id`
	qEvent = `INSERT INTO publiceval_event (case_id, at, kind, actor_name, body, code) VALUES ($1, $2, 'open', $3, '', $4)`
)

// stmtCache keeps the rating path's statements prepared on SQLite's one
// writer connection, so that a batch does not parse them again for every
// rating; PostgreSQL's driver caches its prepared statements itself.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepare readies the statements outside any transaction (the writer's
// one connection is free then).
func (s *Service) prepare(ctx context.Context) {
	if s.DB.Dialect != store.SQLite {
		return
	}
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m != nil {
		return
	}
	m := map[string]*sql.Stmt{}
	qs := []string{checksQuery(store.SQLite), qCase, qEvent, qMonth}
	for _, bt := range []*bulkTable{&bulkRatings, &bulkCases, &bulkEvents} {
		for _, n := range bulkChunks {
			qs = append(qs, bt.values(n))
		}
	}
	for _, q := range qs {
		st, err := s.DB.W.PrepareContext(ctx, q)
		if err != nil {
			for _, st := range m {
				st.Close()
			}
			return // statements then run unprepared
		}
		m[q] = st
	}
	c.m = m
}

// queryRow runs q in tx, prepared when it is.
func (s *Service) queryRow(ctx context.Context, tx *store.Tx, q string, args ...any) *sql.Row {
	s.stmts.mu.Lock()
	st := s.stmts.m[q]
	s.stmts.mu.Unlock()
	if st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// query runs q in tx, prepared when it is.
func (s *Service) query(ctx context.Context, tx *store.Tx, q string, args ...any) (*sql.Rows, error) {
	s.stmts.mu.Lock()
	st := s.stmts.m[q]
	s.stmts.mu.Unlock()
	if st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// exec runs q in tx, prepared when it is.
func (s *Service) exec(ctx context.Context, tx *store.Tx, q string, args ...any) (sql.Result, error) {
	s.stmts.mu.Lock()
	st := s.stmts.m[q]
	s.stmts.mu.Unlock()
	if st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// MaxBatch bounds the ratings of one group commit.
const MaxBatch = 256

// committer is group commit: ratings arriving while a transaction runs
// wait and go together into the next one. The first rating to find no
// transaction running leads: it commits what is queued, answers every
// rating of the batch, and hands the lead to a new goroutine when more
// have queued meanwhile, so no goroutine lives while nothing arrives.
// On PostgreSQL two batches may run at once (their round trips overlap);
// SQLite has one writer.
type committer struct {
	mu      sync.Mutex
	queue   []*pending
	running int
	largest int // the most ratings one transaction held (for tests)
}

func (c *committer) do(ctx context.Context, s *Service, p *pending) {
	p.done = make(chan struct{})
	c.mu.Lock()
	c.queue = append(c.queue, p)
	parallel := 1
	if s.DB.Dialect == store.Postgres {
		parallel = 2
	}
	if c.running < parallel {
		c.running++
		c.mu.Unlock()
		c.lead(context.WithoutCancel(ctx), s, p)
	} else {
		c.mu.Unlock()
	}
	<-p.done
}

// lead commits batches until own is answered, then passes the lead on.
func (c *committer) lead(ctx context.Context, s *Service, own *pending) {
	for {
		c.mu.Lock()
		n := min(len(c.queue), MaxBatch)
		if n == 0 {
			c.running--
			c.mu.Unlock()
			return
		}
		batch := slices.Clone(c.queue[:n])
		c.largest = max(c.largest, n)
		c.queue = slices.Delete(c.queue, 0, n)
		c.mu.Unlock()
		s.commit(ctx, batch)
		mine := false
		for _, p := range batch {
			mine = mine || p == own
			close(p.done)
		}
		if mine {
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.running--
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			go c.lead(ctx, s, nil)
			return
		}
	}
}

func isUniqueViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint") || strings.Contains(s, "duplicate key") || strings.Contains(s, "23505")
}

// targetCache keeps resolved targets for a minute: a target's key, unit
// and path never change once registered.
type targetCache struct {
	mu sync.Mutex
	m  map[string]cachedTarget
}

type cachedTarget struct {
	t       Target
	expires time.Time
}

const targetTTL = time.Minute

// target resolves key through the cache.
func (s *Service) target(ctx context.Context, key string) (Target, error) {
	now := time.Now()
	c := &s.targets
	c.mu.Lock()
	ct, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(ct.expires) {
		return ct.t, nil
	}
	t, err := Resolve(ctx, s.DB, key)
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]cachedTarget{}
	}
	c.m[key] = cachedTarget{t: t, expires: now.Add(targetTTL)}
	c.mu.Unlock()
	return t, nil
}

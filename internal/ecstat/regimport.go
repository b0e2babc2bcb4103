package ecstat

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// A register file is imported in a bounded amount of memory, whatever
// its size:
//
//  1. The file is read once: each row is checked on its own (fields,
//     credit-code checksum, unit) and the valid ones are gathered in
//     runs of importRunRows rows, each sorted by credit code and written
//     to a temporary file (a file that fits in one run stays in memory).
//  2. The runs are merged in credit-code order: a repeated code is next
//     to its first row, the enterprises already registered are looked up
//     a few hundred codes at a time, and each row is classified as a
//     birth, a change, a death or unchanged. Changes are written to a
//     second temporary file, births are only marked (a bit per row).
//  3. Only when the whole file is valid, and not for a dry run, the same
//     transaction that ran step 2 (holding the register lock) merges the
//     runs again and writes the births in credit-code order (the code's
//     and the unit's indexes then grow at their end, which is what keeps
//     a million-row import fast), then the changes and the register
//     summary. Any error leaves nothing written.
//
// What is held in memory is one run, a read buffer per run, a bit per
// row, the register summary's changes (a row per county × section × size
// × year of birth and of closing) and at most MaxErrors errors.

// importRunRows is the number of rows sorted in memory at a time.
var importRunRows = 1 << 16

// importRow is one valid row of a register file.
type importRow struct {
	n      int
	e      Enterprise
	closed bool
}

// ImportRegister reads a register file (CSV or the first sheet of an XLSX
// workbook; header row first, see the package's column names) and, when
// every row is valid and the options allow, writes it in one transaction:
// new credit codes are births, rows whose fields differ are changes, rows
// with status 注销/closed are deaths. Every problem is reported with its
// row and column in Chinese and English and then nothing is written. The
// import is audited as one entry; each enterprise's births, deaths and
// changes are kept on its own history. The file is streamed (see above):
// memory does not grow with its size.
func ImportRegister(ctx context.Context, db *store.DB, a audit.Actor, name string, r io.Reader, opt ImportOptions) (*ImportResult, error) {
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 200
	}
	res := &ImportResult{}
	if opt.Year < 1990 || opt.Year > 2100 {
		res.fail(opt.MaxErrors, i18n.Errorf("年度 %d 不在 1990–2100 之间", "the year %d is not between 1990 and 2100", opt.Year).OnField("year"))
		return res, nil
	}
	im := &importer{ctx: ctx, db: db, opt: opt, res: res, units: map[string]*unitOf{}}
	defer im.close()
	uerr, err := readTable(name, r, im.row)
	if err != nil && err != errStop {
		return nil, err
	}
	if uerr != nil {
		res.fail(opt.MaxErrors, uerr)
	}
	if im.cols == nil && res.ErrorCount == 0 {
		res.fail(opt.MaxErrors, i18n.Errorf("文件是空的", "the file is empty"))
	}
	if im.cols == nil || uerr != nil {
		return res, nil
	}
	if res.Rows == 0 && res.ErrorCount == 0 {
		res.fail(opt.MaxErrors, i18n.Errorf("文件中没有企业", "the file lists no enterprise"))
		return res, nil
	}
	if err := im.runs.finish(); err != nil {
		return nil, err
	}
	sortErrors := func() {
		// The errors in the order of the file's rows (those of the merge
		// came in credit-code order).
		slices.SortStableFunc(res.Errors, func(a, b *i18n.Error) int { return a.Row - b.Row })
	}
	if res.ErrorCount > 0 || opt.DryRun {
		// Checked against the register as it is, writing nothing.
		if err := im.classify(ctx, db.R); err != nil {
			return nil, err
		}
		sortErrors()
		return res, nil
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		// One register import at a time: the deaths of enterprises listed
		// as closed when first registered are written from the rows this
		// transaction adds (ids above the largest one).
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		if err := ensureCells(ctx, tx); err != nil {
			return err
		}
		if err := im.classify(ctx, tx); err != nil {
			return err
		}
		if res.ErrorCount > 0 {
			return errRefused
		}
		return im.write(ctx, tx, a, name)
	})
	sortErrors()
	if errors.Is(err, errRefused) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Written = true
	return res, nil
}

// errRefused rolls back an import whose merge found errors.
var errRefused = errors.New("ecstat: import refused")

// unitOf is a unit code of the file, looked up once.
type unitOf struct {
	u          orgunit.Unit
	city       string
	ok, inside bool
}

type importer struct {
	ctx   context.Context
	db    *store.DB
	opt   ImportOptions
	res   *ImportResult
	cols  map[string]int
	units map[string]*unitOf
	runs  runSet
	// Found by classify: a bit per merged row that is a birth, the
	// changes (spooled), the summary's changes.
	births       []uint64
	closedBirths int
	updates      spool
	delta        cells
}

func (im *importer) close() {
	im.runs.close()
	im.updates.close()
}

// row is step 1 for one record of the file.
func (im *importer) row(n int, rec []string) error {
	res, opt := im.res, im.opt
	if im.cols == nil {
		im.cols = map[string]int{}
		for i, h := range rec {
			h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
			for _, c := range registerColumns {
				for _, nm := range c.names {
					if h == nm {
						if _, dup := im.cols[c.key]; !dup {
							im.cols[c.key] = i
						}
					}
				}
			}
		}
		var missing []string
		for _, c := range registerColumns {
			if _, ok := im.cols[c.key]; !ok && c.required {
				missing = append(missing, c.key)
			}
		}
		if len(missing) > 0 {
			res.fail(opt.MaxErrors, i18n.Errorf("表头缺少列：%s（应为 credit_code,name,industry,org_code,size,above_scale,employees,revenue）",
				"the header lacks columns: %s (expected credit_code,name,industry,org_code,size,above_scale,employees,revenue)", strings.Join(missing, ", ")).At(n, ""))
			return errStop
		}
		return nil
	}
	if blank(rec) {
		return nil
	}
	res.Rows++
	row, errs := parseRow(n, rec, im.cols, opt.Year)
	for _, e := range errs {
		res.fail(opt.MaxErrors, e)
	}
	if len(errs) > 0 {
		return im.ctxErr(n)
	}
	// The unit: a county-level unit the importer covers.
	uo, err := im.unit(row.e.OrgCode)
	if err != nil {
		return err
	}
	oc := colName(im.cols["org_code"])
	switch u := uo.u; {
	case !uo.ok:
		res.fail(opt.MaxErrors, i18n.Errorf("未知的地区代码 %s", "unknown unit code %s", row.e.OrgCode).At(n, oc))
		return im.ctxErr(n)
	case u.Kind != orgunit.County:
		res.fail(opt.MaxErrors, i18n.Errorf("地区代码 %s（%s）不是县级单位：请填写企业所在县（市、区）的代码", "unit %s (%s) is not a county: give the enterprise's county code", u.Code, u.Name).At(n, oc))
		return im.ctxErr(n)
	case !uo.inside:
		res.fail(opt.MaxErrors, i18n.Errorf("地区 %s（%s）不在您管理的范围内", "unit %s (%s) is outside your units", u.Code, u.Name).At(n, oc))
		return im.ctxErr(n)
	}
	row.e.OrgPath, row.e.CityCode = uo.u.Path, uo.city
	if res.ErrorCount > 0 {
		// The file is refused already: what the merge still has to find
		// (repeated codes, enterprises outside the importer's units) needs
		// only the codes, and the rest of the row is not kept.
		row.e = Enterprise{CreditCode: row.e.CreditCode}
	}
	if err := im.runs.add(row); err != nil {
		return err
	}
	return im.ctxErr(n)
}

func (im *importer) ctxErr(n int) error {
	if n%50000 == 0 {
		return im.ctx.Err()
	}
	return nil
}

// unit looks code up once.
func (im *importer) unit(code string) (*unitOf, error) {
	if uo := im.units[code]; uo != nil {
		return uo, nil
	}
	uo := &unitOf{}
	us, err := orgunit.GetMany(im.ctx, im.db, []string{code})
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if u.Code == code {
			uo.u, uo.ok, uo.inside = u, true, inScopes(u.Path, im.opt.Scopes)
			if pc := orgunit.PathCodes(u.Path); len(pc) > 1 {
				uo.city = pc[1]
			}
		}
	}
	im.units[code] = uo
	return uo, nil
}

// lookupBatch is how many credit codes are looked up in the register at
// a time.
const lookupBatch = 500

// classify is step 2: the runs merged in credit-code order, checked for
// repeated codes and against the register (read through q).
func (im *importer) classify(ctx context.Context, q querier) error {
	res, opt := im.res, im.opt
	var registered bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ecstat_enterprise)`).Scan(&registered); err != nil {
		return fmt.Errorf("ecstat: register: %w", err)
	}
	m, err := im.runs.merge()
	if err != nil {
		return err
	}
	im.births = make([]uint64, (im.runs.rows+63)/64)
	im.closedBirths = 0
	im.delta = cells{}
	var tmp big.Int
	cc := colName(im.cols["credit_code"])
	prevCode, firstN := "", 0
	pos := 0
	batch := make([]importRow, 0, lookupBatch)
	existing := map[string]Enterprise{}
	for {
		batch = batch[:0]
		for len(batch) < lookupBatch {
			row, ok, err := m.next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			batch = append(batch, row)
		}
		if len(batch) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		clear(existing)
		if registered {
			if err := lookupCodes(ctx, q, batch, existing); err != nil {
				return err
			}
		}
		for i := range batch {
			row := &batch[i]
			p := pos
			pos++
			if row.e.CreditCode == prevCode {
				res.fail(opt.MaxErrors, i18n.Errorf("统一社会信用代码 %s 与第 %d 行重复", "unified social credit code %s repeats row %d", row.e.CreditCode, firstN).At(row.n, cc))
				continue
			}
			prevCode, firstN = row.e.CreditCode, row.n
			old, exists := existing[row.e.CreditCode]
			if !exists {
				row.e.BornYear = opt.Year
				if row.closed {
					row.e.ClosedYear = opt.Year
					im.closedBirths++
				}
				im.births[p/64] |= 1 << (p % 64)
				im.delta.enterprise(&row.e, 1, &tmp)
				res.Births++
				continue
			}
			if !inScopes(old.OrgPath, opt.Scopes) {
				res.fail(opt.MaxErrors, i18n.Errorf("企业 %s 登记在您管理范围之外的地区 %s", "enterprise %s is registered in %s, outside your units", old.CreditCode, old.OrgCode).At(row.n, cc))
				continue
			}
			if res.ErrorCount > 0 {
				continue // refused: only errors are looked for now
			}
			row.e.ID, row.e.BornYear, row.e.ClosedYear = old.ID, old.BornYear, old.ClosedYear
			kind := "change"
			switch {
			case row.closed && old.ClosedYear == 0:
				row.e.ClosedYear, kind = opt.Year, "death"
			case !row.closed && old.ClosedYear != 0:
				row.e.ClosedYear = 0 // listed again as operating: revived
			}
			d := diff(old, row.e)
			if len(d) == 0 {
				res.Unchanged++
				continue
			}
			if kind == "death" {
				res.Deaths++
			} else {
				res.Changes++
			}
			detail, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := im.updates.add(row, kind, string(detail)); err != nil {
				return err
			}
			im.delta.enterprise(&old, -1, &tmp)
			im.delta.enterprise(&row.e, 1, &tmp)
		}
	}
	return im.updates.finish()
}

// lookupCodes puts the registered enterprises with the batch's credit
// codes into out.
func lookupCodes(ctx context.Context, q querier, batch []importRow, out map[string]Enterprise) error {
	var args store.Args
	in := make([]string, 0, len(batch))
	for i := range batch {
		if i > 0 && batch[i].e.CreditCode == batch[i-1].e.CreditCode {
			continue
		}
		in = append(in, args.Add(batch[i].e.CreditCode))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+entCols+` FROM ecstat_enterprise WHERE credit_code IN (`+strings.Join(in, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("ecstat: look up enterprises: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return err
		}
		out[e.CreditCode] = e
	}
	return rows.Err()
}

// write is step 3, in the transaction of step 2.
func (im *importer) write(ctx context.Context, tx *store.Tx, a audit.Actor, name string) error {
	res, opt := im.res, im.opt
	now := store.Now()
	var maxID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM ecstat_enterprise`).Scan(&maxID); err != nil {
		return err
	}
	// A birth is the enterprise's row itself (born_year, registered_by,
	// registered_at): its history shows it without a row of its own (see
	// [Changes]), and the import is audited as one entry.
	m, err := im.runs.merge()
	if err != nil {
		return err
	}
	_, err = tx.Copy(ctx, "ecstat_enterprise", []string{"credit_code", "name", "industry", "section", "org_code", "org_path", "city_code",
		"size", "above_scale", "employees", "revenue", "born_year", "closed_year", "updated_at", "registered_by", "registered_at"}, func(yield func([]any) error) error {
		rowv := make([]any, 16)
		for p := 0; ; p++ {
			b, ok, err := m.next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if im.births[p/64]&(1<<(p%64)) == 0 {
				continue
			}
			e := b.e
			closed := 0
			if b.closed {
				closed = opt.Year
			}
			rowv[0], rowv[1], rowv[2], rowv[3], rowv[4], rowv[5], rowv[6] = e.CreditCode, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode
			rowv[7], rowv[8], rowv[9], rowv[10], rowv[11], rowv[12], rowv[13] = e.Size, b2i(e.AboveScale), e.Employees, int64(e.Revenue), opt.Year, closed, now
			rowv[14], rowv[15] = a.Name, now
			if err := yield(rowv); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return fmt.Errorf("ecstat: insert enterprises: %w", err)
	}
	if im.updates.count > 0 {
		st, err := tx.PrepareContext(ctx, `UPDATE ecstat_enterprise SET name = $1, industry = $2, section = $3, org_code = $4, org_path = $5, city_code = $6,
			size = $7, above_scale = $8, employees = $9, revenue = $10, closed_year = $11, updated_at = $12 WHERE id = $13`)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := im.updates.each(func(u *importRow, _, _ string) error {
			e := u.e
			if _, err := st.ExecContext(ctx, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode, e.Size, b2i(e.AboveScale), e.Employees,
				int64(e.Revenue), e.ClosedYear, now, e.ID); err != nil {
				return fmt.Errorf("ecstat: update enterprise: %w", err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if im.closedBirths > 0 {
		// The deaths of enterprises listed as closed when first
		// registered are recorded by the database from the new rows,
		// without reading them back.
		dead := `json_object('closed_year', json_array(0, closed_year))`
		if tx.Dialect == store.Postgres {
			dead = `json_build_object('closed_year', json_build_array(0, closed_year))::text`
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_change (enterprise_id, year, kind, detail, actor_name, at)
			SELECT id, $1, 'death', `+dead+`, $2, $3 FROM ecstat_enterprise WHERE id > $4 AND closed_year <> 0 ORDER BY id`, opt.Year, a.Name, now, maxID); err != nil {
			return fmt.Errorf("ecstat: record deaths at birth: %w", err)
		}
	}
	if _, err := tx.Copy(ctx, "ecstat_change", []string{"enterprise_id", "year", "kind", "detail", "actor_name", "at"}, func(yield func([]any) error) error {
		return im.updates.each(func(u *importRow, kind, detail string) error {
			return yield([]any{u.e.ID, opt.Year, kind, detail, a.Name, now})
		})
	}); err != nil {
		return fmt.Errorf("ecstat: record changes: %w", err)
	}
	// The register summary changes with the rows (see regsum.go).
	if err := applyCells(ctx, tx, im.delta); err != nil {
		return err
	}
	return audit.Record(ctx, tx, a, "import", "ecstat_register", strconv.Itoa(opt.Year), commonScope(opt.Scopes), nil,
		map[string]any{"file": name, "rows": res.Rows, "births": res.Births, "changes": res.Changes, "deaths": res.Deaths, "unchanged": res.Unchanged})
}

// runSet gathers the valid rows in sorted runs: the last one in memory,
// the full ones in a temporary file.
type runSet struct {
	buf   []importRow
	order []sortKey
	file  *os.File
	w     *bufio.Writer
	off   int64
	spans [][2]int64 // offset and length of each run in file
	rows  int
	enc   []byte
}

// sortKey sorts a run by credit code (held in the key itself: a valid
// code is 18 characters) and row.
type sortKey struct {
	code [18]byte
	i    int32
}

func (rs *runSet) add(row importRow) error {
	rs.buf = append(rs.buf, row)
	rs.rows++
	if len(rs.buf) >= importRunRows {
		return rs.flush()
	}
	return nil
}

// sort orders the run in memory.
func (rs *runSet) sort() {
	rs.order = rs.order[:0]
	for i := range rs.buf {
		var k sortKey
		copy(k.code[:], rs.buf[i].e.CreditCode)
		k.i = int32(i)
		rs.order = append(rs.order, k)
	}
	slices.SortFunc(rs.order, func(a, b sortKey) int {
		if c := bytes.Compare(a.code[:], b.code[:]); c != 0 {
			return c
		}
		return cmp.Compare(rs.buf[a.i].n, rs.buf[b.i].n)
	})
}

// flush writes the run in memory to the file, sorted.
func (rs *runSet) flush() error {
	if len(rs.buf) == 0 {
		return nil
	}
	if rs.file == nil {
		f, err := os.CreateTemp("", "zhihui-register-*.run")
		if err != nil {
			return fmt.Errorf("ecstat: import: %w", err)
		}
		rs.file, rs.w = f, bufio.NewWriterSize(f, 1<<20)
	}
	rs.sort()
	start := rs.off
	for _, k := range rs.order {
		rs.enc = encodeRow(rs.enc[:0], &rs.buf[k.i])
		if _, err := rs.w.Write(rs.enc); err != nil {
			return fmt.Errorf("ecstat: import: %w", err)
		}
		rs.off += int64(len(rs.enc))
	}
	rs.spans = append(rs.spans, [2]int64{start, rs.off - start})
	clear(rs.buf)
	rs.buf = rs.buf[:0]
	return nil
}

// finish ends step 1: a single run stays in memory, sorted; otherwise
// the last one joins the others in the file.
func (rs *runSet) finish() error {
	if rs.file == nil {
		rs.sort()
		return nil
	}
	if err := rs.flush(); err != nil {
		return err
	}
	if err := rs.w.Flush(); err != nil {
		return fmt.Errorf("ecstat: import: %w", err)
	}
	rs.buf, rs.order = nil, nil
	return nil
}

func (rs *runSet) close() {
	if rs.file != nil {
		rs.file.Close()
		os.Remove(rs.file.Name())
	}
}

// merge starts a pass over all the rows in credit-code order.
func (rs *runSet) merge() (*merger, error) {
	m := &merger{}
	if rs.file == nil {
		m.mem, m.order = rs.buf, rs.order
		return m, nil
	}
	for _, sp := range rs.spans {
		c := &runCursor{r: bufio.NewReaderSize(io.NewSectionReader(rs.file, sp[0], sp[1]), 64<<10), intern: map[string]string{}}
		ok, err := c.advance()
		if err != nil {
			return nil, err
		}
		if ok {
			m.h = append(m.h, c)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// merger yields the rows of all runs in credit-code order (and row order
// within a code).
type merger struct {
	mem   []importRow
	order []sortKey
	pos   int
	h     cursorHeap
}

func (m *merger) next() (importRow, bool, error) {
	if m.h == nil {
		if m.pos >= len(m.order) {
			return importRow{}, false, nil
		}
		m.pos++
		return m.mem[m.order[m.pos-1].i], true, nil
	}
	if len(m.h) == 0 {
		return importRow{}, false, nil
	}
	c := m.h[0]
	row := c.row
	ok, err := c.advance()
	if err != nil {
		return importRow{}, false, err
	}
	if ok {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return row, true, nil
}

// runCursor reads one run of the file.
type runCursor struct {
	r      *bufio.Reader
	row    importRow
	intern map[string]string
}

func (c *runCursor) advance() (bool, error) {
	if _, err := c.r.Peek(1); err == io.EOF {
		return false, nil
	}
	if err := decodeRow(c.r, &c.row, c.intern); err != nil {
		return false, fmt.Errorf("ecstat: import: read back: %w", err)
	}
	return true, nil
}

type cursorHeap []*runCursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := &h[i].row, &h[j].row
	if a.e.CreditCode != b.e.CreditCode {
		return a.e.CreditCode < b.e.CreditCode
	}
	return a.n < b.n
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*runCursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// encodeRow appends row to b: varints and length-prefixed strings.
func encodeRow(b []byte, row *importRow) []byte {
	e := &row.e
	b = binary.AppendUvarint(b, uint64(row.n))
	for _, s := range [...]string{e.CreditCode, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode, e.Size} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, byte(b2i(e.AboveScale)|b2i(row.closed)<<1))
	b = binary.AppendVarint(b, e.Employees)
	b = binary.AppendVarint(b, int64(e.Revenue))
	b = binary.AppendVarint(b, e.ID)
	b = binary.AppendVarint(b, int64(e.BornYear))
	return binary.AppendVarint(b, int64(e.ClosedYear))
}

// decodeRow reads a row written by encodeRow; the codes shared by many
// rows are interned.
func decodeRow(r *bufio.Reader, row *importRow, intern map[string]string) error {
	var err error
	str := func(shared bool) string {
		if err != nil {
			return ""
		}
		var l uint64
		if l, err = binary.ReadUvarint(r); err != nil {
			return ""
		}
		if l > 1<<20 {
			err = errors.New("corrupt run")
			return ""
		}
		var p []byte
		if l <= uint64(r.Size()) {
			// Read in place, copied once into the string.
			if p, err = r.Peek(int(l)); err != nil {
				return ""
			}
			defer r.Discard(int(l))
		} else {
			p = make([]byte, l)
			if _, err = io.ReadFull(r, p); err != nil {
				return ""
			}
		}
		if !shared {
			return string(p)
		}
		if s, ok := intern[string(p)]; ok {
			return s
		}
		s := string(p)
		intern[s] = s
		return s
	}
	vint := func() int64 {
		if err != nil {
			return 0
		}
		var v int64
		v, err = binary.ReadVarint(r)
		return v
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	*row = importRow{n: int(n)}
	e := &row.e
	e.CreditCode, e.Name = str(false), str(false)
	e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode, e.Size = str(true), str(true), str(true), str(true), str(true), str(true)
	if err != nil {
		return err
	}
	flags, err := r.ReadByte()
	if err != nil {
		return err
	}
	e.AboveScale, row.closed = flags&1 != 0, flags&2 != 0
	e.Employees = vint()
	e.Revenue = Amount(vint())
	e.ID = vint()
	e.BornYear = int(vint())
	e.ClosedYear = int(vint())
	return err
}

// spool keeps the changes an import found, with their kind and detail,
// in a temporary file.
type spool struct {
	file  *os.File
	w     *bufio.Writer
	count int
	enc   []byte
}

func (s *spool) add(row *importRow, kind, detail string) error {
	if s.file == nil {
		f, err := os.CreateTemp("", "zhihui-register-*.changes")
		if err != nil {
			return fmt.Errorf("ecstat: import: %w", err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	s.enc = encodeRow(s.enc[:0], row)
	for _, v := range [...]string{kind, detail} {
		s.enc = binary.AppendUvarint(s.enc, uint64(len(v)))
		s.enc = append(s.enc, v...)
	}
	s.count++
	_, err := s.w.Write(s.enc)
	return err
}

func (s *spool) finish() error {
	if s.w == nil {
		return nil
	}
	return s.w.Flush()
}

// each calls fn with every change, in credit-code order.
func (s *spool) each(fn func(row *importRow, kind, detail string) error) error {
	if s.count == 0 {
		return nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.file, 256<<10)
	intern := map[string]string{}
	var row importRow
	for i := 0; i < s.count; i++ {
		if err := decodeRow(r, &row, intern); err != nil {
			return fmt.Errorf("ecstat: import: read back: %w", err)
		}
		var kd [2]string
		for j := range kd {
			l, err := binary.ReadUvarint(r)
			if err != nil {
				return err
			}
			b := make([]byte, l)
			if _, err := io.ReadFull(r, b); err != nil {
				return err
			}
			kd[j] = string(b)
		}
		if err := fn(&row, kd[0], kd[1]); err != nil {
			return err
		}
	}
	return nil
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}

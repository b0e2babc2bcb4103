// Package monitor is Zhihui's monitoring data core: data elements and
// indicators, data values, aggregates kept fresh in the same transaction
// as every write, DHIS2-style analytics, and CSV/XLSX import and export.
// Unlike DHIS2's batch analytics tables, analytics here are never stale.
//
// # Catalogue
//
//	type Element struct{ ID int64; Code, Name, NameEn, ValueType, Aggregation, Unit, PeriodType string; Min, Max *float64; Description string; Published bool }
//	type Indicator struct{ ID int64; Code, Name, NameEn, Unit, Direction, Formula string; Decimals int; Description string; Published bool }
//	func Elements(ctx, db) ([]Element, error)
//	func GetElement(ctx, db, code) (Element, error)                  // wraps ErrNotFound
//	func SaveElement(ctx, db, audit.Actor, Element) (Element, error) // create or update by code; i18n.Errors; audited
//	func ValidateElement(Element) []*i18n.Error
//	func Indicators(ctx, db) ([]Indicator, error)
//	func GetIndicator(ctx, db, code) (Indicator, error)
//	func SaveIndicator(ctx, db, audit.Actor, Indicator) (Indicator, error)
//	func ValidateIndicator(Indicator, known func(code string) bool) []*i18n.Error
//	func CheckFormula(ctx, db, src string) []*i18n.Error // the edit form's inline check
//	func DefaultCatalog() (*Catalog, error)              // embedded catalog.yaml
//	func InstallCatalog(ctx, db) error                    // adds missing codes (+ their published figures); run at bootstrap
//	func Actuals() ([]Actual, error)                      // embedded data/henan-actuals.csv
//
// Value types: Number, Integer, Percent, Boolean, Text. Aggregations: Sum,
// Average, Last (the latest period's values, summed over units), Min, Max,
// None (a single value only). Period types: monthly, quarterly,
// sixmonthly, yearly. Every §2.3 target of plan.Default() names an element
// or indicator of the catalogue (tested).
//
// Formulas (package formula): #{CODE}, numbers, + − × ÷ (also - * /),
// parentheses, unary minus; formula.Parse(src) (*formula.Expr, error) with
// bilingual errors naming the character, Expr.Eval(lookup), Expr.Codes().
//
// # Values
//
//	type Value struct{ DataElement, OrgUnit, Period, Value, Comment string } // Value "" deletes
//	type StoredValue struct{ Value; UpdatedBy int64; UpdatedAt time.Time }
//	func SaveValues(ctx, db, audit.Actor, []Value) error      // all or nothing; i18n.Errors (rows = 1-based positions)
//	func CheckValues(ctx, db, []Value) ([]*i18n.Error, error) // the same checks, no write (dry run)
//	func DataValues(ctx, db, ValueFilter) ([]StoredValue, error)
//	func CheckValue(*Element, raw string) (float64, string, *i18n.Error)
//	func CheckPeriod(*Element, id string) (period.Period, *i18n.Error)
//	func ParseNumber(s string) (float64, bool) // 1,234.5, full-width digits
//
// Every write updates, in its transaction, every aggregate cell it
// touches and the audit log: updates and deletions one entry each with
// before and after; new values one entry each up to 1,000 per write, one
// summary entry above that (the rows themselves carry who and when).
// Concurrent writers: the last to commit wins; PostgreSQL writers are
// serialised per element with an advisory lock, SQLite has one writer.
//
// # Aggregates
//
// A cell (element, period P, unit U) holds sum, count, min, max and the
// latest period within P with the sum of the values at it, over every value
// of the element within P in U's subtree, U included; P runs over the
// value's period and every longer one (month → quarter → half-year →
// year). Villages (level 5) have no cells: their figures are their raw
// values, read by primary key (at most 12 rows for a year of months).
// Sums, counts and the latest period move by deltas; a cell whose min or
// max may have been the value that changed, or that lost a value, is
// recomputed: at the element's own period type from its children's cells
// and its own and village children's raw values, at a longer period from
// its unit's cells of the periods one type shorter within it — all such
// cells of a write with one read and one write (see aggregate.go). A whole
// import sums its deltas in memory and upserts each touched cell once. On
// PostgreSQL a write of at most 16 values sends its value rows and audit
// entries in the statement of its first aggregate upsert.
//
//	type Cell struct{ Sum int64; Count int64; Min, Max int64; LastPeriod string; Last int64; Scale int }
//	func (Cell) Value(aggregation string) (float64, bool) // always finite
//	func Rebuild(ctx, db, codes ...string) error // recompute cells from raw values (bulk loads, checks)
//	func RebuildStale(ctx, db) (int, error)     // recompute elements a migration listed; run at start
//	func InternUnits(ctx, db) error              // assign monitor_ou ids now (for bulk loaders)
//
// Exactness: aggregates are integers in units of 10^-scale of their
// element (Element.Scale: 0 for integer and boolean, DecimalScale = 4 for
// number and percent), stored in int64 columns that fail rather than
// overflow, so that deltas in any order give exactly what a recomputation
// from the stored values gives (tested against a GROUP BY of the stored
// values after random writes across twenty orders of magnitude). A value
// with more decimals than its scale, beyond ±(2^53−1) units, NaN or
// infinite is refused naming the value; a write after which a total would
// leave the int64 range is refused as a whole.
//
// # Analytics
//
//	type Query struct{ DX, PE, OU []string; Scopes []string; PublishedOnly bool; Now time.Time }
//	type Result struct{ Rows []Row; Meta Meta }   // Row{DX, PE, OU string; Value float64}; Meta.Items names zh/en
//	func Analytics(ctx, db, Query) (*Result, error) // ErrForbidden outside Scopes or unpublished when PublishedOnly
//	func (*Result) Get(dx, pe, ou string) (float64, bool)
//	func ResolveOrgUnits(ctx, db, selectors []string) ([]orgunit.Unit, error) // "41", "4101;4102", "41;LEVEL-3", "4101;CHILDREN"
//	func ResolvePeriods(selectors []string, now time.Time) ([]period.Period, error) // ids and LAST_12_MONTHS, THIS_YEAR, LAST_5_YEARS …
//	func RelativePeriods() []string
//
// Indicators are evaluated on the aggregated figures of their elements at
// each (period, unit), never by averaging lower-level ratios. Reads use
// only aggregate cells (plus village raw values by key).
//
// # Import and export
//
//	func ReadImport(ctx, db, name string, r io.Reader, ImportOptions) (*Import, error) // CSV (UTF-8 or GB18030) or XLSX, long or wide (统计报表)
//	func (*Import) Commit(ctx, db, audit.Actor) (WriteResult, error)                 // one transaction; refuses an import with errors
//	type Preview struct{ File, Format, Shape string; HeaderRow int; ReportUnit, Period, Unit string; Rows, Values, ErrorCount int; Errors []*i18n.Error; Sample []ImportRow }
//	func WriteTemplate(ctx, db, w, TemplateOptions) error        // blank XLSX report sheet for a subtree
//	func WriteAnalytics(w, *Result, format, lang string) error   // csv or xlsx
//	func WriteValues(w, []StoredValue, format string) error      // long shape, re-importable
//
// Import errors (unknown code or name, period of the wrong type, not a
// number, outside min/max, duplicate row, unit outside the importer's
// Scopes) carry row and column in both languages.
package monitor

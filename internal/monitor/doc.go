// Package monitor is Zhihui's monitoring data core: data elements and
// indicators, data values, aggregates kept fresh on every write, and
// DHIS2-style analytics over them.
//
// # Catalogue
//
//	type Element struct{ Code, Name, NameEn, ValueType, Aggregation, Unit, PeriodType string; Min, Max *float64; Published bool; … }
//	type Indicator struct{ Code, Name, NameEn, Unit, Direction, Formula string; Decimals int; Published bool; … }
//	func Elements(ctx, db) ([]Element, error)
//	func GetElement(ctx, db, code) (Element, error)            // ErrNotFound
//	func SaveElement(ctx, db, actor, Element) (Element, error) // *ValidationError; audited
//	func Indicators(ctx, db) ([]Indicator, error)
//	func GetIndicator(ctx, db, code) (Indicator, error)
//	func SaveIndicator(ctx, db, actor, Indicator) (Indicator, error)
//	func CheckFormula(ctx, db, src) []*i18n.Error               // inline formula check
//	func InstallCatalog(ctx, db) error                            // embedded catalog.yaml, idempotent
//
// Formulas (package formula): #{CODE}, numbers, + − × ÷, parentheses,
// unary minus; formula.Parse(src) (*Expr, error), Expr.Eval, Expr.Codes.
//
// # Values
//
//	type Value struct{ DataElement, OrgUnit, Period, Value, Comment string } // Value "" deletes
//	func SaveValues(ctx, db, actor, []Value) error                 // all or nothing; *ValidationError with rows
//	func DataValues(ctx, db, ValueFilter) ([]StoredValue, error)
//	func CheckValue(*Element, raw) (float64, string, *i18n.Error)
//	func CheckPeriod(*Element, id) (period.Period, *i18n.Error)
//
// Every write updates, in the same transaction, the aggregate cells of
// every (ancestor unit × enclosing period) it touches, and is audited:
// updates and deletions one entry each with before and after, new values
// one entry each up to 1,000 per write and one summary entry above that.
//
// # Aggregates
//
// A cell (element, period P, unit U) holds sum, count, min, max, and the
// latest period within P with the sum of values at it, over all values of
// the element within P in U's subtree (U included). Units at level 5
// (villages) have no cells: their values are the raw values, read by
// primary key. Cell.Value(aggregation) gives the figure for sum, average,
// min, max, last and none (a single value only).
//
//	func Rebuild(ctx, db, codes ...string) error // recompute cells from raw values
//
// # Analytics
//
//	type Query struct{ DX, PE, OU []string; Scopes []string; PublishedOnly bool; Now time.Time }
//	func Analytics(ctx, db, Query) (*Result, error)  // ErrForbidden outside Scopes / unpublished
//	func ResolveOrgUnits(ctx, db, selectors) ([]orgunit.Unit, error) // "41", "41;LEVEL-3", "4101;CHILDREN"
//	func ResolvePeriods(selectors, now) ([]period.Period, error)     // ids and LAST_12_MONTHS, THIS_YEAR, …
//
// Indicators are evaluated on the aggregated figures of their elements at
// each (period, unit), never by averaging lower-level ratios.
package monitor

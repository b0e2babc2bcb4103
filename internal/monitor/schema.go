package monitor

import "zhihui/internal/store"

// Schema owns the monitoring tables.
//
//   - monitor_element, monitor_indicator: the catalogue.
//   - monitor_ou: org units interned to small integers (id), with their
//     parent and path, so that values and aggregates key on integers.
//   - monitor_value: raw data values, one per (element, period, unit).
//   - monitor_agg: aggregates per (element, period, unit) covering every
//     value of the element whose period lies within pe and whose unit lies
//     in the subtree of the unit. Villages (level 5, the leaves) have no
//     rows of their own: their values are the raw values.
//
// Version 2 keeps aggregates as exact integers in units of 10^-scale of
// their element (see Element.Scale) instead of float sums, which lost
// small values next to large ones and turned into +Inf: monitor_agg is
// made anew and every element is listed in monitor_agg_stale, whose
// elements RebuildStale recomputes from the stored values. Stored values
// that cannot be held exactly (beyond ±(2^53−1) units, more decimals than
// the scale, not finite) are moved to monitor_value_setaside with the
// reason, not lost.
var Schema = store.Schema{Component: "monitor", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE monitor_element (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	value_type TEXT NOT NULL,
	aggregation TEXT NOT NULL,
	unit TEXT NOT NULL DEFAULT '',
	period_type TEXT NOT NULL,
	min_value {{REAL}},
	max_value {{REAL}},
	description TEXT NOT NULL DEFAULT '',
	published INTEGER NOT NULL DEFAULT 0,
	updated_at {{TS}} NOT NULL);
CREATE TABLE monitor_indicator (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	unit TEXT NOT NULL DEFAULT '',
	direction TEXT NOT NULL,
	formula TEXT NOT NULL,
	decimals INTEGER NOT NULL DEFAULT 1,
	description TEXT NOT NULL DEFAULT '',
	published INTEGER NOT NULL DEFAULT 0,
	updated_at {{TS}} NOT NULL);
CREATE TABLE monitor_ou (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	parent_code TEXT NOT NULL DEFAULT '',
	level INTEGER NOT NULL,
	path TEXT {{C}} NOT NULL);
CREATE INDEX monitor_ou_parent ON monitor_ou (parent_code);
CREATE TABLE monitor_value (
	element_id BIGINT NOT NULL,
	pe TEXT {{C}} NOT NULL,
	ou_id BIGINT NOT NULL,
	value {{REAL}},
	text_value TEXT,
	comment TEXT NOT NULL DEFAULT '',
	updated_by BIGINT NOT NULL DEFAULT 0,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (element_id, pe, ou_id));
CREATE TABLE monitor_agg (
	element_id BIGINT NOT NULL,
	pe TEXT {{C}} NOT NULL,
	ou_id BIGINT NOT NULL,
	sum {{REAL}} NOT NULL,
	cnt BIGINT NOT NULL,
	min {{REAL}} NOT NULL,
	max {{REAL}} NOT NULL,
	last_pe TEXT {{C}} NOT NULL,
	last {{REAL}} NOT NULL,
	PRIMARY KEY (element_id, pe, ou_id))`}, {Version: 2, SQL: `
DROP TABLE monitor_agg;
CREATE TABLE monitor_agg (
	element_id BIGINT NOT NULL,
	pe TEXT {{C}} NOT NULL,
	ou_id BIGINT NOT NULL,
	{{EXACT sum}},
	cnt BIGINT NOT NULL,
	{{EXACT min}},
	{{EXACT max}},
	last_pe TEXT {{C}} NOT NULL,
	{{EXACT last}},
	PRIMARY KEY (element_id, pe, ou_id));
CREATE TABLE monitor_agg_stale (element_id BIGINT PRIMARY KEY);
INSERT INTO monitor_agg_stale (element_id) SELECT id FROM monitor_element;
CREATE TABLE monitor_value_setaside (
	element_id BIGINT NOT NULL,
	pe TEXT NOT NULL,
	ou_id BIGINT NOT NULL,
	value {{REAL}},
	comment TEXT NOT NULL DEFAULT '',
	updated_by BIGINT NOT NULL DEFAULT 0,
	updated_at {{TS}} NOT NULL,
	reason TEXT NOT NULL,
	set_aside_at {{TS}} NOT NULL)`}, {Version: 3, SQL: `
CREATE TABLE monitor_import_mapping (
	template TEXT NOT NULL,
	label TEXT NOT NULL,
	element_code TEXT NOT NULL,
	created_by BIGINT NOT NULL DEFAULT 0,
	created_at {{TS}} NOT NULL,
	PRIMARY KEY (template, label))`}}}

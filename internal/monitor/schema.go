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
	PRIMARY KEY (element_id, pe, ou_id))`}}}

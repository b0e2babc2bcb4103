// Package evalstore keeps what the composite index engine works on in the
// database: edited frameworks (as YAML), uploaded datasets, and enterprise
// self-assessments; it also makes the synthetic demo data and defines
// [DataSource], through which other modules can feed the engine: [Stored]
// datasets, and [Monitor], the monitoring module's aggregates for the
// indicators a framework marks "source: monitor:CODE" ([LoadForFramework]
// merges the two, monitoring figures winning).
package evalstore

import "zhihui/internal/store"

// Schema owns the evaluate_* tables.
var Schema = store.Schema{Component: "evaluate", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE evaluate_framework (
	id {{ID}},
	key TEXT NOT NULL UNIQUE,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	yaml TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '');
CREATE TABLE evaluate_dataset (
	id {{ID}},
	name TEXT NOT NULL UNIQUE,
	note TEXT NOT NULL DEFAULT '',
	synthetic BOOLEAN NOT NULL DEFAULT FALSE,
	org_path TEXT {{C}} NOT NULL,
	units INTEGER NOT NULL,
	series INTEGER NOT NULL,
	first_year INTEGER NOT NULL,
	last_year INTEGER NOT NULL,
	created_at {{TS}} NOT NULL,
	created_by TEXT NOT NULL DEFAULT '');
CREATE TABLE evaluate_dataset_unit (
	dataset_id BIGINT NOT NULL REFERENCES evaluate_dataset (id) ON DELETE CASCADE,
	ord INTEGER NOT NULL,
	unit TEXT NOT NULL,
	grp TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (dataset_id, unit));
CREATE TABLE evaluate_value (
	dataset_id BIGINT NOT NULL REFERENCES evaluate_dataset (id) ON DELETE CASCADE,
	unit TEXT NOT NULL,
	year INTEGER NOT NULL,
	series TEXT NOT NULL,
	value {{REAL}} NOT NULL,
	PRIMARY KEY (dataset_id, unit, year, series));
CREATE TABLE evaluate_enterprise (
	id {{ID}},
	name TEXT NOT NULL,
	credit_code TEXT NOT NULL,
	industry TEXT NOT NULL,
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	year INTEGER NOT NULL,
	answers_json TEXT NOT NULL,
	result_json TEXT NOT NULL,
	score {{REAL}} NOT NULL,
	stage TEXT NOT NULL,
	synthetic BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{TS}} NOT NULL,
	created_by TEXT NOT NULL DEFAULT '');
CREATE INDEX evaluate_enterprise_org ON evaluate_enterprise (org_path);
CREATE INDEX evaluate_enterprise_industry ON evaluate_enterprise (industry, org_code)`}}}

// Package ecstat keeps the e-commerce and information-consumption
// statistical survey (电子商务和信息消费统计监测, §8.3 of the plan): the
// enterprise register (名录库) with its births, deaths and changes by
// year; annual surveys of enterprise-level items with validation edits;
// the stratified design (industry section × city × size class, every
// above-threshold firm taken with certainty, the rest allocated
// proportionally or by Neyman allocation) drawn reproducibly from a
// recorded seed; responses filled by enterprises or by county staff on
// their behalf; estimates with their precision (package survey) and their
// publication into monitoring.
//
// Money is stored exactly as whole hundredths of 万元 ([Amount]);
// estimation runs in float64 and totals are rounded when published.
package ecstat

import "zhihui/internal/store"

// Schema owns the survey tables.
var Schema = store.Schema{Component: "ecstat", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE ecstat_enterprise (
	id {{ID}},
	credit_code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	industry TEXT NOT NULL,
	section TEXT NOT NULL,
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	city_code TEXT NOT NULL,
	size TEXT NOT NULL,
	above_scale INTEGER NOT NULL,
	employees BIGINT NOT NULL,
	revenue BIGINT NOT NULL,
	born_year INTEGER NOT NULL,
	closed_year INTEGER NOT NULL,
	updated_at {{TS}} NOT NULL
);
CREATE INDEX ecstat_enterprise_path ON ecstat_enterprise (org_path);
CREATE TABLE ecstat_change (
	id {{ID}},
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	year INTEGER NOT NULL,
	kind TEXT NOT NULL,
	detail TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL
);
CREATE INDEX ecstat_change_enterprise ON ecstat_change (enterprise_id, id);
CREATE INDEX ecstat_change_year ON ecstat_change (year, kind);
CREATE TABLE ecstat_account (
	user_id BIGINT NOT NULL,
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	PRIMARY KEY (user_id, enterprise_id)
);
CREATE TABLE ecstat_survey (
	id {{ID}},
	name TEXT NOT NULL,
	year INTEGER NOT NULL,
	items TEXT NOT NULL,
	edits TEXT NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE TABLE ecstat_design (
	survey_id BIGINT PRIMARY KEY REFERENCES ecstat_survey (id),
	method TEXT NOT NULL,
	n_target INTEGER NOT NULL,
	cv_target TEXT NOT NULL,
	seed BIGINT NOT NULL,
	frame_size INTEGER NOT NULL,
	sample_size INTEGER NOT NULL,
	drawn_at {{TS}} NOT NULL,
	drawn_by TEXT NOT NULL
);
CREATE TABLE ecstat_stratum (
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	h INTEGER NOT NULL,
	skey TEXT NOT NULL,
	section TEXT NOT NULL,
	city_code TEXT NOT NULL,
	size TEXT NOT NULL,
	certainty INTEGER NOT NULL,
	pop INTEGER NOT NULL,
	n INTEGER NOT NULL,
	sd_aux {{REAL}} NOT NULL,
	PRIMARY KEY (survey_id, h)
);
CREATE TABLE ecstat_sample (
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	h INTEGER NOT NULL,
	weight {{REAL}} NOT NULL,
	PRIMARY KEY (survey_id, enterprise_id)
);
CREATE TABLE ecstat_return (
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	submitted_at {{TS}} NOT NULL,
	submitted_by TEXT NOT NULL,
	on_behalf INTEGER NOT NULL,
	PRIMARY KEY (survey_id, enterprise_id)
);
CREATE TABLE ecstat_response (
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	enterprise_id BIGINT NOT NULL REFERENCES ecstat_enterprise (id),
	item TEXT NOT NULL,
	amount BIGINT,
	text_value TEXT NOT NULL,
	PRIMARY KEY (survey_id, enterprise_id, item)
);
CREATE TABLE ecstat_published (
	id {{ID}},
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	element TEXT NOT NULL,
	estimator TEXT NOT NULL,
	total {{REAL}} NOT NULL,
	se {{REAL}} NOT NULL,
	published_at {{TS}} NOT NULL,
	published_by TEXT NOT NULL
);
`}, {Version: 2, SQL: `
CREATE TABLE ecstat_frame_total (
	survey_id BIGINT NOT NULL REFERENCES ecstat_survey (id),
	org_code TEXT NOT NULL,
	city_code TEXT NOT NULL,
	section TEXT NOT NULL,
	units INTEGER NOT NULL,
	revenue BIGINT NOT NULL,
	PRIMARY KEY (survey_id, org_code, section)
);
ALTER TABLE ecstat_published ADD COLUMN units INTEGER NOT NULL DEFAULT 1;
ALTER TABLE ecstat_published ADD COLUMN suppressed TEXT NOT NULL DEFAULT '[]';
`}, {Version: 3, SQL: `
ALTER TABLE ecstat_design ADD COLUMN keep_share TEXT NOT NULL DEFAULT '0';
ALTER TABLE ecstat_design ADD COLUMN rotate_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ecstat_design ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ecstat_design ADD COLUMN rotated INTEGER NOT NULL DEFAULT 0;
`}, {Version: 4, SQL: `
ALTER TABLE ecstat_enterprise ADD COLUMN registered_by TEXT NOT NULL DEFAULT '';
ALTER TABLE ecstat_enterprise ADD COLUMN registered_at {{TS}};
ALTER TABLE ecstat_sample ADD COLUMN section TEXT NOT NULL DEFAULT '';
ALTER TABLE ecstat_sample ADD COLUMN org_code TEXT NOT NULL DEFAULT '';
ALTER TABLE ecstat_sample ADD COLUMN city_code TEXT NOT NULL DEFAULT '';
ALTER TABLE ecstat_sample ADD COLUMN revenue BIGINT NOT NULL DEFAULT 0;
UPDATE ecstat_sample SET
	section = (SELECT e.section FROM ecstat_enterprise e WHERE e.id = ecstat_sample.enterprise_id),
	org_code = (SELECT e.org_code FROM ecstat_enterprise e WHERE e.id = ecstat_sample.enterprise_id),
	city_code = (SELECT e.city_code FROM ecstat_enterprise e WHERE e.id = ecstat_sample.enterprise_id),
	revenue = (SELECT e.revenue FROM ecstat_enterprise e WHERE e.id = ecstat_sample.enterprise_id);
CREATE INDEX ecstat_response_item ON ecstat_response (survey_id, item, enterprise_id, amount);
`},
	// 5: the register summary the design reads its strata and frame totals
	// from (see regsum.go); a stratum's key looked up per survey; the
	// sample without foreign keys: it is written only by the draw, in the
	// transaction that holds the register lock, from the register's own
	// rows (enterprises are never deleted) and after the design row (whose
	// key checks the survey), and PostgreSQL's check of each of its
	// 190,000 rows at a million enterprises took most of the draw.
	{Version: 5, SQL: `
CREATE TABLE ecstat_register_cell (
	org_code TEXT NOT NULL,
	section TEXT NOT NULL,
	size TEXT NOT NULL,
	above_scale INTEGER NOT NULL,
	born_year INTEGER NOT NULL,
	closed_year INTEGER NOT NULL,
	city_code TEXT NOT NULL,
	units BIGINT NOT NULL,
	revenue BIGINT NOT NULL,
	revenue_sq TEXT NOT NULL,
	PRIMARY KEY (org_code, section, size, above_scale, born_year, closed_year)
);
CREATE UNIQUE INDEX ecstat_stratum_key ON ecstat_stratum (survey_id, skey);
CREATE TABLE ecstat_sample_v5 (
	survey_id BIGINT NOT NULL,
	enterprise_id BIGINT NOT NULL,
	h INTEGER NOT NULL,
	weight {{REAL}} NOT NULL,
	section TEXT NOT NULL,
	org_code TEXT NOT NULL,
	city_code TEXT NOT NULL,
	revenue BIGINT NOT NULL,
	PRIMARY KEY (survey_id, enterprise_id)
);
INSERT INTO ecstat_sample_v5 (survey_id, enterprise_id, h, weight, section, org_code, city_code, revenue)
	SELECT survey_id, enterprise_id, h, weight, section, org_code, city_code, revenue FROM ecstat_sample ORDER BY survey_id, enterprise_id;
DROP TABLE ecstat_sample;
ALTER TABLE ecstat_sample_v5 RENAME TO ecstat_sample;
`}}}

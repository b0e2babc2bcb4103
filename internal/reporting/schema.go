// Package reporting runs the reporting cycle over the monitoring data
// core: data sets (forms) assigned to kinds of unit with a period type and
// a due date, the approval workflow per (data set, unit, period) with
// approved data locked, validation rules, outlier detection, completeness
// and timeliness with reminders, progress of the plan's targets and the
// demo data set.
//
// Drafts live where all data lives: a form's values are written through
// monitor.SaveValues as soon as the reporter saves (DHIS2 style), and the
// approval row says how far they have gone (draft, submitted, returned,
// approved). One copy of every value means imports and forms agree,
// aggregates always match raw values, and completeness counts what is
// stored; approval locks the values through a monitor write hook.
package reporting

import "zhihui/internal/store"

// Schema owns the reporting tables.
//
//   - reporting_dataset: forms (elements, unit kinds, period type, due days).
//   - reporting_approval: workflow state per (data set, unit, period).
//   - reporting_rule, reporting_violation: validation rules and the
//     violations last found, kept fresh by every write.
//   - reporting_notification: in-app messages until migration 2, which
//     moved them into package notify's inbox (notify_message).
//   - reporting_meta: small key/value facts (demo data generated).
var Schema = store.Schema{Component: "reporting", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE reporting_dataset (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	period_type TEXT NOT NULL,
	org_kinds TEXT NOT NULL,
	due_days INTEGER NOT NULL,
	elements TEXT NOT NULL,
	updated_at {{TS}} NOT NULL);
CREATE TABLE reporting_approval (
	dataset TEXT NOT NULL,
	ou TEXT NOT NULL,
	ou_path TEXT {{C}} NOT NULL,
	pe TEXT NOT NULL,
	state TEXT NOT NULL,
	submitted_at {{TS}},
	submitted_by BIGINT NOT NULL DEFAULT 0,
	decided_at {{TS}},
	decided_by BIGINT NOT NULL DEFAULT 0,
	comment TEXT NOT NULL DEFAULT '',
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (dataset, pe, ou));
CREATE INDEX reporting_approval_path ON reporting_approval (dataset, pe, ou_path);
CREATE TABLE reporting_rule (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	left_expr TEXT NOT NULL,
	op TEXT NOT NULL,
	right_expr TEXT NOT NULL,
	importance TEXT NOT NULL,
	message_zh TEXT NOT NULL,
	message_en TEXT NOT NULL DEFAULT '',
	period_type TEXT NOT NULL,
	updated_at {{TS}} NOT NULL);
CREATE TABLE reporting_violation (
	rule_code TEXT NOT NULL,
	ou TEXT NOT NULL,
	ou_path TEXT {{C}} NOT NULL,
	pe TEXT NOT NULL,
	left_value {{REAL}} NOT NULL,
	right_value {{REAL}} NOT NULL,
	found_at {{TS}} NOT NULL,
	PRIMARY KEY (rule_code, pe, ou));
CREATE INDEX reporting_violation_path ON reporting_violation (ou_path);
CREATE TABLE reporting_notification (
	id {{ID}},
	user_id BIGINT NOT NULL,
	kind TEXT NOT NULL,
	text_zh TEXT NOT NULL,
	text_en TEXT NOT NULL DEFAULT '',
	link TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	read_at {{TS}});
CREATE INDEX reporting_notification_user ON reporting_notification (user_id, read_at);
CREATE TABLE reporting_meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL)`}, {Version: 2, SQL: `
INSERT INTO notify_message (user_id, kind, text_zh, text_en, link, created_at, read_at)
	SELECT user_id, 'reporting.' || kind, text_zh, text_en, link, created_at, read_at FROM reporting_notification ORDER BY id;
DROP TABLE reporting_notification`}}}

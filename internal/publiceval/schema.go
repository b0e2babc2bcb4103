// Package publiceval keeps public evaluation (公众评价, 政务服务“好差评”) of
// government websites, pages, information-disclosure items and services:
// ratings on five levels with reason tags and a comment, optionally bound
// to a case number and the rater's real name and phone; the case every
// 差评 opens for the responsible unit (first contact, triage,
// rectification within working days, the answer to the rater and the
// rater's satisfaction, appeals against malicious ratings); abuse flags
// (honeypot, bursts per address, network, device and phone) that mark
// ratings without dropping them; and monthly statistics kept in the same
// transaction as every change, equal to a recomputation from the ratings.
package publiceval

import "zhihui/internal/store"

// Schema owns the public evaluation tables.
//
// Version 2: the office's review of a flagged rating (review: "" not yet,
// "released" counted after all, its flags kept in review_flags; "abuse"
// confirmed).
//
// Version 3: publiceval_volume, the service cases (办件量) each service
// or disclosure target handled per month, entered or imported by the
// units; the 主动评价率 is computed from it (see [Counts.ActiveRate]).
//
// Version 4: publiceval_bulletin, the months whose bulletin (月度通报)
// was issued for a unit's subtree, so that the units are told once.
//
// Version 5: a timeline step's choice (code: the level of the bad
// rating, the triage, the rater's satisfaction, the overdue deadline)
// and the triage's deadline (due) are stored as codes and rendered in
// the reader's language; the actors nobody's account is ("公众 / public",
// "好差评超时提醒 / overdue alert", "月度通报 / monthly bulletin",
// "演示数据 / demo") become actor codes (@public …). Old rows are
// rewritten where their text is known; triage and call-back steps
// written before keep their Chinese text in body.
//
// Version 6: the triage and call-back (satisfaction) steps written before
// version 5 get their codes too: "限期整改 TEXT → 2026-03-10" becomes the
// code deadline, the deadline in due and TEXT in body; "满意 TEXT" and
// "不满意 TEXT" the codes satisfied and unsatisfied; a triage without a
// deadline was an appeal. Every step of the timeline is then rendered
// from codes in the reader's language.
//
// Version 7: when the office reviewed a flagged rating (reviewed_at;
// earlier reviews take their time from the audit log) and when an
// imported rating was recorded (recorded_at; NULL: when it was given,
// created_at), so that figures as of a past moment (the annual
// assessment's cut-off) leave out what was released or imported later.
//
// publiceval_month holds, per month (of the rating, Asia/Shanghai) and
// target, the sums of every rating's contribution (see [Contribution]);
// it is changed only together with the ratings and cases it sums.
var Schema = store.Schema{Component: "publiceval", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE publiceval_target (
	id {{ID}},
	tkey TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	url TEXT NOT NULL,
	site_id BIGINT,
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	demo BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{TS}} NOT NULL
);
CREATE INDEX publiceval_target_path ON publiceval_target (org_path);
CREATE TABLE publiceval_rating (
	id {{ID}},
	target_id BIGINT NOT NULL REFERENCES publiceval_target (id),
	org_path TEXT {{C}} NOT NULL,
	month TEXT NOT NULL,
	level INTEGER NOT NULL,
	tags TEXT NOT NULL,
	comment TEXT NOT NULL,
	case_no TEXT UNIQUE,
	rater_name TEXT NOT NULL,
	rater_phone TEXT NOT NULL,
	channel TEXT NOT NULL,
	ip TEXT NOT NULL,
	net TEXT NOT NULL,
	device TEXT NOT NULL,
	origin TEXT NOT NULL,
	flags TEXT NOT NULL,
	excluded BOOLEAN NOT NULL DEFAULT FALSE,
	external_id TEXT UNIQUE,
	demo BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{TS}} NOT NULL
);
CREATE INDEX publiceval_rating_target ON publiceval_rating (target_id, created_at);
CREATE INDEX publiceval_rating_ip ON publiceval_rating (ip, created_at);
CREATE INDEX publiceval_rating_net ON publiceval_rating (net, created_at);
CREATE INDEX publiceval_rating_device ON publiceval_rating (device, created_at);
CREATE INDEX publiceval_rating_phone ON publiceval_rating (rater_phone, created_at);
CREATE TABLE publiceval_case (
	id {{ID}},
	rating_id BIGINT NOT NULL UNIQUE REFERENCES publiceval_rating (id),
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	state TEXT NOT NULL,
	contact_due {{TS}} NOT NULL,
	contacted_at {{TS}},
	triage TEXT NOT NULL,
	rectify_due TEXT NOT NULL,
	answer TEXT NOT NULL,
	answered_at {{TS}},
	satisfaction TEXT NOT NULL,
	appeal_reason TEXT NOT NULL,
	appeal_decision TEXT NOT NULL,
	alerted TEXT NOT NULL,
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);
CREATE INDEX publiceval_case_path ON publiceval_case (org_path, state);
CREATE TABLE publiceval_event (
	id {{ID}},
	case_id BIGINT NOT NULL REFERENCES publiceval_case (id),
	at {{TS}} NOT NULL,
	kind TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	body TEXT NOT NULL
);
CREATE INDEX publiceval_event_case ON publiceval_event (case_id, id);
CREATE TABLE publiceval_month (
	month TEXT NOT NULL,
	target_id BIGINT NOT NULL REFERENCES publiceval_target (id),
	org_path TEXT {{C}} NOT NULL,
	total BIGINT NOT NULL,
	suspicious BIGINT NOT NULL,
	excluded BIGINT NOT NULL,
	l1 BIGINT NOT NULL,
	l2 BIGINT NOT NULL,
	l3 BIGINT NOT NULL,
	l4 BIGINT NOT NULL,
	l5 BIGINT NOT NULL,
	cases BIGINT NOT NULL,
	contacted BIGINT NOT NULL,
	rectified BIGINT NOT NULL,
	ontime BIGINT NOT NULL,
	satisfied BIGINT NOT NULL,
	PRIMARY KEY (month, target_id)
);
CREATE INDEX publiceval_month_path ON publiceval_month (org_path, month);
CREATE TABLE publiceval_setting (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE publiceval_published (
	month TEXT PRIMARY KEY,
	published_at {{TS}} NOT NULL,
	actor_name TEXT NOT NULL
);
`}, {Version: 2, SQL: `
ALTER TABLE publiceval_rating ADD COLUMN review TEXT NOT NULL DEFAULT '';
ALTER TABLE publiceval_rating ADD COLUMN review_flags TEXT NOT NULL DEFAULT '';
CREATE INDEX publiceval_rating_review ON publiceval_rating (org_path, review, created_at);
`}, {Version: 3, SQL: `
CREATE TABLE publiceval_volume (
	month TEXT NOT NULL,
	target_id BIGINT NOT NULL REFERENCES publiceval_target (id),
	org_path TEXT {{C}} NOT NULL,
	handled BIGINT NOT NULL,
	demo BOOLEAN NOT NULL DEFAULT FALSE,
	actor_name TEXT NOT NULL,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (month, target_id)
);
CREATE INDEX publiceval_volume_path ON publiceval_volume (org_path, month);
`}, {Version: 4, SQL: `
CREATE TABLE publiceval_bulletin (
	month TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	issued_at {{TS}} NOT NULL,
	actor_name TEXT NOT NULL,
	PRIMARY KEY (month, org_path)
);
`}, {Version: 5, SQL: `
ALTER TABLE publiceval_event ADD COLUMN code TEXT NOT NULL DEFAULT '';
ALTER TABLE publiceval_event ADD COLUMN due TEXT NOT NULL DEFAULT '';
UPDATE publiceval_event SET code = CASE body WHEN '非常不满意' THEN '1' WHEN '不满意' THEN '2' WHEN '基本满意' THEN '3' WHEN '满意' THEN '4' WHEN '非常满意' THEN '5' ELSE '' END WHERE kind = 'open';
UPDATE publiceval_event SET body = '' WHERE kind = 'open' AND code <> '';
UPDATE publiceval_event SET code = 'contact', body = '' WHERE kind = 'overdue' AND body = '已超过首次联系时限 / past the first-contact deadline';
UPDATE publiceval_event SET code = 'rectify', body = '' WHERE kind = 'overdue' AND body = '已超过整改时限 / past the rectification deadline';
UPDATE publiceval_event SET actor_name = '@public' WHERE actor_name = '公众 / public';
UPDATE publiceval_event SET actor_name = '@overdue_alert' WHERE actor_name = '好差评超时提醒 / overdue alert';
UPDATE publiceval_event SET actor_name = '@demo' WHERE actor_name = '演示数据 / demo';
UPDATE publiceval_volume SET actor_name = '@demo' WHERE actor_name = '演示数据 / demo';
UPDATE publiceval_published SET actor_name = '@demo' WHERE actor_name = '演示数据 / demo';
UPDATE publiceval_bulletin SET actor_name = '@bulletin' WHERE actor_name = '月度通报 / monthly bulletin';
`}, {Version: 6, SQL: `
UPDATE publiceval_event SET code = 'immediate', due = SUBSTR(body, LENGTH(body) - 9), body = SUBSTR(body, 6, LENGTH(body) - 18) WHERE kind = 'triage' AND code = '' AND body LIKE '立行立改 % → ____-__-__';
UPDATE publiceval_event SET code = 'deadline', due = SUBSTR(body, LENGTH(body) - 9), body = SUBSTR(body, 6, LENGTH(body) - 18) WHERE kind = 'triage' AND code = '' AND body LIKE '限期整改 % → ____-__-__';
UPDATE publiceval_event SET code = 'explain', due = SUBSTR(body, LENGTH(body) - 9), body = SUBSTR(body, 6, LENGTH(body) - 18) WHERE kind = 'triage' AND code = '' AND body LIKE '解释说明 % → ____-__-__';
UPDATE publiceval_event SET code = 'appeal' WHERE kind = 'triage' AND code = '';
UPDATE publiceval_event SET code = 'satisfied', body = SUBSTR(body, 4) WHERE kind = 'satisfaction' AND code = '' AND (body = '满意' OR body LIKE '满意 %');
UPDATE publiceval_event SET code = 'unsatisfied', body = SUBSTR(body, 5) WHERE kind = 'satisfaction' AND code = '' AND (body = '不满意' OR body LIKE '不满意 %');
`}, {Version: 7, SQL: `
ALTER TABLE publiceval_rating ADD COLUMN reviewed_at {{TS}};
ALTER TABLE publiceval_rating ADD COLUMN recorded_at {{TS}};
UPDATE publiceval_rating SET reviewed_at = COALESCE((SELECT MAX(a.at) FROM audit_log a WHERE a.entity = 'publiceval_rating'
	AND a.entity_id = CAST(publiceval_rating.id AS TEXT) AND a.action IN ('release', 'confirm_abuse')), created_at) WHERE review <> '';
`}}}

// Package supervise keeps task supervision (督查督办) and the annual target
// assessment (年度目标考核): work items decomposed from the plan's tasks and
// issued to responsible units, their progress reports, extension requests,
// returns and closing, each step on the item's timeline and in the audit
// log; status lights computed from dates and progress; and scores per unit
// computed from the items under a scoring scheme kept as data.
package supervise

import "zhihui/internal/store"

// Schema owns the supervision tables. Dates without a time (start, due,
// milestone, closing) are stored as YYYY-MM-DD text in Asia/Shanghai.
var Schema = store.Schema{Component: "supervise", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE supervise_item (
	id {{ID}},
	batch_id BIGINT,
	year INTEGER NOT NULL,
	task_id TEXT NOT NULL,
	section TEXT NOT NULL,
	title TEXT NOT NULL,
	lead_code TEXT NOT NULL,
	unit_code TEXT NOT NULL,
	unit_path TEXT {{C}} NOT NULL,
	unit_kind TEXT NOT NULL,
	assist TEXT NOT NULL,
	deliverables TEXT NOT NULL,
	milestones TEXT NOT NULL,
	targets TEXT NOT NULL,
	cadence TEXT NOT NULL,
	start_on TEXT NOT NULL,
	due_on TEXT NOT NULL,
	original_due_on TEXT NOT NULL,
	due_days INTEGER NOT NULL,
	stage TEXT NOT NULL,
	percent INTEGER NOT NULL,
	extension_pending TEXT NOT NULL,
	closed_on TEXT NOT NULL,
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);
CREATE INDEX supervise_item_path ON supervise_item (unit_path);
CREATE INDEX supervise_item_year ON supervise_item (year, stage);
CREATE TABLE supervise_event (
	id {{ID}},
	item_id BIGINT NOT NULL REFERENCES supervise_item (id),
	at {{TS}} NOT NULL,
	kind TEXT NOT NULL,
	actor_id BIGINT NOT NULL,
	actor_name TEXT NOT NULL,
	body TEXT NOT NULL,
	percent INTEGER NOT NULL,
	due_before TEXT NOT NULL,
	due_after TEXT NOT NULL
);
CREATE INDEX supervise_event_item ON supervise_event (item_id, id);
CREATE TABLE supervise_attachment (
	id {{ID}},
	event_id BIGINT NOT NULL REFERENCES supervise_event (id),
	item_id BIGINT NOT NULL REFERENCES supervise_item (id),
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data {{BLOB}} NOT NULL
);
CREATE INDEX supervise_attachment_item ON supervise_attachment (item_id);
`}, {Version: 2, SQL: `
CREATE TABLE supervise_publication (
	year INTEGER NOT NULL,
	grp TEXT NOT NULL,
	version INTEGER NOT NULL,
	state TEXT NOT NULL,
	published_at {{TS}} NOT NULL,
	published_by TEXT NOT NULL,
	appeal_until TEXT NOT NULL,
	final_at {{TS}},
	result TEXT NOT NULL,
	PRIMARY KEY (year, grp, version)
);
CREATE TABLE supervise_adjustment (
	id {{ID}},
	year INTEGER NOT NULL,
	grp TEXT NOT NULL,
	unit_code TEXT NOT NULL,
	unit_path TEXT {{C}} NOT NULL,
	points {{REAL}} NOT NULL,
	reason TEXT NOT NULL,
	evidence TEXT NOT NULL,
	appeal_id BIGINT NOT NULL,
	actor_id BIGINT NOT NULL,
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL
);
CREATE INDEX supervise_adjustment_year ON supervise_adjustment (year, grp, unit_code);
CREATE TABLE supervise_appeal (
	id {{ID}},
	year INTEGER NOT NULL,
	grp TEXT NOT NULL,
	unit_code TEXT NOT NULL,
	unit_path TEXT {{C}} NOT NULL,
	text TEXT NOT NULL,
	actor_id BIGINT NOT NULL,
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL,
	state TEXT NOT NULL,
	decision TEXT NOT NULL,
	decided_by TEXT NOT NULL,
	decided_at {{TS}}
);
CREATE INDEX supervise_appeal_year ON supervise_appeal (year, grp, state);
`}, {Version: 3, SQL: `
CREATE TABLE supervise_scheme (
	id {{ID}},
	yaml TEXT NOT NULL,
	saved_by TEXT NOT NULL,
	saved_at {{TS}} NOT NULL
);
`}, {Version: 4, SQL: `
ALTER TABLE supervise_event ADD COLUMN body_en TEXT NOT NULL DEFAULT '';
UPDATE supervise_event SET body = '距办结时限不足，请抓紧办理', body_en = 'the deadline is close'
	WHERE body = '距办结时限不足，请抓紧办理 / the deadline is close';
UPDATE supervise_event SET body = '已超过办结时限，请尽快办结', body_en = 'past its deadline'
	WHERE body = '已超过办结时限，请尽快办结 / past its deadline';
UPDATE supervise_event SET actor_name = '督查督办提醒' WHERE actor_name = '督查督办提醒 / supervision reminder';
`}}}

// Package project keeps the portfolio of government-funded IT projects
// (财政投资信息化项目分级管理, §7.1 of the plan): projects registered by their
// owner units with exact amounts in 万元, their way through the stage gates
// (项目建议书 … 后评价) along a path chosen by amount, level and category,
// the documents of each gate, rule checks and decisions with reasons; the
// catalogue of existing information systems; the similarity of a new
// proposal with what already exists (duplicate construction); and the
// expert committee (§7.5): a pool of experts, panels drawn at random from
// a recorded seed avoiding conflicts of interest, and their scores. Every
// step is audited and shown on the project's timeline.
package project

import "zhihui/internal/store"

// Schema owns the project tables. Amounts are whole 元 (万元 with four
// decimals), never floats.
var Schema = store.Schema{Component: "project", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE project_project (
	id {{ID}},
	number TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	owner_code TEXT NOT NULL,
	owner_path TEXT {{C}} NOT NULL,
	owner_name TEXT NOT NULL,
	level TEXT NOT NULL,
	category TEXT NOT NULL,
	funding TEXT NOT NULL,
	year INTEGER NOT NULL,
	{{EXACT estimate}},
	budget BIGINT,
	final_account BIGINT,
	approved_estimate BIGINT,
	summary TEXT NOT NULL,
	content TEXT NOT NULL,
	functions TEXT NOT NULL,
	route TEXT NOT NULL,
	stage TEXT NOT NULL,
	status TEXT NOT NULL,
	systems TEXT NOT NULL,
	demo INTEGER NOT NULL,
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);
CREATE INDEX project_project_owner ON project_project (owner_path);
CREATE INDEX project_project_stage ON project_project (stage, status);
CREATE TABLE project_event (
	id {{ID}},
	project_id BIGINT NOT NULL REFERENCES project_project (id),
	at {{TS}} NOT NULL,
	kind TEXT NOT NULL,
	stage TEXT NOT NULL,
	actor_id BIGINT NOT NULL,
	actor_name TEXT NOT NULL,
	body TEXT NOT NULL
);
CREATE INDEX project_event_project ON project_event (project_id, id);
CREATE TABLE project_document (
	id {{ID}},
	project_id BIGINT NOT NULL REFERENCES project_project (id),
	stage TEXT NOT NULL,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data {{BLOB}} NOT NULL,
	actor_name TEXT NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_document_project ON project_document (project_id);
CREATE TABLE project_system (
	id {{ID}},
	owner_code TEXT NOT NULL,
	owner_path TEXT {{C}} NOT NULL,
	owner_name TEXT NOT NULL,
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	data_resources TEXT NOT NULL,
	{{EXACT om_cost}},
	mlps_level INTEGER NOT NULL,
	demo INTEGER NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_system_owner ON project_system (owner_path);
CREATE TABLE project_expert (
	id {{ID}},
	name TEXT NOT NULL,
	fields TEXT NOT NULL,
	employer TEXT NOT NULL,
	employer_code TEXT NOT NULL,
	region TEXT NOT NULL,
	conflicts TEXT NOT NULL,
	account TEXT NOT NULL,
	available INTEGER NOT NULL,
	demo INTEGER NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_expert_account ON project_expert (account);
CREATE TABLE project_review (
	id {{ID}},
	project_id BIGINT NOT NULL REFERENCES project_project (id),
	stage TEXT NOT NULL,
	field TEXT NOT NULL,
	size INTEGER NOT NULL,
	seed BIGINT NOT NULL,
	candidates TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_review_project ON project_review (project_id);
CREATE TABLE project_seat (
	id {{ID}},
	review_id BIGINT NOT NULL REFERENCES project_review (id),
	expert_id BIGINT NOT NULL REFERENCES project_expert (id),
	position INTEGER NOT NULL,
	score INTEGER,
	opinion TEXT NOT NULL,
	scored_at {{TS}}
);
CREATE INDEX project_seat_review ON project_seat (review_id);
CREATE INDEX project_seat_expert ON project_seat (expert_id);
`}, {Version: 2, SQL: `
CREATE TABLE project_rating (
	id {{ID}},
	project_id BIGINT NOT NULL REFERENCES project_project (id),
	rating INTEGER NOT NULL,
	comment TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL
);
CREATE INDEX project_rating_project ON project_rating (project_id, id);
ALTER TABLE project_project ADD COLUMN risk INTEGER NOT NULL DEFAULT 0;
`}, {Version: 3, SQL: `
CREATE TABLE project_signature (
	kind TEXT NOT NULL,
	ref_id BIGINT NOT NULL,
	owner_code TEXT NOT NULL,
	owner_path TEXT {{C}} NOT NULL,
	sketch {{BLOB}} NOT NULL,
	functions TEXT NOT NULL,
	resources TEXT NOT NULL,
	systems TEXT NOT NULL,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (kind, ref_id)
);
CREATE INDEX project_signature_owner ON project_signature (owner_path);
CREATE TABLE project_bucket (
	bucket BIGINT NOT NULL,
	kind TEXT NOT NULL,
	ref_id BIGINT NOT NULL
);
CREATE INDEX project_bucket_key ON project_bucket (bucket);
CREATE INDEX project_bucket_ref ON project_bucket (kind, ref_id);
`}, {Version: 4, SQL: `
CREATE TABLE project_baseline (
	id {{ID}},
	project_id BIGINT NOT NULL REFERENCES project_project (id),
	version INTEGER NOT NULL,
	start_date TEXT NOT NULL,
	end_date TEXT NOT NULL,
	cost BIGINT NOT NULL,
	milestones TEXT NOT NULL,
	reason TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL,
	UNIQUE (project_id, version)
);
CREATE TABLE project_progress (
	project_id BIGINT PRIMARY KEY REFERENCES project_project (id),
	body TEXT NOT NULL,
	at {{TS}} NOT NULL
);
CREATE TABLE project_action (
	id {{ID}},
	project_id BIGINT NOT NULL REFERENCES project_project (id),
	plan TEXT NOT NULL,
	review_due TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL,
	review TEXT NOT NULL,
	reviewed_by TEXT NOT NULL,
	reviewed_at {{TS}}
);
CREATE INDEX project_action_project ON project_action (project_id, id);
CREATE TABLE project_setting (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
ALTER TABLE project_project ADD COLUMN stale_notified_at {{TS}};
`}}}

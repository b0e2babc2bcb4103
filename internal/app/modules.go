package app

import (
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/module"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/upload"
	webcalendar "zhihui/internal/web/calendar"
	webcalls "zhihui/internal/web/calls"
	webecstat "zhihui/internal/web/ecstat"
	webevaluate "zhihui/internal/web/evaluate"
	webjobs "zhihui/internal/web/jobs"
	webmonitor "zhihui/internal/web/monitor"
	webnotify "zhihui/internal/web/notify"
	webplan "zhihui/internal/web/plan"
	webproject "zhihui/internal/web/project"
	webpubliceval "zhihui/internal/web/publiceval"
	webreporting "zhihui/internal/web/reporting"
	websupervise "zhihui/internal/web/supervise"
	webwebcheck "zhihui/internal/web/webcheck"
)

// Modules lists Zhihui's feature modules, once, in dependency order: a
// module's tables are created after those of the modules before it.
// Schemas, Bootstrap, LoadDemo, the server's routes and menu, the OpenAPI
// document and the authorization matrix's route check all follow this
// list. Adding a module is one line here (see docs/architecture.md).
func Modules() []module.Module {
	return []module.Module{
		webcalendar.Module(),
		webnotify.Module(),
		webplan.Module(),
		webevaluate.Module(),
		webmonitor.Module(),
		webreporting.Module(),
		webwebcheck.Module(),
		webjobs.Module(),
		websupervise.Module(),
		webproject.Module(),
		webcalls.Module(),
		webpubliceval.Module(),
		webecstat.Module(),
	}
}

// coreSchemas are the tables every module builds on: org units, the audit
// log, accounts, uploads waiting for an import's confirmation, the
// notification inbox.
func coreSchemas() []store.Schema {
	return []store.Schema{orgunit.Schema, audit.Schema, auth.Schema, upload.Schema, notify.Schema}
}

// Schemas lists every table, core first, then Modules in order.
func Schemas() []store.Schema { return SchemasOf(Modules()) }

// SchemasOf lists the core's tables followed by those of mods.
func SchemasOf(mods []module.Module) []store.Schema {
	return append(coreSchemas(), module.Schemas(mods)...)
}

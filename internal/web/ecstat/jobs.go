package ecstat

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"zhihui/internal/calendar"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
)

// jobsOf registers the reminder job: hourly (and at start), and enqueued
// when the office sets a survey's deadline.
func jobsOf(r *jobs.Registry, env module.JobEnv) {
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[dom.RemindArgs]) error {
		n, err := dom.Remind(ctx, env.DB, time.Now(), calendar.Default())
		if err == nil && n > 0 {
			env.Log.Info("survey reminders", "enterprises", n)
		}
		return err
	})
	r.Every("ecstat_remind", time.Hour, true, func() (jobs.Args, *jobs.InsertOpts) {
		return dom.RemindArgs{}, &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByPeriod: time.Hour}}
	})
}

// formAuthzCases are the rows of the form editor and the schedule: both
// write for an office of the province only.
func formAuthzCases() []module.AuthzCase {
	const see, un, ok = http.StatusSeeOther, http.StatusUnauthorized, http.StatusOK
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/surveys/{id}/form", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey-draw") + "/form", nil
		}, Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /ecstat/surveys/{id}/form", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/surveys/" + id(f, "survey-draw") + "/form", url.Values{"item_code_0": {"ECOM_SALES"}, "item_name_0": {"电子商务销售额"}, "item_kind_0": {"money"}, "item_required_0": {"1"}}
		}, Want: province(un)},
		{Pattern: "POST /ecstat/surveys/{id}/schedule", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/surveys/" + id(f, "survey") + "/schedule", url.Values{"deadline": {"2016-03-31"}, "remind_days": {"3"}}
		}, Want: province(un)},
	}
}

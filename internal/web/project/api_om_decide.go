package project

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"zhihui/internal/cli"

	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// omDecisionFields are the fields of the office's O&M decision.
var omDecisionFields = []string{"decision", "approved", "reason"}

// omDecision is the office's decision on an O&M request as the page's
// form and the API give it: approve or cut, the amount granted (万元) for a
// cut, and the reason.
type omDecision struct {
	Decision string
	Approved *dom.Money
	Reason   string
}

// omDecisionOf reads an O&M decision.
func omDecisionOf(v url.Values) (omDecision, error) {
	amount, err := optWan(v, "approved")
	return omDecision{Decision: v.Get("decision"), Approved: amount, Reason: v.Get("reason")}, err
}

func (h handlers) apiOMDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, omDecisionFields...)
	if err != nil {
		return err
	}
	d, err := omDecisionOf(v)
	if err == nil {
		err = h.svc.ReviewOM(r.Context(), kit.Actor(r), scopes(r, Offices), id, d.Decision, d.Approved, d.Reason)
	}
	if err != nil {
		return refuse(err)
	}
	x, err := h.svc.GetOM(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"request": x})
}

// omDecide is `projects om decide ID`: the office's decision as the API
// gives it.
func omDecide(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects om decide")
	decision := fs.String("decision", "", "approve or cut")
	approved := fs.String("approved", "", "the amount granted, 万元 (exact decimal; required for a cut)")
	reason := fs.String("reason", "", "the reason (required for a cut)")
	lang := fs.String("lang", "zh-CN", "language of the flags' reasons: zh-CN or en")
	asJSON := fs.Bool("json", false, "print the request as JSON as the API does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	var id int64
	if len(pos) == 1 {
		id, _ = strconv.ParseInt(pos[0], 10, 64)
	}
	if id <= 0 {
		return errors.New("usage: zhihui projects om decide ID --decision approve|cut [--approved WAN] [--reason R] [--as USER]")
	}
	v := url.Values{"decision": {*decision}, "approved": {*approved}, "reason": {*reason}}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := dom.New(a.DB)
	d, err := omDecisionOf(v)
	if err == nil {
		err = svc.ReviewOM(ctx, as.A, as.P.Scopes(Offices...), id, d.Decision, d.Approved, d.Reason)
	}
	if ue, ok := asUserError(err); ok && ue.Field != "" {
		return fmt.Errorf("--%s: %w", ue.Field, err)
	}
	if err != nil {
		return outside(as, err)
	}
	x, err := svc.GetOM(ctx, as.P.Scopes(Viewers...), id)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"request": x})
	}
	return printOM([]*dom.OMRequest{x}, *lang)
}

// Package plans embeds the plan documents (plans/*.yaml) that package
// [zhihui/internal/plan] loads: goals, targets and tasks of the provincial
// informatization plan, each with a reference to the section of the
// source text it comes from.
package plans

import "embed"

// FS holds every *.yaml file of this directory.
//
//go:embed *.yaml
var FS embed.FS

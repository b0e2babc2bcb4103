package evalstore

import (
	"sync"

	"zhihui/internal/orgunit"
)

// Regions returns Henan's 18 city-level units (the 17 prefecture-level
// cities and 济源市, 419001, directly under the province) and its 181
// county-level units, with their paths, from the embedded divisions: the
// units the regional indices rank. The slices are shared: do not modify
// them.
func Regions() ([]orgunit.Unit, []orgunit.Unit, error) {
	u, err := regionUnits()
	return u[0], u[1], err
}

var regionUnits = sync.OnceValues(func() ([2][]orgunit.Unit, error) {
	all, err := orgunit.Divisions()
	if err != nil {
		return [2][]orgunit.Unit{}, err
	}
	var cities, counties []orgunit.Unit
	for _, u := range all {
		switch u.Level {
		case 2:
			u.Path = "/41/" + u.Code + "/"
		case 3:
			u.Path = "/41/" + u.Parent + "/" + u.Code + "/"
		}
		switch {
		case u.Level == 2 && u.Code != "4190":
			cities = append(cities, u)
		case u.Level == 3:
			counties = append(counties, u)
			if u.Code == "419001" {
				cities = append(cities, u)
			}
		}
	}
	return [2][]orgunit.Unit{cities, counties}, nil
})

package evaluate

import "strconv"

func fmtG(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// Package evaluate is the composite index engine of Zhihui.
//
// A composite index is described as data (a [Framework], usually loaded from
// YAML): a tree of nodes (index → sub-indices → … ) whose leaves are
// indicators. Each indicator carries its direction, unit, optional transform
// (log, per-capita through a denominator series), normalisation and weight;
// each node carries its weighting method (explicit, equal, AHP, entropy, PCA,
// budget allocation) and its aggregation (arithmetic, geometric, Copeland).
//
// [Run] treats the data (missing values, outliers), normalises, weights and
// aggregates a [Dataset] and returns scores, ranks, contributions,
// year-on-year change and target comparison at every level of the tree.
// [MonteCarlo] propagates uncertainty in weights, normalisation, aggregation
// and indicator selection into rank intervals and first-order sensitivity
// indices.
//
// The methods follow the OECD/JRC Handbook on Constructing Composite
// Indicators (2008) and JRC's COINr; where a choice had to be made it is
// written next to the code that makes it.
//
// The package also ships built-in frameworks (see [Builtin]): the ITU ICT
// Development Index 2017, a regional two-integration (两化融合) index, a city
// informatization development index, and the enterprise self-assessment
// questionnaire after GB/T 23020-2013 ([ScoreEnterprise]).
package evaluate

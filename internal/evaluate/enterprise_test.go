package evaluate

import (
	"errors"
	"testing"

	"zhihui/internal/i18n"
)

func answersAll(v map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, d := range EnterpriseQuestionnaire().Dimensions {
		for _, q := range d.Questions {
			out[q.ID] = v[EnterpriseQuestionnaire().Scales[q.Scale].Type+":"+q.Scale]
		}
	}
	return out
}

func TestScoreEnterprise(t *testing.T) {
	q := EnterpriseQuestionnaire()
	if len(q.Dimensions) != 6 || len(q.Stages) != 4 {
		t.Fatalf("questionnaire shape %d dims %d stages", len(q.Dimensions), len(q.Stages))
	}
	for _, d := range q.Dimensions {
		for _, qu := range d.Questions {
			if qu.Name.Zh == "" || qu.Name.En == "" {
				t.Fatalf("question %s lacks a translation", qu.ID)
			}
		}
	}
	best := answersAll(map[string]float64{"choice:level": 4, "choice:yesno": 1, "number:percent": 100, "number:growth": 20})
	r, err := ScoreEnterprise(EnterpriseAnswers{Enterprise: "E1", Answers: best})
	if err != nil || r.Score != 100 || r.Stage.ID != "innovation" {
		t.Fatalf("best: %+v %v", r, err)
	}
	worst := answersAll(map[string]float64{"choice:level": 0, "choice:yesno": 0, "number:percent": 0, "number:growth": -10})
	r, err = ScoreEnterprise(EnterpriseAnswers{Enterprise: "E2", Answers: worst})
	if err != nil || r.Score != 0 || r.Stage.ID != "startup" {
		t.Fatalf("worst: %+v %v", r, err)
	}
	// hand-worked: all "level" answers 2 (0.5), yes/no 1, percents 50 (0.5), growth 5 (0.5)
	// → every dimension 50 except infrastructure (B4 yes: (0.5+0.5+0.5+1)/4 = 62.5)
	// and collaboration (C3 yes: (0.5+0.5+1)/3 = 66.67); overall =
	// (15·62.5 + 25·50 + 20·50 + 15·66.667 + 12.5·50 + 12.5·50)/100 = 54.375
	mid := answersAll(map[string]float64{"choice:level": 2, "choice:yesno": 1, "number:percent": 50, "number:growth": 5})
	r, err = ScoreEnterprise(EnterpriseAnswers{Enterprise: "E3", Industry: "C39", City: "4101", Answers: mid})
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.Score, 54.375, 1e-9) || r.Stage.ID != "coverage" {
		t.Fatalf("mid: %v %s", r.Score, r.Stage.ID)
	}
	if len(r.Strengths) != 2 || r.Strengths[0] != "collaboration" || r.Strengths[1] != "infrastructure" {
		t.Fatalf("strengths %v", r.Strengths)
	}
	if len(r.Weaknesses) != 2 {
		t.Fatalf("weaknesses %v", r.Weaknesses)
	}
	var e *i18n.Error
	delete(mid, "S1")
	if _, err := ScoreEnterprise(EnterpriseAnswers{Enterprise: "E", Answers: mid}); !errors.As(err, &e) || e.Code != "unanswered" || e.Place != "S1" {
		t.Fatalf("unanswered: %v", err)
	}
	mid["S1"] = 7
	if _, err := ScoreEnterprise(EnterpriseAnswers{Enterprise: "E", Answers: mid}); !errors.As(err, &e) || e.Code != "bad_answer" {
		t.Fatalf("bad option: %v", err)
	}
	mid["S1"] = 2
	mid["Z9"] = 1
	if _, err := ScoreEnterprise(EnterpriseAnswers{Enterprise: "E", Answers: mid}); !errors.As(err, &e) || e.Code != "unknown_question" {
		t.Fatalf("unknown question: %v", err)
	}
}

func TestBenchmarkEnterprise(t *testing.T) {
	mk := func(id, ind string, score float64) *EnterpriseResult {
		return &EnterpriseResult{Enterprise: id, Industry: ind, City: "4101", Score: score,
			Dimensions: []DimensionScore{{ID: "infrastructure", Score: Value(score)}}}
	}
	me := mk("ME", "C39", 60)
	all := []*EnterpriseResult{me, mk("A", "C39", 40), mk("B", "C39", 60), mk("C", "C39", 80), mk("D", "C39", 50), mk("X", "C26", 10)}
	b, err := BenchmarkEnterprise(me, all, "industry")
	if err != nil {
		t.Fatal(err)
	}
	// peers 40, 60, 80, 50: below 2, equal 1 → (2 + 0.5)/4 = 62.5 %; median (50+60)/2
	if b.Peers != 4 || b.Percentile != 62.5 || b.Median != 55 || b.Dimensions["infrastructure"] != 62.5 {
		t.Fatalf("%+v", b)
	}
	b, err = BenchmarkEnterprise(me, all, "city")
	if err != nil || b.Peers != 5 {
		t.Fatalf("city: %+v %v", b, err)
	}
	if _, err := BenchmarkEnterprise(mk("Y", "C10", 1), all, "industry"); err == nil {
		t.Fatal("no peers must be an error")
	}
}

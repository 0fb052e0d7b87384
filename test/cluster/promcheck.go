package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// checkPrometheus parses stdin as Prometheus text exposition with the
// Prometheus project's own parser (an independent check of vipctl's output)
// and prints {"families":{"name":{"type":"COUNTER","samples":N}}}.
func checkPrometheus() error {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(os.Stdin)
	if err != nil {
		return fmt.Errorf("invalid exposition: %w", err)
	}
	type fam struct {
		Type    string `json:"type"`
		Samples int    `json:"samples"`
	}
	out := map[string]fam{}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out[n] = fam{Type: fams[n].GetType().String(), Samples: len(fams[n].GetMetric())}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"families": out})
}

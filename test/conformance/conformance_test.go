// Package vipctlconformance runs the upstream Gateway API conformance suite, unmodified, against vipctl in the lab
// that `npm run conformance` starts (scripts/conformance.ts): the suite's own flags come after -args.
package vipctlconformance

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}

//go:build tools

// echo-basic, the suite's backend program, is built from this module too (scripts/lab-build.sh echo-basic); this
// import keeps it in go.mod and go.sum.
package vipctlconformance

import _ "sigs.k8s.io/gateway-api/conformance/echo-basic"

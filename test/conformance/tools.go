//go:build tools

// The conformance suite's backend program, built from the module this go.mod pins (never a copy of its source).
package tools

import _ "sigs.k8s.io/gateway-api/conformance/echo-basic"

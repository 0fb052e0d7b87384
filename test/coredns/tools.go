//go:build tools

// CoreDNS, which the Gateway API conformance suite's base manifests deploy (the lab runs it for that image), built
// from the module this go.mod pins at the version the manifests name (scripts/lab-build.sh coredns).
package coredns

import _ "github.com/coredns/coredns"

/**
 * The message catalog: every diagnostic vipctl emits has a stable code here,
 * with its severity, title and fix hint. Codes are never reused or renumbered;
 * retired codes stay listed as retired.
 *
 * VIP1xxx: input (manifests, API objects)   VIP2xxx: model (routes, pools, VIPs)
 * VIP3xxx: targets                           VIP4xxx: check analyzers
 * VIP5xxx: migrate                           VIP6xxx: Gateway API (attachment, references, support)
 */
import type {Severity} from './diagnostic.js'

export interface CatalogEntry {
  code: string
  severity: Severity
  title: string
  hint: string
}

const entries: CatalogEntry[] = [
  {code: 'VIP1001', severity: 'error', title: 'Invalid field', hint: 'Fix the field named in the message; the object was left out.'},
  {code: 'VIP1002', severity: 'error', title: 'Forbidden key', hint: 'Remove prototype keys (__proto__, constructor, prototype) and excessive nesting.'},
  {code: 'VIP1003', severity: 'error', title: 'Unknown apiVersion', hint: 'An apiVersion of a kind vipctl reads that neither Kubernetes nor vipctl knows (a typo?); the object is not read. Other kinds are skipped without a finding.'},
  {code: 'VIP1006', severity: 'error', title: 'Removed apiVersion', hint: 'The API server no longer serves this apiVersion; rewrite the object in the one the message names.'},
  {code: 'VIP1007', severity: 'warning', title: 'Kustomization not built', hint: 'vipctl reads manifests as they are; a kustomization\'s patches and generators are not applied. Check what kustomize builds: kubectl kustomize DIR | vipctl check -f -.'},
  {code: 'VIP1005', severity: 'warning', title: 'Object not readable', hint: 'The account vipctl runs as cannot read this (403); grant it get (Secrets: by name) or list/watch, or run without it.'},
  {code: 'VIP1004', severity: 'error', title: 'Duplicate object', hint: 'Each kind/namespace/name may be defined once across all inputs.'},
  {code: 'VIP2001', severity: 'error', title: 'Backend Service missing', hint: 'Create the Service or fix backend.service.name.'},
  {code: 'VIP2002', severity: 'error', title: 'Service port missing', hint: 'Use a port name or number the Service declares.'},
  {code: 'VIP2003', severity: 'error', title: 'Value not allowed', hint: 'The value has characters this field does not allow; the rule was left out of the config.'},
  {code: 'VIP2004', severity: 'error', title: 'TLS Secret missing or unusable', hint: 'Create a kubernetes.io/tls Secret in the Ingress namespace: tls.crt the certificates (leaf first, then its issuers), tls.key the leaf key; the message says what is wrong.'},
  {code: 'VIP2005', severity: 'error', title: 'No VIP', hint: 'Set the vipctl.io/vip annotation, pass --vip, or pass --vip-pool to allocate one.'},
  {code: 'VIP2006', severity: 'warning', title: 'Invalid annotation value', hint: 'See the annotation list in the README; the default was used.'},
  {code: 'VIP2007', severity: 'error', title: 'VIP port conflict', hint: 'Two objects claim the same VIP:port with different protocols or backends; give one another VIP or port.'},
  {code: 'VIP2008', severity: 'warning', title: 'Default backend conflict', hint: 'Only one default backend per VIP:port is used: the oldest object\'s (creationTimestamp, then namespace/name).'},
  {code: 'VIP2009', severity: 'info', title: 'ImplementationSpecific path treated as Prefix', hint: 'Use pathType Prefix or Exact to say what you mean.'},
  {code: 'VIP2010', severity: 'warning', title: 'Duplicate host and path', hint: 'Two rules claim the same host, path and pathType; the oldest object (creationTimestamp, then namespace/name) keeps it. Rename the path or host of the newer one, or remove one.'},
  {code: 'VIP2011', severity: 'warning', title: 'Endpoint address rejected', hint: 'EndpointSlice addresses must be unicast IPs.'},
  {code: 'VIP3001', severity: 'warning', title: 'Not supported by the target', hint: 'This target cannot serve the frontend (e.g. UDP on HAProxy); it was left out.'},
  {code: 'VIP3002', severity: 'warning', title: 'Proxy not reachable', hint: 'Start HAProxy or check --stats-socket; the comparison used the files only.'},
  {code: 'VIP3003', severity: 'error', title: 'Target limit exceeded', hint: 'The target cannot express this route within its limits (e.g. NetScaler expressions of at most 1,499 characters); it was left out.'},
  {code: 'VIP4001', severity: 'warning', title: 'No controller owns the Ingress', hint: 'Set spec.ingressClassName to an IngressClass whose controller is vipctl.io/ingress-controller (or another existing class).'},
  {code: 'VIP4002', severity: 'info', title: 'Ingress not served by vipctl', hint: 'Its class (or the default class, for one without) is another controller\'s; pass --ingress-class to serve that class with vipctl.'},
  {code: 'VIP4010', severity: 'error', title: 'Selector matches no Pod', hint: 'Fix spec.selector or the Pod labels; the Service has no endpoints.'},
  {code: 'VIP4011', severity: 'error', title: 'No ready Pod', hint: 'Pods match but none is ready; see each Pod\'s Ready condition.'},
  {code: 'VIP4012', severity: 'warning', title: 'Service without selector or endpoints', hint: 'A Service without a selector needs EndpointSlices written by someone.'},
  {code: 'VIP4013', severity: 'error', title: 'Named targetPort not declared', hint: 'Declare the port name in a container of the selected Pods, or use a number.'},
  {code: 'VIP4014', severity: 'info', title: 'No default backend', hint: 'Requests for this host outside the listed paths get 404; add a / rule or spec.defaultBackend if that is not intended.'},
  {code: 'VIP4015', severity: 'warning', title: 'Workload scaled to zero', hint: 'The only workload the Service selects asks for no Pods (replicas: 0): the Service has no endpoints until it is scaled up.'},
  {code: 'VIP4016', severity: 'info', title: 'Endpoints expected from a workload', hint: 'The input holds the workload, not its Pods: vipctl checks the pod template (ports, readiness probe) and the servers come when the Pods run.'},
  {code: 'VIP4041', severity: 'warning', title: 'Exact and Prefix on one path go to different backends', hint: 'Exact wins for the path itself, Prefix for everything below it; make sure that is intended.'},
  {code: 'VIP4042', severity: 'info', title: 'Wildcard host shadowed', hint: 'A rule for the exact host takes its requests; the wildcard rule never sees them.'},
  {code: 'VIP4043', severity: 'info', title: 'Catch-all under another namespace\'s host', hint: 'A newer namespace\'s Prefix / rule for a host an older namespace serves takes every path of that host its owner does not route; make sure both teams agree, or give the newcomer its own host.'},
  {code: 'VIP4020', severity: 'error', title: 'Certificate does not cover the host', hint: 'Add the host (or a matching *. wildcard) to the certificate\'s subjectAltName.'},
  {code: 'VIP4021', severity: 'warning', title: 'Certificate expired or expiring', hint: 'Renew the certificate; see --cert-warn-days.'},
  {code: 'VIP4022', severity: 'error', title: 'Key does not match certificate (retired)', hint: 'Retired: the model now checks every TLS Secret as the proxy loads it and reports an unusable one, key mismatch included, as VIP2004.'},
  {code: 'VIP4030', severity: 'error', title: 'VIP outside the pool', hint: 'Use an address inside --vip-pool or change the pool.'},
  {code: 'VIP4050', severity: 'error', title: 'Frontend missing from the running proxy', hint: 'Run vipctl apply haproxy; the running config predates this VIP:port.'},
  {code: 'VIP4051', severity: 'error', title: 'Backend missing from the running proxy', hint: 'Run vipctl apply haproxy; the running config predates this Service port.'},
  {code: 'VIP4052', severity: 'error', title: 'Server down by health check', hint: 'The endpoint is ready in Kubernetes but fails HAProxy\'s check: compare the readiness probe with the check, and the network path from the node.'},
  {code: 'VIP4053', severity: 'warning', title: 'Running config older than desired', hint: 'vipctl diff haproxy shows what changed; vipctl apply haproxy brings it in line.'},
  {code: 'VIP4060', severity: 'error', title: 'VIP rule or address missing on the node', hint: 'Run vipctl apply vip (with the same --mode and --netns).'},
  {code: 'VIP4061', severity: 'warning', title: 'Stale VIP rule or address on the node', hint: 'Our table has a VIP nothing serves any more; vipctl apply vip removes it.'},
  {code: 'VIP5001', severity: 'warning', title: 'Not carried over by migrate', hint: 'The ns.conf or haproxy.cfg line has no Kubernetes or vipctl equivalent; recreate it by hand if you need it.'},
  {code: 'VIP5002', severity: 'warning', title: 'Carried over approximately', hint: 'The Kubernetes form matches a little more or less than the original; read the message and check the route.'},
  {code: 'VIP5003', severity: 'warning', title: 'Manual step after migrate', hint: 'Something migrate cannot infer (a readiness probe, a TLS Secret, a Pod selector): do it by hand.'},
  {code: 'VIP2012', severity: 'warning', title: 'Unknown vipctl.io annotation', hint: 'Check the spelling against the annotation list in the README.'},
  {code: 'VIP2014', severity: 'warning', title: 'TLS Secret content dropped', hint: 'The Secret holds something the proxy does not need (e.g. the private key inside tls.crt); it was left out. Keep tls.crt to certificates only.'},
  {code: 'VIP2015', severity: 'warning', title: 'Value out of range', hint: 'The value is outside what the proxies can express; the nearest allowed value was used. See the README (health checks).'},
  {code: 'VIP3005', severity: 'warning', title: 'Needs setup on the target', hint: 'The target serves this only with something vipctl does not configure (e.g. DNS name servers on the NetScaler appliance, a CA certKey to verify a backend certificate); the message names the step.'},
  {code: 'VIP3004', severity: 'warning', title: 'Value adjusted for the target', hint: 'The target needs the value changed to express it (e.g. NetScaler wants a monitor response timeout below its interval); the message says what was used.'},
  {code: 'VIP2016', severity: 'info', title: 'ExternalName backend', hint: 'HAProxy resolves the name through DNS at run time: make sure the node can resolve it (its resolv.conf). NetScaler resolves it with a domain-based server through the appliance DNS name servers (VIP3005).'},
  {code: 'VIP2017', severity: 'warning', title: 'TLS host already served', hint: 'Another (older) object serves this TLS host on the same VIP:port with its own Secret; this Secret is not used for it. Remove the host from spec.tls, or use one Secret.'},
  {code: 'VIP2018', severity: 'info', title: 'Readiness probe not carried into the health check', hint: 'The proxy cannot check what this probe checks; the message says what it checks instead.'},
  {code: 'VIP2019', severity: 'info', title: 'Annotation of another controller honoured', hint: 'vipctl does what the key asks; the message names the vipctl setting that does it (prefer that setting in new manifests).'},
  {code: 'VIP2020', severity: 'warning', title: 'Annotation of another controller not honoured', hint: 'The Ingress is served without what the key asks (unless another finding leaves it out); the message says what vipctl does instead, or which vipctl setting comes closest.'},
  {code: 'VIP2021', severity: 'error', title: 'Access restriction not honoured: Ingress not served', hint: 'The key restricts access (authentication, IP lists, client certificates, rate limits, WAF) and vipctl cannot apply it; serving without it would open the routes, so the Ingress is left out. Put the restriction in the application, or remove the key if the routes may be open.'},
  {code: 'VIP2022', severity: 'error', title: 'Configuration snippet refused: Ingress not served', hint: 'vipctl never pastes raw proxy configuration from an object into the shared proxy; remove the snippet key (and express what it did with vipctl settings).'},
  {code: 'VIP2023', severity: 'warning', title: 'Ingress left out: another controller\'s feature', hint: 'The Ingress asks for something vipctl does not do (a canary share of another Ingress\'s traffic: one object never changes another\'s routes; use vipctl.io/traffic-split on the main Ingress); served as a normal Ingress it would take that traffic, so it is left out.'},
  {code: 'VIP2024', severity: 'error', title: 'Source ranges not applied: Service not served', hint: 'spec.loadBalancerSourceRanges (or the load-balancer-source-ranges annotation) restricts who may connect; vipctl does not apply it yet, so the Service is left out rather than opened. Remove the ranges if the Service may be open, or restrict access elsewhere.'},
  {code: 'VIP2025', severity: 'error', title: 'Invalid route policy: Ingress not served', hint: 'A vipctl.io/* key that shapes the Ingress\'s routes (traffic split, header rules, HSTS, redirect, rewrite, request timeout) has a value outside its grammar; serving the routes without it could expose what it protects, so the Ingress is left out. The message gives the grammar; see the annotation list in the README.'},
  {code: 'VIP2026', severity: 'error', title: 'PROXY protocol setting conflict: not served on that listener', hint: 'Listener settings come from IngressClasses (the operator\'s). Whether a VIP:port expects the PROXY protocol header is decided by the class of the oldest Ingress on it; an Ingress whose class asks otherwise would have its clients misread, so it is not served there. Give it another VIP or port, or a class with the same setting.'},
  {code: 'VIP2027', severity: 'warning', title: 'Client timeout of the listener kept', hint: 'The client timeout belongs to the VIP:port and is decided by the IngressClass of the oldest Ingress on it; this Ingress\'s class sets another, which is not used there.'},
  {code: 'VIP6001', severity: 'error', title: 'Route not attached to its Gateway', hint: 'The message gives the spec\'s reason: NoMatchingParent (no listener has the sectionName or port), NotAllowedByListeners (the listener\'s allowedRoutes does not admit the route\'s namespace or kind), NoMatchingListenerHostname (no route hostname intersects the listener\'s). Fix the parentRef, the listener\'s allowedRoutes, or the hostnames.'},
  {code: 'VIP6002', severity: 'error', title: 'Backend reference not resolved', hint: 'The message gives the spec\'s reason: BackendNotFound (no such Service or port), InvalidKind (not a Service), RefNotPermitted (another namespace without a ReferenceGrant there). Requests the rule would send to it are answered 500.'},
  {code: 'VIP6003', severity: 'info', title: 'Gateway of another class', hint: 'vipctl serves Gateways whose GatewayClass has controllerName vipctl.io/gateway-controller (or the class "vipctl" when the input has no such GatewayClass).'},
  {code: 'VIP6004', severity: 'error', title: 'Gateway or listener not served as written', hint: 'The message gives the spec\'s reason (UnsupportedAddress, InvalidRouteKinds, ProtocolConflict, InvalidCertificateRef, RefNotPermitted); the listener (or the Gateway) is left out, the others are served.'},
  {code: 'VIP6005', severity: 'warning', title: 'Gateway API feature not supported', hint: 'The message says what vipctl does instead: a filter it cannot apply makes the rule answer 500, a match it cannot evaluate is not served, a setting with no security effect is served without. See the README (Gateway API).'},
  {code: 'VIP6006', severity: 'warning', title: 'Gateway API listener protocol not served', hint: 'vipctl serves HTTP, HTTPS, TCP, UDP and TLS passthrough listeners (HTTPRoutes and GRPCRoutes, TCPRoutes, UDPRoutes, TLSRoutes); a TLS listener that terminates, or a protocol of another domain, is reported and not served.'},
  {code: 'VIP6007', severity: 'info', title: 'Route timeout applied as the member wait', hint: 'timeouts.request bounds the whole exchange in Gateway API; vipctl applies it as the time a member has to answer (HAProxy\'s server timeout for the route). Set timeouts.backendRequest to say that explicitly.'},
  {code: 'VIP6008', severity: 'warning', title: 'A route of another namespace takes requests by its conditions', hint: 'Gateway API precedence gives a rule with a method, more header or more query matches the requests they select, ahead of an older route on the same host and path. The message names the older route; if that is not intended, restrict who may attach (allowedRoutes) or give the routes different hosts or paths.'},
  {code: 'VIP6009', severity: 'warning', title: 'ListenerSet not attached', hint: 'A ListenerSet adds listeners to a Gateway only when the Gateway admits its namespace (spec.allowedListeners.namespaces.from: Same, All or Selector; the default None admits none) and the Gateway is accepted. Its listeners share the Gateway\'s addresses and lose to the Gateway\'s own listeners and older ListenerSets on a conflicting port.'},
  {code: 'VIP6010', severity: 'warning', title: 'gRPC backend not spoken to in HTTP/2', hint: 'A GRPCRoute never changes how other routes reach a Service: a port that HTTPRoutes or Ingresses also use keeps HTTP/1.1 towards its members, where gRPC fails. Mark the port appProtocol: kubernetes.io/h2c (every route then speaks h2c to it), or give gRPC a Service port of its own.'},
  {code: 'VIP6011', severity: 'warning', title: 'Every backend has weight 0', hint: 'A rule (or TCP/TLS/UDP route) whose backendRefs all have weight 0 sends nothing anywhere: HTTP and gRPC requests are answered 500, connections are closed. Give a backend a weight above 0, or remove the rule.'},
  {code: 'VIP2013', severity: 'warning', title: 'NetScaler annotation not supported', hint: 'vipctl reads ingress.citrix.com/frontend-ip, secure-port, insecure-port, insecure-termination (allow, redirect) and lbvserver (lbmethod); others are ignored.'},
]

export const CATALOG: ReadonlyMap<string, CatalogEntry> = new Map(entries.map((e) => [e.code, e]))

export function catalogEntry(code: string): CatalogEntry {
  const e = CATALOG.get(code)
  if (!e) throw new Error(`internal: diagnostic code ${code} is not in the catalog`)
  return e
}

/** A diagnostic's severity: only ever the catalog's (test/unit/catalog.test.ts keeps literals out of src/). */
export function severityOf(code: string): Severity {
  return catalogEntry(code).severity
}

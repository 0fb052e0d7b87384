/** resource -> kind of the lists a fake API server answers: the core kinds vipctl lists, and the Gateway API CRDs (installed, empty). */
export const LIST_KINDS: Record<string, string> = {
  services: 'Service',
  endpointslices: 'EndpointSlice',
  ingresses: 'Ingress',
  pods: 'Pod',
  ingressclasses: 'IngressClass',
  nodes: 'Node',
  gatewayclasses: 'GatewayClass',
  gateways: 'Gateway',
  httproutes: 'HTTPRoute',
  referencegrants: 'ReferenceGrant',
  grpcroutes: 'GRPCRoute',
  tlsroutes: 'TLSRoute',
  tcproutes: 'TCPRoute',
  udproutes: 'UDPRoute',
  listenersets: 'ListenerSet',
  backendtlspolicies: 'BackendTLSPolicy',
}

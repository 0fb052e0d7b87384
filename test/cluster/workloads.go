package main

// The controllers that turn workloads into Pods and clean up after them, for the Gateway API conformance suite
// (its base manifests are Deployments; it deletes its namespaces when done): Deployment, ReplicaSet, namespace
// and garbage collector, as kube-controller-manager runs them. Off unless -workload-controllers: vipctl's own
// tests create Pods directly and read Deployments only as templates.

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/kubernetes/pkg/controller/deployment"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	namespacecontroller "k8s.io/kubernetes/pkg/controller/namespace"
	"k8s.io/kubernetes/pkg/controller/replicaset"
)

// startWorkloadControllers registers the controllers' informers on factory (the caller starts it) and runs them
// until ctx ends. The returned function starts what must run once the shared informers have started.
func startWorkloadControllers(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, factory informers.SharedInformerFactory) (func(), error) {
	dc, err := deployment.NewDeploymentController(ctx, factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods(), client)
	if err != nil {
		return nil, fmt.Errorf("deployment controller: %w", err)
	}
	rsc := replicaset.NewReplicaSetController(ctx, factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods(), client, replicaset.BurstReplicas)
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	nc := namespacecontroller.NewNamespaceController(ctx, client, meta, client.Discovery().ServerPreferredNamespacedResources, factory.Core().V1().Namespaces(), 5*time.Minute, v1.FinalizerKubernetes)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	metaFactory := metadatainformer.NewSharedInformerFactory(meta, 0)
	started := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, client, meta, mapper, garbagecollector.DefaultIgnoredResources(), informerfactory.NewInformerFactory(factory, metaFactory), started)
	if err != nil {
		return nil, fmt.Errorf("garbage collector: %w", err)
	}
	return func() {
		metaFactory.Start(ctx.Done())
		close(started)
		go dc.Run(ctx, 2)
		go rsc.Run(ctx, 2)
		go nc.Run(ctx, 2)
		go gc.Run(ctx, 2, 30*time.Second)
		go gc.Sync(ctx, client.Discovery(), 30*time.Second)
	}, nil
}

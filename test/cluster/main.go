// Command testcluster runs a real Kubernetes control plane in one process for
// vipctl's tests and for people who want to point vipctl at something live:
// embedded etcd, kube-apiserver (from k8s.io/kubernetes) and the EndpointSlice
// and Endpoints controllers (with -workload-controllers also Deployment, ReplicaSet,
// namespace and garbage collector). Without -kubelet-node there is no kubelet and no
// scheduler: tests write Pod status themselves; with it, the lab's netns kubelet
// (kubelet.go) binds Pods to its node and runs them in network namespaces.
//
// On success it prints one JSON line on stdout:
//
//	{"ready":true,"kubeconfig":"...","server":"https://127.0.0.1:N","token":"...","viewerToken":"...","dir":"...","gatewayAPI":{...}}
//
// The Gateway API CRDs of the gateway-api module pinned in go.mod are installed
// before it is ready (-gateway-api-channel experimental, the default, is a
// superset of standard; none installs nothing).
//
// and runs until SIGTERM/SIGINT (or, with -exit-on-stdin-eof, until its
// parent closes stdin). Everything it wrote goes away on exit unless -keep.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/pkg/controller/endpoint"
	"k8s.io/kubernetes/pkg/controller/endpointslice"
	gwconsts "sigs.k8s.io/gateway-api/pkg/consts"
)

type readyLine struct {
	Ready       bool   `json:"ready"`
	Kubeconfig  string `json:"kubeconfig"`
	Server      string `json:"server"`
	Token       string `json:"token"`
	ViewerToken string `json:"viewerToken"`
	Dir         string `json:"dir"`
	StartupMS   int64  `json:"startupMs"`
	GatewayAPI  struct {
		Channel string   `json:"channel"`
		Version string   `json:"version"`
		CRDs    []string `json:"crds"`
	} `json:"gatewayAPI"`
}

func main() {
	stdinEOF := flag.Bool("exit-on-stdin-eof", false, "shut down when stdin closes (a parent test runner died)")
	keep := flag.Bool("keep", false, "keep the data directory on exit")
	dirFlag := flag.String("dir", "", "data directory (default: a new temp dir)")
	readyTimeout := flag.Duration("ready-timeout", 90*time.Second, "how long to wait for the API server to become ready")
	promCheck := flag.Bool("check-prometheus", false, "parse stdin as Prometheus text exposition, print its families as JSON, exit 1 if invalid")
	channel := flag.String("gateway-api-channel", "experimental", "Gateway API CRDs to install: standard, experimental or none")
	workloads := flag.Bool("workload-controllers", false, "also run the Deployment, ReplicaSet, namespace and garbage-collector controllers")
	kl := kubeletOptions{images: map[string]string{}}
	flag.StringVar(&kl.node, "kubelet-node", "", "run the lab's netns kubelet as this node (root: network namespaces; see kubelet.go)")
	flag.StringVar(&kl.podCIDR, "kubelet-pod-cidr", "10.250.0.0/24", "the node's Pod range (its first address is the host side)")
	flag.Func("kubelet-image", "IMAGE=PROGRAM: run PROGRAM for Pods of IMAGE (repository, any tag); repeatable", func(v string) error {
		img, prog, ok := strings.Cut(v, "=")
		if !ok || img == "" || !filepath.IsAbs(prog) {
			return fmt.Errorf("want IMAGE=/absolute/program, got %q", v)
		}
		kl.images[img] = prog
		return nil
	})
	flag.Parse()
	if *promCheck {
		if err := checkPrometheus(); err != nil {
			fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
			os.Exit(1)
		}
		return
	}
	crdDir, err := gatewayCRDDir(*channel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
		os.Exit(2)
	}
	if err := run(*stdinEOF, *keep, *dirFlag, *readyTimeout, *channel, crdDir, *workloads, kl); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
		os.Exit(1)
	}
}

func run(stdinEOF, keep bool, dir string, readyTimeout time.Duration, channel, crdDir string, workloads bool, kl kubeletOptions) error {
	start := time.Now()
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vipctl-testcluster-"); err != nil {
			return err
		}
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	for _, d := range []string{"etcd", "certs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}

	// Built first: it installs the process's only signal handler (calling
	// SetupSignalContext twice panics). Our own Notify below is a second
	// listener on the same signals, which Go allows.
	apiCmd := apiserverapp.NewAPIServerCommand()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	adminToken, viewerToken := randHex(16), randHex(16)
	saKey := filepath.Join(dir, "certs", "sa.key")
	if err := writeECKey(saKey); err != nil {
		return err
	}
	tokens := filepath.Join(dir, "certs", "tokens.csv")
	csv := fmt.Sprintf("%s,admin,admin-uid,\"system:masters\"\n%s,viewer,viewer-uid\n", adminToken, viewerToken)
	if err := os.WriteFile(tokens, []byte(csv), 0o600); err != nil {
		return err
	}

	etcd, etcdURL, err := startEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()

	port, err := freePort()
	if err != nil {
		return err
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	certDir := filepath.Join(dir, "certs", "serving")
	apiCmd.SetArgs([]string{
		"--etcd-servers=" + etcdURL,
		"--etcd-prefix=/registry",
		fmt.Sprintf("--secure-port=%d", port),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--cert-dir=" + certDir,
		"--service-account-issuer=https://testcluster.vipctl.invalid",
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/16",
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=0",
	})
	apiDone := make(chan error, 1)
	go func() { apiDone <- apiCmd.Execute() }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := waitReady(ctx, server, adminToken, readyTimeout, apiDone); err != nil {
		return err
	}

	cfg := &rest.Config{Host: server, BearerToken: adminToken, TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 200, Burst: 400}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var crds []string
	if crdDir != "" {
		if crds, err = installCRDs(ctx, cfg, crdDir, readyTimeout); err != nil {
			return fmt.Errorf("Gateway API CRDs (%s): %w", channel, err)
		}
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	slices := endpointslice.NewController(ctx,
		factory.Core().V1().Pods(), factory.Core().V1().Services(), factory.Core().V1().Nodes(),
		factory.Discovery().V1().EndpointSlices(), 100, client, 0)
	eps := endpoint.NewEndpointController(ctx,
		factory.Core().V1().Pods(), factory.Core().V1().Services(), factory.Core().V1().Endpoints(), client, 0)
	var startWorkloads func()
	if workloads {
		if startWorkloads, err = startWorkloadControllers(ctx, cfg, client, factory); err != nil {
			return err
		}
	}
	factory.Start(ctx.Done())
	go slices.Run(ctx, 2)
	go eps.Run(ctx, 1)
	if startWorkloads != nil {
		startWorkloads()
	}
	if kl.node != "" {
		kl.dir = filepath.Join(dir, "kubelet")
		stop, err := startKubelet(ctx, client, kl)
		if err != nil {
			return fmt.Errorf("kubelet: %w", err)
		}
		defer stop()
	}

	caPEM, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, server, caPEM, adminToken, viewerToken); err != nil {
		return err
	}
	ready := readyLine{Ready: true, Kubeconfig: kubeconfig, Server: server, Token: adminToken,
		ViewerToken: viewerToken, Dir: dir, StartupMS: time.Since(start).Milliseconds()}
	ready.GatewayAPI.Channel, ready.GatewayAPI.Version, ready.GatewayAPI.CRDs = channel, gwconsts.BundleVersion, crds
	line, _ := json.Marshal(ready)
	fmt.Println(string(line))

	eof := make(chan struct{})
	if stdinEOF {
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(eof) }()
	}
	select {
	case <-sigs:
	case <-eof:
		// The apiserver only stops on a signal to this process.
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	case err := <-apiDone:
		return fmt.Errorf("kube-apiserver stopped: %v", err)
	}
	cancel()
	select {
	case <-apiDone:
	case <-time.After(20 * time.Second):
		klog.Warning("kube-apiserver did not stop within 20s")
	}
	return nil
}

// startEtcd starts an embedded etcd on free loopback ports, retrying when a
// port picked as free was taken before etcd bound it.
func startEtcd(dir string) (*embed.Etcd, string, error) {
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		cp, err1 := freePort()
		pp, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			return nil, "", err
		}
		cfg := embed.NewConfig()
		cfg.Name = "testcluster"
		cfg.Dir = dir
		cfg.UnsafeNoFsync = true
		cfg.Logger = "zap"
		cfg.LogLevel = "error"
		cu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", cp)}
		pu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", pp)}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			last = err
			_ = os.RemoveAll(dir)
			_ = os.MkdirAll(dir, 0o700)
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, cu.String(), nil
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, "", errors.New("not ready after 60s")
		}
	}
	return nil, "", last
}

// waitReady polls /readyz, then waits for the namespaces every test assumes.
func waitReady(ctx context.Context, server, token string, timeout time.Duration, apiDone <-chan error) error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(timeout)
	need := []string{"/readyz", "/api/v1/namespaces/default", "/api/v1/namespaces/kube-system"}
	for _, path := range need {
		for {
			select {
			case err := <-apiDone:
				return fmt.Errorf("kube-apiserver exited during start-up: %v", err)
			default:
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := hc.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready after %s", path, timeout)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

func writeKubeconfig(path, server string, ca []byte, admin, viewer string) error {
	kc := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "testcluster", "cluster": map[string]any{
			"server": server, "certificate-authority-data": ca}}},
		"users": []any{
			map[string]any{"name": "admin", "user": map[string]any{"token": admin}},
			map[string]any{"name": "viewer", "user": map[string]any{"token": viewer}},
		},
		"contexts": []any{
			map[string]any{"name": "testcluster", "context": map[string]any{"cluster": "testcluster", "user": "admin"}},
			map[string]any{"name": "testcluster-viewer", "context": map[string]any{"cluster": "testcluster", "user": "viewer"}},
		},
		"current-context": "testcluster",
		"preferences":     map[string]any{},
	}
	// JSON is valid YAML; []byte marshals as base64, which is what -data fields want.
	b, err := json.MarshalIndent(kc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func writeECKey(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

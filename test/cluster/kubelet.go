package main

// A small "kubelet" for the lab (-kubelet-node): it is the node's only scheduler (Pods without a node are bound
// to it), and for each Pod bound to it creates a network namespace with an address from the node's Pod range on a
// bridge the host routes to, starts the Pod's first container as a program of ours (an image is mapped to a
// binary with -kubelet-image; any other image leaves the Pod Pending with the reason), with the environment the
// Pod spec gives (downward API fields included; Secret and ConfigMap volumes written to a directory of the Pod,
// and environment values naming their mount path pointed there), writes Pod status (Running, Ready after the
// readiness probe passes, or at start without one), restarts a program that exits, and removes everything when
// the Pod goes (or this process ends). Needs root (network namespaces, veth, a bridge) and iproute2.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

type kubeletOptions struct {
	node    string
	podCIDR string
	// image repository (without tag) -> program
	images map[string]string
	dir    string
}

type podRun struct {
	uid    string
	ns     string // network namespace
	host   string // host-side veth
	ip     net.IP
	dir    string
	args   []string
	cancel context.CancelFunc
	done   chan struct{}
	// closed once the program has started (the first time)
	running chan struct{}
	ready   bool
	started time.Time
}

type kubelet struct {
	opts    kubeletOptions
	client  kubernetes.Interface
	bridge  string
	gateway net.IP
	subnet  *net.IPNet
	prefix  string

	mu      sync.Mutex
	pods    map[string]*podRun   // by UID
	used    map[string]bool      // IPs in use
	cursor  int                  // where allocate looks next
	backoff map[string]time.Time // UID -> no start before
	seq     int
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// startKubelet sets the node up (the Node object, the bridge) and runs until ctx ends; cleanup removes every
// namespace, link and process it made.
func startKubelet(ctx context.Context, client kubernetes.Interface, opts kubeletOptions) (cleanup func(), err error) {
	gw, subnet, err := net.ParseCIDR(opts.podCIDR)
	if err != nil || gw.To4() == nil {
		return nil, fmt.Errorf("-kubelet-pod-cidr %q: an IPv4 CIDR", opts.podCIDR)
	}
	gw = subnet.IP.To4()
	gw = net.IPv4(gw[0], gw[1], gw[2], gw[3]+1).To4()
	sum := sha256.Sum256([]byte(opts.node))
	prefix := "vk" + hex.EncodeToString(sum[:3])
	k := &kubelet{opts: opts, client: client, bridge: prefix + "br", gateway: gw, subnet: subnet, prefix: prefix, pods: map[string]*podRun{}, used: map[string]bool{gw.String(): true}, backoff: map[string]time.Time{}}
	k.removeStale()
	ones, _ := subnet.Mask.Size()
	if err := ipCmd("link", "add", k.bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	if err := ipCmd("addr", "add", fmt.Sprintf("%s/%d", gw, ones), "dev", k.bridge); err != nil {
		_ = ipCmd("link", "del", k.bridge)
		return nil, err
	}
	if err := ipCmd("link", "set", k.bridge, "up"); err != nil {
		_ = ipCmd("link", "del", k.bridge)
		return nil, err
	}
	if err := k.registerNode(ctx); err != nil {
		_ = ipCmd("link", "del", k.bridge)
		return nil, err
	}
	k.run(ctx)
	return k.shutdown, nil
}

// removeStale deletes what a previous run of this node left (a process killed without its cleanup).
func (k *kubelet) removeStale() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if name := strings.Fields(line); len(name) > 0 && strings.HasPrefix(name[0], k.prefix+"-") {
			_ = ipCmd("netns", "del", name[0])
		}
	}
	_ = exec.Command("ip", "link", "del", k.bridge).Run()
}

func (k *kubelet) shutdown() {
	k.mu.Lock()
	runs := make([]*podRun, 0, len(k.pods))
	for _, r := range k.pods {
		runs = append(runs, r)
	}
	k.mu.Unlock()
	for _, r := range runs {
		k.teardown(r)
	}
	_ = ipCmd("link", "del", k.bridge)
}

func (k *kubelet) registerNode(ctx context.Context) error {
	node := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.opts.node, Labels: map[string]string{"kubernetes.io/hostname": k.opts.node}},
		Spec:       v1.NodeSpec{PodCIDR: k.subnet.String(), PodCIDRs: []string{k.subnet.String()}},
	}
	created, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = k.client.CoreV1().Nodes().Get(ctx, k.opts.node, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("node %s: %w", k.opts.node, err)
	}
	now := metav1.Now()
	created.Status = v1.NodeStatus{
		Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady", Message: "the lab's netns kubelet", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses:  []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: k.gateway.String()}, {Type: v1.NodeHostName, Address: k.opts.node}},
	}
	_, err = k.client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

func (k *kubelet) run(ctx context.Context) {
	// Pods without a node: bound to this one (the lab has no scheduler).
	unbound := informers.NewSharedInformerFactoryWithOptions(k.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", "").String()
	}))
	_, _ = unbound.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj interface{}) { k.bind(ctx, obj.(*v1.Pod)) }})
	mine := informers.NewSharedInformerFactoryWithOptions(k.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", k.opts.node).String()
	}))
	handle := func(obj interface{}) {
		if p, ok := obj.(*v1.Pod); ok {
			k.sync(ctx, p)
		}
	}
	_, _ = mine.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, n interface{}) { handle(n) },
		DeleteFunc: func(obj interface{}) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if p, ok := obj.(*v1.Pod); ok {
				k.forget(string(p.UID))
			}
		},
	})
	unbound.Start(ctx.Done())
	mine.Start(ctx.Done())
}

func (k *kubelet) bind(ctx context.Context, p *v1.Pod) {
	if p.DeletionTimestamp != nil || (p.Spec.SchedulerName != "" && p.Spec.SchedulerName != v1.DefaultSchedulerName) {
		return
	}
	err := k.client.CoreV1().Pods(p.Namespace).Bind(ctx, &v1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, UID: p.UID}, Target: v1.ObjectReference{Kind: "Node", Name: k.opts.node}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		klog.Warningf("kubelet: bind %s/%s: %v", p.Namespace, p.Name, err)
	}
}

func (k *kubelet) sync(ctx context.Context, p *v1.Pod) {
	uid := string(p.UID)
	if p.DeletionTimestamp != nil {
		k.forget(uid)
		// Gone from the node: the object can go (grace 0, this UID only).
		zero := int64(0)
		err := k.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			klog.Warningf("kubelet: delete %s/%s: %v", p.Namespace, p.Name, err)
		}
		return
	}
	k.mu.Lock()
	_, running := k.pods[uid]
	k.mu.Unlock()
	if running || p.Status.Phase == v1.PodFailed || p.Status.Phase == v1.PodSucceeded {
		return
	}
	if reason, msg := k.unsupported(p); reason != "" {
		k.writeStatus(ctx, p, nil, reason, msg)
		return
	}
	k.mu.Lock()
	if until, ok := k.backoff[uid]; ok && time.Now().Before(until) {
		k.mu.Unlock()
		return
	}
	k.mu.Unlock()
	r, err := k.start(ctx, p)
	if err != nil {
		klog.Warningf("kubelet: start %s/%s: %v", p.Namespace, p.Name, err)
		// Not again before 10 s (this status update comes back as an event): then from the Pod as it is then.
		k.mu.Lock()
		k.backoff[uid] = time.Now().Add(10 * time.Second)
		k.mu.Unlock()
		k.writeStatus(ctx, p, nil, "StartError", err.Error())
		time.AfterFunc(10*time.Second, func() {
			if cur, err := k.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{}); err == nil && cur.UID == p.UID {
				k.sync(ctx, cur)
			}
		})
		return
	}
	k.writeStatus(ctx, p, r, "", "")
	go k.probe(ctx, p, r)
}

// unsupported says why a Pod cannot run in this lab ("" when it can).
func (k *kubelet) unsupported(p *v1.Pod) (string, string) {
	if len(p.Spec.Containers) != 1 || len(p.Spec.InitContainers) > 0 {
		return "Unsupported", "the lab's kubelet runs Pods of one container and no init containers"
	}
	c := p.Spec.Containers[0]
	if len(c.Command) > 0 {
		return "Unsupported", "the lab runs an image's own entrypoint (the program it maps the image to): a container command is not supported"
	}
	if _, ok := k.program(c.Image); !ok {
		known := make([]string, 0, len(k.opts.images))
		for img := range k.opts.images {
			known = append(known, img)
		}
		return "ErrImagePull", fmt.Sprintf("image %s is not one this lab runs (it runs %s)", c.Image, strings.Join(known, ", "))
	}
	for _, v := range p.Spec.Volumes {
		if v.Secret == nil && v.ConfigMap == nil && v.EmptyDir == nil && v.Projected == nil {
			return "Unsupported", fmt.Sprintf("volume %s: the lab's kubelet writes Secret, ConfigMap, emptyDir and projected (service account) volumes only", v.Name)
		}
	}
	return "", ""
}

func (k *kubelet) program(image string) (string, bool) {
	repo := image
	if i := strings.LastIndex(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	prog, ok := k.opts.images[repo]
	return prog, ok
}

// allocate takes the next free address after the last one given (round the range), as the real IPAM does: an
// address a Pod just left is not handed out again at once, while the host may still hold its old neighbour entry.
func (k *kubelet) allocate() (net.IP, error) {
	base := k.subnet.IP.To4()
	ones, bits := k.subnet.Mask.Size()
	size := 1<<(bits-ones) - 3 // without the network, the gateway (.1) and broadcast addresses
	for j := 0; j < size; j++ {
		i := 2 + (k.cursor+j)%size
		n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
		n += uint32(i)
		ip := net.IPv4(byte(n>>24), byte(n>>16), byte(n>>8), byte(n)).To4()
		if !k.used[ip.String()] {
			k.used[ip.String()] = true
			k.cursor = (k.cursor + j + 1) % size
			return ip, nil
		}
	}
	return nil, errors.New("the node's Pod range is full")
}

func (k *kubelet) start(ctx context.Context, p *v1.Pod) (*podRun, error) {
	k.mu.Lock()
	ip, err := k.allocate()
	k.seq++
	seq := k.seq
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	r := &podRun{uid: string(p.UID), ns: fmt.Sprintf("%s-%d", k.prefix, seq), host: fmt.Sprintf("%sh%d", k.prefix, seq), ip: ip, dir: filepath.Join(k.opts.dir, "pods", string(p.UID)), done: make(chan struct{}), running: make(chan struct{}), started: time.Now()}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return nil, err
	}
	ones, _ := k.subnet.Mask.Size()
	peer := fmt.Sprintf("%sp%d", k.prefix, seq)
	steps := [][]string{
		{"netns", "add", r.ns},
		{"link", "add", r.host, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", r.ns},
		{"-n", r.ns, "link", "set", peer, "name", "eth0"},
		{"-n", r.ns, "addr", "add", fmt.Sprintf("%s/%d", ip, ones), "dev", "eth0"},
		{"-n", r.ns, "link", "set", "eth0", "up"},
		{"-n", r.ns, "link", "set", "lo", "up"},
		{"-n", r.ns, "route", "add", "default", "via", k.gateway.String()},
		{"link", "set", r.host, "master", k.bridge},
		{"link", "set", r.host, "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			k.teardown(r)
			return nil, err
		}
	}
	// A neighbour entry the host kept for an earlier Pod at this address would send its packets to a MAC that is
	// gone until it expires (tens of seconds of connect timeouts): dropped now.
	_ = ipCmd("neigh", "flush", "to", ip.String(), "dev", k.bridge)
	env, err := k.environment(ctx, p, r)
	if err != nil {
		k.teardown(r)
		return nil, err
	}
	prog, _ := k.program(p.Spec.Containers[0].Image)
	rctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	k.mu.Lock()
	k.pods[r.uid] = r
	k.mu.Unlock()
	go k.supervise(rctx, p, r, prog, env)
	return r, nil
}

// environment: the container's env (values, downward API fields) with its volumes written under the Pod's
// directory; an env value or argument that names a volume's mount path is pointed at that directory. The mapped
// program stands for the image's entrypoint: the container's args become its arguments (r.args).
func (k *kubelet) environment(ctx context.Context, p *v1.Pod, r *podRun) ([]string, error) {
	c := p.Spec.Containers[0]
	mounts := map[string]string{}
	for _, v := range p.Spec.Volumes {
		d := filepath.Join(r.dir, "volumes", v.Name)
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		files := map[string][]byte{}
		switch {
		case v.Secret != nil:
			s, err := k.client.CoreV1().Secrets(p.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			files = pick(s.Data, v.Secret.Items)
		case v.ConfigMap != nil:
			cm, err := k.client.CoreV1().ConfigMaps(p.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			data := map[string][]byte{}
			for key, val := range cm.Data {
				data[key] = []byte(val)
			}
			files = pick(data, v.ConfigMap.Items)
		}
		for name, content := range files {
			if strings.Contains(name, "..") || filepath.IsAbs(name) {
				return nil, fmt.Errorf("volume %s: item path %q", v.Name, name)
			}
			f := filepath.Join(d, name)
			if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(f, content, 0o600); err != nil {
				return nil, err
			}
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				mounts[filepath.Clean(m.MountPath)] = d
			}
		}
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + r.dir, "HOSTNAME=" + p.Name}
	for _, e := range c.Env {
		val := e.Value
		if e.ValueFrom != nil {
			f := e.ValueFrom.FieldRef
			if f == nil {
				return nil, fmt.Errorf("env %s: only fieldRef values are supported", e.Name)
			}
			switch f.FieldPath {
			case "metadata.name":
				val = p.Name
			case "metadata.namespace":
				val = p.Namespace
			case "metadata.uid":
				val = string(p.UID)
			case "spec.nodeName":
				val = k.opts.node
			case "spec.serviceAccountName":
				val = p.Spec.ServiceAccountName
			case "status.podIP":
				val = r.ip.String()
			case "status.hostIP":
				val = k.gateway.String()
			default:
				return nil, fmt.Errorf("env %s: fieldRef %s is not supported", e.Name, f.FieldPath)
			}
		}
		env = append(env, e.Name+"="+onHost(mounts, val))
	}
	args := make([]string, 0, len(c.Args))
	for _, a := range c.Args {
		args = append(args, onHost(mounts, a))
	}
	r.args = args
	return env, nil
}

// onHost points a value that names a volume's mount path (or a file under it) at the volume's directory here.
func onHost(mounts map[string]string, val string) string {
	for mp, d := range mounts {
		if val == mp || strings.HasPrefix(val, mp+"/") {
			return d + strings.TrimPrefix(val, mp)
		}
	}
	return val
}

func pick(data map[string][]byte, items []v1.KeyToPath) map[string][]byte {
	out := map[string][]byte{}
	if len(items) == 0 {
		for key, val := range data {
			out[key] = val
		}
		return out
	}
	for _, it := range items {
		if val, ok := data[it.Key]; ok {
			out[it.Path] = val
		}
	}
	return out
}

// supervise runs the program in the Pod's network namespace, restarting it (with a growing pause, at most 10 s)
// until the Pod goes.
func (k *kubelet) supervise(ctx context.Context, p *v1.Pod, r *podRun, prog string, env []string) {
	defer close(r.done)
	pause := 500 * time.Millisecond
	for ctx.Err() == nil {
		args := append([]string{"netns", "exec", r.ns, prog}, r.args...)
		cmd := exec.Command("ip", args...)
		cmd.Env = env
		cmd.Dir = r.dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		log, _ := os.OpenFile(filepath.Join(r.dir, "container.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			klog.Warningf("kubelet: %s/%s: %v", p.Namespace, p.Name, err)
		} else {
			select {
			case <-r.running:
			default:
				close(r.running)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			select {
			case <-ctx.Done():
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			case <-exited:
			}
		}
		if log != nil {
			_ = log.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		if pause < 10*time.Second {
			pause *= 2
		}
	}
}

// probe waits for the program to start and its readiness probe (HTTP GET or TCP, from the host to the Pod's
// address) to pass (without a probe: started is ready, as a kubelet says), then writes the Pod's status.
func (k *kubelet) probe(ctx context.Context, p *v1.Pod, r *podRun) {
	rp := p.Spec.Containers[0].ReadinessProbe
	deadline := time.Now().Add(5 * time.Minute)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		k.mu.Lock()
		_, alive := k.pods[r.uid]
		k.mu.Unlock()
		if !alive {
			return
		}
		started := false
		select {
		case <-r.running:
			started = true
		default:
		}
		if started && (rp == nil || probeOnce(p, rp, r.ip)) {
			r.ready = true
			k.writeStatus(ctx, p, r, "", "")
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func probeOnce(p *v1.Pod, rp *v1.Probe, ip net.IP) bool {
	port := func(v intstr.IntOrString) string {
		if v.Type == intstr.Int {
			return strconv.Itoa(v.IntValue())
		}
		for _, cp := range p.Spec.Containers[0].Ports {
			if cp.Name == v.StrVal {
				return strconv.Itoa(int(cp.ContainerPort))
			}
		}
		return v.StrVal
	}
	switch {
	case rp.HTTPGet != nil:
		c := http.Client{Timeout: 2 * time.Second}
		res, err := c.Get(fmt.Sprintf("http://%s%s", net.JoinHostPort(ip.String(), port(rp.HTTPGet.Port)), rp.HTTPGet.Path))
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode >= 200 && res.StatusCode < 400
	case rp.TCPSocket != nil:
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), port(rp.TCPSocket.Port)), 2*time.Second)
		if err != nil {
			return false
		}
		_ = conn.Close()
		return true
	}
	return true
}

func (k *kubelet) writeStatus(ctx context.Context, p *v1.Pod, r *podRun, reason, message string) {
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := k.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil || cur.UID != p.UID {
			return
		}
		now := metav1.Now()
		c := cur.Spec.Containers[0]
		cond := func(t v1.PodConditionType, ok bool) v1.PodCondition {
			s := v1.ConditionFalse
			if ok {
				s = v1.ConditionTrue
			}
			return v1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
		}
		st := v1.PodStatus{HostIP: k.gateway.String(), HostIPs: []v1.HostIP{{IP: k.gateway.String()}}, StartTime: &now}
		if r == nil {
			st.Phase = v1.PodPending
			st.Conditions = []v1.PodCondition{cond(v1.PodScheduled, true), cond(v1.PodReady, false)}
			st.Conditions[1].Reason, st.Conditions[1].Message = reason, message
			st.ContainerStatuses = []v1.ContainerStatus{{Name: c.Name, Image: c.Image, State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason, Message: message}}}}
		} else {
			started := metav1.NewTime(r.started)
			st.StartTime = &started
			st.Phase = v1.PodRunning
			st.PodIP, st.PodIPs = r.ip.String(), []v1.PodIP{{IP: r.ip.String()}}
			st.Conditions = []v1.PodCondition{cond(v1.PodScheduled, true), cond(v1.PodInitialized, true), cond(v1.ContainersReady, r.ready), cond(v1.PodReady, r.ready)}
			st.ContainerStatuses = []v1.ContainerStatus{{Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: r.ready, Started: &r.ready, State: v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: started}}}}
		}
		cur.Status = st
		_, err = k.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) {
			return
		}
	}
}

func (k *kubelet) forget(uid string) {
	k.mu.Lock()
	r := k.pods[uid]
	delete(k.pods, uid)
	delete(k.backoff, uid)
	k.mu.Unlock()
	if r != nil {
		k.teardown(r)
	}
}

func (k *kubelet) teardown(r *podRun) {
	if r.cancel != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
		}
	}
	_ = exec.Command("ip", "link", "del", r.host).Run()
	_ = exec.Command("ip", "netns", "del", r.ns).Run()
	_ = os.RemoveAll(r.dir)
	k.mu.Lock()
	delete(k.used, r.ip.String())
	k.mu.Unlock()
}

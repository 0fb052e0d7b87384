package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	gwconsts "sigs.k8s.io/gateway-api/pkg/consts"
)

// installCRDs creates every CustomResourceDefinition found in dir/*.yaml (other
// documents, such as a ValidatingAdmissionPolicy, are left out) and waits until
// each is Established. Gateway API CRDs must carry the bundle version of the
// gateway-api module this program is built with (go.mod pins it), so the CRDs
// and the module can never drift apart. Returns the CRD names, sorted.
func installCRDs(ctx context.Context, cfg *rest.Config, dir string, timeout time.Duration) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD files in %s", dir)
	}
	sort.Strings(files)
	client, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var crd apiextv1.CustomResourceDefinition
			if err := dec.Decode(&crd); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			if v, ok := crd.Annotations[gwconsts.BundleVersionAnnotation]; ok && v != gwconsts.BundleVersion {
				return nil, fmt.Errorf("%s: CRD %s is Gateway API %s, the module pinned in go.mod is %s", f, crd.Name, v, gwconsts.BundleVersion)
			}
			if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
				return nil, fmt.Errorf("create CRD %s: %w", crd.Name, err)
			}
			names = append(names, crd.Name)
		}
	}
	deadline := time.Now().Add(timeout)
	for _, n := range names {
		for {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, n, metav1.GetOptions{})
			if err == nil && established(crd) {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("CRD %s not established within %s", n, timeout)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	sort.Strings(names)
	return names, nil
}

func established(crd *apiextv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
			return true
		}
	}
	return false
}

// gatewayCRDDir is where the build script put the Gateway API CRDs of a channel
// (beside the binary: crds/<channel>), or "" for channel "none".
func gatewayCRDDir(channel string) (string, error) {
	switch channel {
	case "none":
		return "", nil
	case "standard", "experimental":
	default:
		return "", fmt.Errorf("-gateway-api-channel %q: want standard, experimental or none", channel)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(exe), "crds", channel), nil
}

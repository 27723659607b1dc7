package kernel

// Containers behind network namespaces: the container a process runs in,
// from the cgroup path each runtime gives its containers
// (/proc/PID/cgroup), and its name, pod and pod namespace from the
// runtime's own state on disk, read under the tree's top like every other
// file (ARCHITECTURE.md, "Namespaces"). No runtime is asked over its API.

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Container runtimes, as the namespaces table names them.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
	RuntimeLXC        = "lxc"
	RuntimeNspawn     = "systemd-nspawn"
)

// Container is what is known of the container a process runs in.
type Container struct {
	ID      string // the runtime's id (64 hex digits); the name for lxc and systemd-nspawn
	Runtime string // one of the Runtime* words; "" when the cgroup path does not tell
	Name    string // the container's name, from the runtime's state
	Pod     string // Kubernetes pod name
	PodNS   string // Kubernetes namespace of the pod
	PodUID  string // Kubernetes pod UID, from the cgroup path
}

var (
	hexID = `([0-9a-f]{64})`
	// The last path element a runtime gives a container's cgroup, systemd
	// driver (a scope) or cgroupfs driver.
	scopePatterns = []struct {
		re      *regexp.Regexp
		runtime string
	}{
		{regexp.MustCompile(`^docker-` + hexID + `\.scope$`), RuntimeDocker},
		{regexp.MustCompile(`^cri-containerd-` + hexID + `\.scope$`), RuntimeContainerd},
		{regexp.MustCompile(`^crio-` + hexID + `\.scope$`), RuntimeCRIO},
		{regexp.MustCompile(`^libpod-` + hexID + `(\.scope)?$`), RuntimePodman},
	}
	podSlice  = regexp.MustCompile(`^kubepods(?:-[a-z]+)?-pod([0-9a-f_]{36})\.slice$`)
	podDir    = regexp.MustCompile(`^pod([0-9a-f-]{36})$`)
	bareID    = regexp.MustCompile(`^` + hexID + `$`)
	machineRe = regexp.MustCompile(`^machine-(.+)\.scope$`)
)

// ParseContainerCgroup finds the container in one cgroup path
// ("/system.slice/docker-<id>.scope"): the runtime's scope or directory
// for the container, the pod UID of a Kubernetes pod's slice. ok is false
// for a path that is no container's.
func ParseContainerCgroup(path string) (Container, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var ct Container
	for i, part := range parts {
		if m := podSlice.FindStringSubmatch(part); m != nil {
			ct.PodUID = strings.ReplaceAll(m[1], "_", "-")
			continue
		}
		if m := podDir.FindStringSubmatch(part); m != nil && i > 0 && strings.HasPrefix(parts[0], "kubepods") {
			ct.PodUID = m[1]
			continue
		}
		for _, p := range scopePatterns {
			if m := p.re.FindStringSubmatch(part); m != nil {
				ct.ID, ct.Runtime = m[1], p.runtime
			}
		}
		if ct.ID != "" {
			continue
		}
		switch {
		case bareID.MatchString(part) && i > 0 && parts[i-1] == "docker":
			ct.ID, ct.Runtime = part, RuntimeDocker
		case bareID.MatchString(part) && ct.PodUID != "":
			ct.ID = part // a kubelet with the cgroupfs driver: the runtime is not in the path
		case strings.HasPrefix(part, "lxc.payload."):
			ct.ID, ct.Runtime = strings.TrimPrefix(part, "lxc.payload."), RuntimeLXC
		case i > 0 && parts[i-1] == "lxc":
			ct.ID, ct.Runtime = part, RuntimeLXC
		case i > 0 && parts[i-1] == "machine.slice" && machineRe.MatchString(part):
			name := unescapeSystemd(machineRe.FindStringSubmatch(part)[1])
			// libvirt's machines (qemu-1-vm) are virtual machines, not containers.
			if !strings.HasPrefix(name, "qemu-") {
				ct.ID, ct.Runtime, ct.Name = name, RuntimeNspawn, name
			}
		}
	}
	return ct, ct.ID != ""
}

// unescapeSystemd undoes systemd's escaping of a unit name (\x2d for -).
func unescapeSystemd(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ProcessContainer returns the container of a process from
// /proc/PID/cgroup (every hierarchy's line is looked at, cgroup v1 or v2)
// and names it from its runtime's state. ok is false for a process in no
// container, or one that could not be read.
func ProcessContainer(c *Collector, pid int64) (Container, bool) {
	data, err := c.ReadFile(c.src.ProcPath(strconv.FormatInt(pid, 10), "cgroup"))
	if err != nil {
		return Container{}, false
	}
	for _, line := range Lines(data) {
		parts := strings.SplitN(string(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if ct, ok := ParseContainerCgroup(parts[2]); ok {
			nameContainer(c, &ct)
			return ct, true
		}
	}
	return Container{}, false
}

// The runtimes' state, under the tree's top.
var (
	dockerConfig     = []string{"var", "lib", "docker", "containers"}                                           // ID/config.v2.json
	storageJSON      = []string{"var", "lib", "containers", "storage", "overlay-containers", "containers.json"} // podman's names
	storageBundles   = [][]string{{"run", "containers", "storage", "overlay-containers"}, {"var", "lib", "containers", "storage", "overlay-containers"}}
	containerdBundle = []string{"run", "containerd", "io.containerd.runtime.v2.task"} // NAMESPACE/ID/config.json
)

// nameContainer fills the name, pod and pod namespace of ct from the
// state its runtime keeps, trying the runtimes' files in turn when the
// cgroup path did not tell which runtime it is. A state file that is
// missing, unreadable or not the JSON expected leaves the names empty.
func nameContainer(c *Collector, ct *Container) {
	if ct.Runtime == RuntimeLXC || ct.Runtime == RuntimeNspawn {
		if ct.Name == "" {
			ct.Name = ct.ID
		}
		return
	}
	try := []string{ct.Runtime}
	if ct.Runtime == "" {
		try = []string{RuntimeContainerd, RuntimeCRIO, RuntimeDocker}
	}
	for _, rt := range try {
		var found bool
		switch rt {
		case RuntimeDocker:
			found = dockerNames(c, ct)
		case RuntimeContainerd:
			found = ociBundleNames(c, ct, containerdBundles(c, ct.ID))
		case RuntimeCRIO:
			found = ociBundleNames(c, ct, crioBundles(c, ct.ID))
		case RuntimePodman:
			found = podmanNames(c, ct)
		}
		if found {
			ct.Runtime = rt
			return
		}
	}
}

// readState reads a runtime's JSON file into v; false when it is missing,
// unreadable or not that JSON.
func readState(c *Collector, path string, v any) bool {
	if path == "" {
		return false
	}
	data, err := c.ReadFile(path)
	if err != nil {
		// Missing or not ours to read: no names. Anything else (a FIFO,
		// a file over the cap) is said, and still only costs the names.
		if _, skip := SkipReason(err); !skip {
			c.Notice(err.Error() + ": container names from it are NULL")
		}
		return false
	}
	return json.Unmarshal(data, v) == nil
}

// dockerNames reads containers/ID/config.v2.json: the name ("/web") and,
// for a container a kubelet made through docker, the pod's labels.
func dockerNames(c *Collector, ct *Container) bool {
	var cfg struct {
		Name   string
		Config struct {
			Labels map[string]string
		}
	}
	if !readState(c, c.src.RootPath(append(dockerConfig, ct.ID, "config.v2.json")...), &cfg) {
		return false
	}
	ct.Name = strings.TrimPrefix(cfg.Name, "/")
	labels := cfg.Config.Labels
	if labels["io.kubernetes.pod.name"] != "" {
		ct.Pod, ct.PodNS = labels["io.kubernetes.pod.name"], labels["io.kubernetes.pod.namespace"]
		ct.Name = labels["io.kubernetes.container.name"]
	}
	return true
}

// podmanNames reads the names of containers/storage's containers.json,
// which podman's containers share.
func podmanNames(c *Collector, ct *Container) bool {
	list, _ := Memoize(c, "podman.containers", func() (map[string]string, error) {
		var entries []struct {
			ID    string   `json:"id"`
			Names []string `json:"names"`
		}
		names := map[string]string{}
		if readState(c, c.src.RootPath(storageJSON...), &entries) {
			for _, e := range entries {
				if len(e.Names) > 0 {
					names[e.ID] = e.Names[0]
				}
			}
		}
		return names, nil
	})
	name, ok := list[ct.ID]
	ct.Name = name
	return ok
}

// containerdBundles are the OCI bundles containerd's shims keep for id,
// one per containerd namespace (k8s.io, moby, default, ...).
func containerdBundles(c *Collector, id string) []string {
	dir := c.src.RootPath(containerdBundle...)
	if dir == "" {
		return nil
	}
	entries, err := c.src.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name(), id, "config.json"))
		}
	}
	return out
}

// crioBundles are the OCI configs CRI-O keeps for id.
func crioBundles(c *Collector, id string) []string {
	var out []string
	for _, base := range storageBundles {
		if p := c.src.RootPath(base...); p != "" {
			out = append(out, filepath.Join(p, id, "userdata", "config.json"))
		}
	}
	return out
}

// ociBundleNames reads the annotations of the first OCI config of paths
// that exists: the Kubernetes names containerd's CRI plugin
// (io.kubernetes.cri.*) and CRI-O (io.kubernetes.*) put there.
func ociBundleNames(c *Collector, ct *Container, paths []string) bool {
	for _, path := range paths {
		var spec struct {
			Annotations map[string]string `json:"annotations"`
		}
		if !readState(c, path, &spec) {
			continue
		}
		a := spec.Annotations
		first := func(keys ...string) string {
			for _, k := range keys {
				if v := a[k]; v != "" {
					return v
				}
			}
			return ""
		}
		ct.Name = first("io.kubernetes.cri.container-name", "io.kubernetes.container.name")
		ct.Pod = first("io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name")
		ct.PodNS = first("io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace")
		if ct.PodUID == "" {
			ct.PodUID = first("io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid")
		}
		if ct.Name == "" {
			ct.Name = first("io.kubernetes.cri-o.Name", "nerdctl/name")
		}
		return true
	}
	return false
}

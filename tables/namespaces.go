package tables

import (
	"netsql/tables/engine"
	"netsql/tables/kernel"
)

// namespaceColumns declares the columns of Namespaces.
var namespaceColumns = []engine.Column{
	{Name: "netns", Type: engine.Integer, Doc: "inode of the network namespace (ns/net -> net:[INODE]); joins the netns column of every other table"},
	{Name: "name", Type: engine.Text, Doc: "its name in /run/netns (ip netns), the names joined by commas when it has several; NULL when it has none"},
	{Name: "pids", Type: engine.Integer, Doc: "processes in it that netsql could read (0 for a named namespace no process holds)"},
	{Name: "first_pid", Type: engine.Integer, Doc: "the lowest of those pids (a container's init, a pod's sandbox); NULL when none"},
	{Name: "container_id", Type: engine.Text, Doc: "id of the container first_pid runs in, from /proc/PID/cgroup (the name for lxc and systemd-nspawn); NULL when it runs in none"},
	{Name: "runtime", Type: engine.Text, Doc: "the container's runtime: docker, containerd, cri-o, podman, lxc or systemd-nspawn; NULL when neither the cgroup path nor the runtimes' state tells"},
	{Name: "container", Type: engine.Text, Doc: "the container's name, from the runtime's state (docker's config.v2.json, podman's containers.json, the Kubernetes annotations of containerd's and CRI-O's OCI config); NULL when not readable, and for a pod's sandbox (pause), which has none"},
	{Name: "pod", Type: engine.Text, Doc: "Kubernetes pod name, from the runtime's state; NULL outside a pod or when not readable"},
	{Name: "pod_namespace", Type: engine.Text, Doc: "Kubernetes namespace of the pod"},
	{Name: "pod_uid", Type: engine.Text, Doc: "Kubernetes pod UID, from the kubepods cgroup path"},
	{Name: "host", Type: engine.Integer, Doc: "1 for the namespace of PID 1 (the host's), else 0"},
	{Name: "self", Type: engine.Integer, Doc: "1 for the namespace netsql runs in, else 0"},
}

// Namespaces is every network namespace the statement reads: netsql's own
// by default, all it finds with --netns all (those of readable processes,
// and the named ones of /run/netns, which may have no process), or those
// --netns picks. It reads /proc/PID/ns/net of every process, /run/netns,
// and for the lowest pid of each namespace /proc/PID/cgroup and the state
// its container runtime keeps.
var Namespaces = &engine.Dataset{
	Name: "namespaces",
	Doc:  "one row per network namespace read, with the container behind it (ip netns, docker ps, crictl pods)",
	Sources: []string{"/proc/PID/ns/net", "/run/netns/*", "/proc/PID/cgroup", "/var/lib/docker/containers/ID/config.v2.json",
		"/var/lib/containers/storage/overlay-containers/containers.json (podman)",
		"/run/containerd/io.containerd.runtime.v2.task/NAMESPACE/ID/config.json",
		"/run/containers/storage/overlay-containers/ID/userdata/config.json (CRI-O)"},
	Columns:       namespaceColumns,
	Collect:       func(c *kernel.Collector) ([]engine.Row, error) { return namespacesWhere(c, nil) },
	Keys:          []engine.Key{netnsKey},
	Narrow:        netnsNarrowFunc(namespacesWhere),
	EstimatedRows: 5,
	Diff:          engine.DiffSpec{Key: []string{"netns"}, Volatile: []string{"pids", "first_pid"}},
}

// namespacesWhere lists the namespaces of the scope that only allows (nil:
// all).
func namespacesWhere(c *kernel.Collector, only map[int64]bool) ([]engine.Row, error) {
	list, err := kernel.KnownNetns(c)
	if err != nil {
		return nil, err
	}
	rows := make([]engine.Row, 0, len(list))
	for _, ns := range list {
		if only != nil && !only[ns.Inode] {
			continue
		}
		r := make(engine.Row, len(namespaceColumns))
		r[0] = netnsValue(ns)
		if len(ns.Names) > 0 {
			r[1] = joinNames(ns.Names)
		}
		r[2] = ns.PIDs
		if ns.FirstPID != 0 {
			r[3] = ns.FirstPID
			if ct, ok := kernel.ProcessContainer(c, ns.FirstPID); ok {
				r[4] = ct.ID
				r[5], r[6], r[7], r[8], r[9] = orNull(ct.Runtime), orNull(ct.Name), orNull(ct.Pod), orNull(ct.PodNS), orNull(ct.PodUID)
			}
		}
		r[10], r[11] = asFlag01(ns.Host), asFlag01(ns.Self)
		rows = append(rows, r)
	}
	return rows, nil
}

func joinNames(names []string) string {
	out := names[0]
	for _, n := range names[1:] {
		out += "," + n
	}
	return out
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

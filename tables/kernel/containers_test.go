package kernel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The cgroup paths each runtime gives its containers, as /proc/PID/cgroup
// shows them (cgroup v2, and v1's per-hierarchy lines).
func TestParseContainerCgroup(t *testing.T) {
	const id = "3f1c2b7e9a0d4c5b8e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
	for _, tc := range []struct {
		path string
		want Container
		ok   bool
	}{
		{"/system.slice/docker-" + id + ".scope", Container{ID: id, Runtime: RuntimeDocker}, true},
		{"/docker/" + id, Container{ID: id, Runtime: RuntimeDocker}, true},
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9.slice/cri-containerd-" + id + ".scope",
			Container{ID: id, Runtime: RuntimeContainerd, PodUID: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}, true},
		{"/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9.slice/crio-" + id + ".scope",
			Container{ID: id, Runtime: RuntimeCRIO, PodUID: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}, true},
		{"/kubepods/besteffort/pod0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9/" + id,
			Container{ID: id, PodUID: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}, true}, // cgroupfs driver: runtime unknown
		{"/machine.slice/libpod-" + id + ".scope/container", Container{ID: id, Runtime: RuntimePodman}, true},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope", Container{ID: id, Runtime: RuntimePodman}, true},
		{"/lxc.payload.web1/init.scope", Container{ID: "web1", Runtime: RuntimeLXC}, true},
		{"/lxc/web1", Container{ID: "web1", Runtime: RuntimeLXC}, true},
		{`/machine.slice/machine-db\x2d1.scope/init.scope`, Container{ID: "db-1", Runtime: RuntimeNspawn, Name: "db-1"}, true},
		// Not containers: conmon beside one, a virtual machine, a service, a short id.
		{"/machine.slice/libpod-conmon-" + id + ".scope", Container{}, false},
		{"/system.slice/crio-conmon-" + id + ".scope", Container{}, false},
		{`/machine.slice/machine-qemu\x2d1\x2dvm.scope`, Container{}, false},
		{"/system.slice/docker.service", Container{}, false},
		{"/docker/3f1c2b7e", Container{}, false},
		{"/", Container{}, false},
	} {
		got, ok := ParseContainerCgroup(tc.path)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseContainerCgroup: any path parses without a panic, and a
// container found has an id.
func FuzzParseContainerCgroup(f *testing.F) {
	f.Add("/system.slice/docker-3f1c2b7e9a0d4c5b8e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f.scope")
	f.Add(`/machine.slice/machine-\x2.scope`)
	f.Add("/kubepods/pod0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9/x")
	f.Fuzz(func(t *testing.T, path string) {
		if ct, ok := ParseContainerCgroup(path); ok && ct.ID == "" {
			t.Errorf("%q: a container without an id", path)
		}
	})
}

func TestUnescapeSystemd(t *testing.T) {
	for in, want := range map[string]string{`db\x2d1`: "db-1", `a\x2`: `a\x2`, `\xzz`: `\xzz`, "plain": "plain"} {
		if got := unescapeSystemd(in); got != want {
			t.Errorf("unescapeSystemd(%q) = %q, want %q", in, got, want)
		}
	}
	if diff := cmp.Diff("x", "x"); diff != "" {
		t.Fatal(diff)
	}
}

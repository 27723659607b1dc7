package kernel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Lines numbers every line from 1, blank ones included, keeps a last line
// without a newline, and has no line length limit (a 64 KiB cgroup path
// was lost by the bufio.Scanner it replaces).
func TestLines(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	data := "one\n\nthree\n" + long + "\nlast"
	var got []string
	var nums []int
	for num, line := range Lines([]byte(data)) {
		nums = append(nums, num)
		got = append(got, string(line))
	}
	if diff := cmp.Diff([]string{"one", "", "three", long, "last"}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff[:min(len(diff), 500)])
	}
	if !cmp.Equal(nums, []int{1, 2, 3, 4, 5}) {
		t.Errorf("numbers %v", nums)
	}
	if path, ok := CgroupPath([]byte("1:cpu:/a\n0::/" + long + "\n")); !ok || path != "/"+long {
		t.Errorf("CgroupPath of a long v2 line: %d bytes, ok %v", len(path), ok)
	}
}

package output

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newTestPager returns a Pager on a terminal of 40 columns and 10 rows
// whose command copies what it is given to a file, and that file's path.
func newTestPager(t *testing.T, direct *bytes.Buffer) (*Pager, string) {
	t.Helper()
	dir := t.TempDir()
	term, err := os.Create(filepath.Join(dir, "terminal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Close() })
	paged := filepath.Join(dir, "paged")
	return NewPager("cat > "+paged, term, direct, 40, 10, &bytes.Buffer{}), paged
}

func TestPagerShortOutputGoesDirect(t *testing.T) {
	var direct bytes.Buffer
	p, paged := newTestPager(t, &direct)
	text := strings.Repeat("a line\n", 9) // 9 lines and the prompt fill 10 rows
	fmt.Fprint(p, text)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if direct.String() != text || p.Started() {
		t.Errorf("direct %q, started %v", direct.String(), p.Started())
	}
	if _, err := os.Stat(paged); err == nil {
		t.Error("the pager ran for output that fits the screen")
	}
}

func TestPagerLongOutput(t *testing.T) {
	for name, text := range map[string]string{
		"many lines":       strings.Repeat("a line\n", 10),
		"long lines":       strings.Repeat(strings.Repeat("x", 100)+"\n", 4), // 3 rows each
		"one endless line": strings.Repeat("y", 400),
	} {
		var direct bytes.Buffer
		p, paged := newTestPager(t, &direct)
		for chunk := range strings.SplitAfterSeq(text, "\n") {
			if _, err := p.Write([]byte(chunk)); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(paged)
		if string(got) != text || direct.Len() != 0 || !p.Started() {
			t.Errorf("%s: paged %q, direct %q", name, got, direct.String())
		}
	}
}

// TestPagerLeftEarly: when the user leaves the pager, writing fails (the
// runner stops the statement) instead of blocking.
func TestPagerLeftEarly(t *testing.T) {
	var direct bytes.Buffer
	p, _ := newTestPager(t, &direct)
	p.command = "head -n 1 >/dev/null"
	line := []byte(strings.Repeat("z", 39) + "\n")
	var err error
	for i := 0; i < 1<<20 && err == nil; i++ {
		_, err = p.Write(line)
	}
	if err == nil {
		t.Fatal("writing to a pager that has exited never failed")
	}
	p.Close()
}

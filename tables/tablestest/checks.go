package tablestest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ProcnetCmpOptions compares parser rows: netip values by ==, and a nil
// result equal to an empty one.
var ProcnetCmpOptions = cmp.Options{
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

// SkipUnlessLittleEndian guards fixtures copied from an x86 kernel: their
// addresses are native-endian words, so they read differently elsewhere.
func SkipUnlessLittleEndian(t testing.TB) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixtures are little-endian kernel text")
	}
}

// CheckLineError checks that err names line wantLine, mentions wantText and
// wraps sentinel (kernel.ErrMalformed).
func CheckLineError(t *testing.T, err, sentinel error, wantLine int, wantText string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming line %d and %q", wantLine, wantText)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %v", err, sentinel)
	}
	if prefix := fmt.Sprintf("line %d: ", wantLine); !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q does not start with %q", err, prefix)
	}
	if !strings.Contains(err.Error(), wantText) {
		t.Errorf("error %q does not mention %q", err, wantText)
	}
}

var lineNumberPrefix = regexp.MustCompile(`^line ([0-9]+): `)

// CheckFuzzError checks the error half of the fuzz property: no rows, an
// error wrapping ErrMalformed, and a line number within the text.
func CheckFuzzError(t *testing.T, sentinel error, data []byte, rows any, err error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q does not wrap %v", err, sentinel)
	}
	match := lineNumberPrefix.FindStringSubmatch(err.Error())
	if match == nil {
		t.Fatalf("error %q does not start with a line number", err)
	}
	line, _ := strconv.Atoi(match[1])
	if lineCount := strings.Count(string(data), "\n") + 1; line < 1 || line > lineCount {
		t.Fatalf("error %q names a line outside 1..%d", err, lineCount)
	}
	if fmt.Sprint(rows) != "[]" {
		t.Fatalf("rows %v returned with error %q", rows, err)
	}
}

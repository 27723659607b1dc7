package kernel

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// A refusal is ErrRefused and still its errno; another failure is neither.
func TestRefusalKeepsTheErrno(t *testing.T) {
	err := Refusal("rtnetlink", fmt.Errorf("dial: %w", unix.EPERM))
	var refused *RefusedError
	if !errors.Is(err, ErrRefused) || !errors.Is(err, unix.EPERM) || !errors.As(err, &refused) {
		t.Fatalf("EPERM: %v is not a refusal keeping its errno", err)
	}
	if refused.Reason() != "operation not permitted" || err.Error() != "rtnetlink: operation not permitted" {
		t.Errorf("reason %q, text %q", refused.Reason(), err)
	}
	if err := Refusal("rtnetlink", unix.EMFILE); errors.Is(err, ErrRefused) || !errors.Is(err, unix.EMFILE) {
		t.Errorf("EMFILE became %v; want it unchanged, not a refusal", err)
	}
	if Refusal("rtnetlink", nil) != nil {
		t.Error("no error became one")
	}
	if again := Refusal("other", err); again != err {
		t.Errorf("a refusal wrapped twice: %v", again)
	}
}

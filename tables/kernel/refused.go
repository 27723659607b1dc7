package kernel

import (
	"errors"

	"golang.org/x/sys/unix"
)

// ErrRefused marks a netlink request this process may not make here: no
// permission, a sandbox, a kernel without the family or the diag module.
// The dataset then reads its files instead (the catalogue decides that);
// any other failure is an error worth reporting.
var ErrRefused = errors.New("netlink refused")

// RefusedError is a refusal that keeps what was refused and why: it is
// ErrRefused for errors.Is, and unwraps to the errno.
type RefusedError struct {
	What string // "rtnetlink", "sock_diag dump", ...
	Err  error  // the errno, or what the kernel answered
}

func (e *RefusedError) Error() string        { return e.What + ": " + e.Reason() }
func (e *RefusedError) Unwrap() error        { return e.Err }
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Reason is the short text of the refusal: "operation not permitted".
func (e *RefusedError) Reason() string {
	var errno unix.Errno
	if errors.As(e.Err, &errno) {
		return errno.Error()
	}
	return e.Err.Error()
}

// refusingErrnos are the errnos that mean "not here" rather than "failed".
var refusingErrnos = []unix.Errno{unix.EPERM, unix.EACCES, unix.EPROTONOSUPPORT, unix.EAFNOSUPPORT, unix.EOPNOTSUPP}

// Refusal returns err as a *RefusedError when its errno means the request
// is not allowed or not supported here, and err unchanged otherwise.
func Refusal(what string, err error) error {
	if err == nil || errors.Is(err, ErrRefused) {
		return err
	}
	for _, errno := range refusingErrnos {
		if errors.Is(err, errno) {
			return &RefusedError{What: what, Err: err}
		}
	}
	return err
}

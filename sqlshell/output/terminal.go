package output

import (
	"os"

	"golang.org/x/sys/unix"
)

// TerminalSize returns the columns and rows of the terminal f, or zeros
// when f is not a terminal or its size is not set (a pseudo-terminal
// nobody sized, some serial consoles).
func TerminalSize(f *os.File) (cols, rows int) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return int(ws.Col), int(ws.Row)
}

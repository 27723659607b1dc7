package output

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// PagerCommand is the pager the prompt uses: $PAGER when it is set (set
// and empty means none), else less -FRX when less is installed (quit when
// the text fits, pass escapes, leave the screen as it is), else none ("").
func PagerCommand() string {
	if command, ok := os.LookupEnv("PAGER"); ok {
		return command
	}
	if _, err := exec.LookPath("less"); err == nil {
		return "less -FRX"
	}
	return ""
}

// Pager is where output that may be longer than the screen goes: it holds
// the output until it is longer than rows-1 lines of cols columns (the
// last line is the prompt's), then starts the pager command (through
// sh -c) on the terminal and hands it everything; output that fits is
// written to direct when the Pager is closed.
type Pager struct {
	command    string
	term       *os.File // the pager's output
	direct     io.Writer
	cols, rows int
	errOut     io.Writer // where a pager that cannot start is said

	held      []byte
	lineStart int // where the unfinished last line starts in held
	lines     int // screen lines the finished lines take
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	failed    bool // the command did not start: everything goes to direct
}

// NewPager returns a Pager for a terminal of cols columns and rows rows.
func NewPager(command string, term *os.File, direct io.Writer, cols, rows int, errOut io.Writer) *Pager {
	return &Pager{command: command, term: term, direct: direct, cols: max(cols, 1), rows: rows, errOut: errOut}
}

// Write holds p, or hands it to the pager once it has started. An error
// after the pager started (EPIPE) means the user left the pager.
func (p *Pager) Write(b []byte) (int, error) {
	switch {
	case p.stdin != nil:
		return p.stdin.Write(b)
	case p.failed:
		return p.direct.Write(b)
	}
	p.held = append(p.held, b...)
	for {
		i := bytes.IndexByte(p.held[p.lineStart:], '\n')
		if i < 0 {
			break
		}
		width := twwidth.Width(string(p.held[p.lineStart : p.lineStart+i]))
		p.lines += max(1, (width+p.cols-1)/p.cols)
		p.lineStart += i + 1
	}
	// A last line longer than the whole screen needs no counting.
	if p.lines <= p.rows-1 && len(p.held)-p.lineStart < p.rows*p.cols {
		return len(b), nil
	}
	if err := p.start(); err != nil {
		return 0, err
	}
	return len(b), nil
}

// start runs the pager and gives it what is held.
func (p *Pager) start() error {
	cmd := exec.Command("/bin/sh", "-c", p.command)
	cmd.Stdout, cmd.Stderr = p.term, p.term
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(p.errOut, "warning: pager %q: %v\n", p.command, err)
		p.failed = true
		held := p.held
		p.held = nil
		_, err := p.direct.Write(held)
		return err
	}
	p.cmd, p.stdin = cmd, stdin
	held := p.held
	p.held = nil
	_, err = stdin.Write(held)
	return err
}

// Started tells whether the pager command runs (the output was longer
// than the screen).
func (p *Pager) Started() bool { return p.stdin != nil }

// Close writes what is held to direct when no pager started, or ends the
// pager's input and waits until the user leaves it.
func (p *Pager) Close() error {
	if p.cmd == nil {
		held := p.held
		p.held = nil
		if len(held) == 0 {
			return nil
		}
		_, err := p.direct.Write(held)
		return err
	}
	p.stdin.Close()
	p.cmd.Wait() // the pager's exit status is the user's business (q in less)
	p.cmd = nil
	return nil
}

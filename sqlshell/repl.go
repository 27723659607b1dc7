package sqlshell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"

	"netsql/sqlshell/prompt"
	"netsql/sqlshell/sqltext"

	"github.com/chzyer/readline"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// The prompts: the continuation prompt lines up with the first.
const (
	mainPrompt         = "netsql> "
	continuationPrompt = "   ...> "
)

// REPLOptions configure the interactive prompt.
type REPLOptions struct {
	In           *os.File  // the terminal the user types on
	Out          io.Writer // where prompts and the banner go: the terminal
	Version      string
	HistoryFile  string // "" keeps no history
	InitFile     string // run before the first prompt; "" for none
	InitRequired bool   // a missing InitFile is an error (--init), not silence (~/.netsqlrc)
}

// REPL reads statements and dot-commands from the terminal and runs them
// until Ctrl-D or .quit, which return nil. An error in a statement never
// ends the session: it is printed and the prompt returns. Ctrl-C cancels
// the running statement, or clears the line at the prompt. Cancelling ctx
// (SIGTERM) ends the session with ctx's error.
func (s *Shell) REPL(ctx context.Context, opt REPLOptions) error {
	ss := newSession(s)
	defer ss.closeOutput()
	ss.pager = true // long results page at the prompt, not in one-shot runs
	// SIGINT reaches us only while a command runs: at the prompt the
	// terminal is raw and readline reads Ctrl-C as a key.
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	// run runs one command, cancelled by Ctrl-C, and reports its error.
	run := func(fn func(ctx context.Context) error) {
		cmdCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			select {
			case <-interrupts:
				cancel()
			case <-done:
			}
		}()
		err := fn(cmdCtx)
		close(done)
		cancel()
		ss.report(err)
	}

	ss.completing = true
	ss.loadFunctions(ctx)
	ss.refreshTables(ctx)
	var pending pendingText // the statement typed so far, over lines
	rl, err := newReadline(opt, &prompt.Completer{Vocab: ss.vocab, Commands: promptCommands, Resolve: resolveDotName, Pending: pending.get})
	if err != nil {
		return fmt.Errorf("start the prompt: %w", err)
	}
	defer rl.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			rl.Close() // ends the Readline in progress
		case <-stop:
		}
	}()

	hist := ss.openHistory(rl, opt.HistoryFile)
	banner(opt.Out, opt.Version)
	if opt.InitFile != "" {
		data, err := os.ReadFile(opt.InitFile)
		switch {
		case err == nil:
			run(func(ctx context.Context) error {
				return ss.inRun(string(data), func() error { return ss.runText(ctx, origin{name: opt.InitFile}, string(data)) })
			})
		case opt.InitRequired || !errors.Is(err, os.ErrNotExist):
			ss.report(fmt.Errorf("--init: %w", err))
		}
	}

	for !ss.quit {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// An interrupt that came after the last command ended is stale.
		select {
		case <-interrupts:
		default:
		}
		text := pending.get()
		if text == "" {
			rl.SetPrompt(mainPrompt)
		} else {
			rl.SetPrompt(continuationPrompt)
		}
		line, err := rl.Readline()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, readline.ErrInterrupt):
			pending.set("") // Ctrl-C drops the statement being typed
			continue
		case errors.Is(err, io.EOF):
			ss.endPending(rl, hist, text, run)
			return nil
		case err != nil:
			return err
		}
		if text == "" && isDotLine(line) {
			hist.add(rl, strings.TrimSpace(line))
			run(func(ctx context.Context) error {
				return ss.inRun(line, func() error { return ss.dot(ctx, promptOrigin, line) })
			})
			continue
		}
		text += line + "\n"
		switch {
		case noStatement(text):
			pending.set("") // blank lines and comments: nothing to wait for
		case !sqltext.Complete(text):
			pending.set(text)
		default:
			pending.set("")
			hist.add(rl, prompt.HistoryEntry(text))
			run(func(ctx context.Context) error {
				return ss.inRun(text, func() error { return ss.runStatements(ctx, promptOrigin, text, 1) })
			})
		}
	}
	return nil
}

// endPending deals with the statement being typed when Ctrl-D leaves the
// prompt: it runs when it lacks only its `;` (sqlite3 runs what is left at
// the end of its input), and is dropped, said in one line, when it could
// not end there (an open string, comment or trigger body).
func (ss *session) endPending(rl *readline.Instance, hist *promptHistory, text string, run func(func(context.Context) error)) {
	if strings.TrimSpace(text) == "" {
		return
	}
	if !sqltext.Complete(text + "\n;") {
		entry := []rune(prompt.HistoryEntry(text))
		if len(entry) > 60 {
			entry = append(entry[:59], '…')
		}
		fmt.Fprintf(ss.sh.errOut, "dropped the unfinished statement: %s\n", string(entry))
		return
	}
	hist.add(rl, prompt.HistoryEntry(text))
	run(func(ctx context.Context) error { return ss.runStatements(ctx, promptOrigin, text, 1) })
}

// pendingText is the statement typed so far; completion reads it from
// readline's goroutine.
type pendingText struct {
	mu   sync.Mutex
	text string
}

func (p *pendingText) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.text
}

func (p *pendingText) set(text string) {
	p.mu.Lock()
	p.text = text
	p.mu.Unlock()
}

// newReadline sets readline up on the terminal opt.In. Readline's own
// history stays in memory (promptHistory writes the file), and the width
// never reads as 0, which would turn Tab completion off.
func newReadline(opt REPLOptions, comp *prompt.Completer) (*readline.Instance, error) {
	fd := int(opt.In.Fd())
	raw := &rawMode{fd: fd}
	return readline.NewEx(&readline.Config{
		Prompt:                 mainPrompt,
		HistoryLimit:           prompt.HistoryLimit,
		DisableAutoSaveHistory: true, // a statement is saved once complete, as one entry
		HistorySearchFold:      true,
		AutoComplete:           comp,
		InterruptPrompt:        "^C",
		EOFPrompt:              "\n", // print only a newline
		Stdin:                  readline.NewCancelableStdin(opt.In),
		Stdout:                 opt.Out,
		Stderr:                 opt.Out,
		FuncGetWidth: func() int {
			if w, _, err := readline.GetSize(fd); err == nil && w > 0 {
				return w
			}
			return 80
		},
		FuncIsTerminal: func() bool { return readline.IsTerminal(fd) },
		FuncMakeRaw:    raw.enter,
		FuncExitRaw:    raw.exit,
	})
}

// report prints a command's error in one line; the session goes on.
func (ss *session) report(err error) {
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(ss.sh.errOut, "interrupted")
	default:
		fmt.Fprintf(ss.sh.errOut, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

// banner greets the user: the version, where help is, and whether every
// socket's owner can be seen.
func banner(w io.Writer, version string) {
	fmt.Fprintf(w, "netsql %s: this machine's sockets and processes as SQL tables. Enter .help for help.\n", version)
	if os.Geteuid() == 0 {
		fmt.Fprintln(w, "Running as root: every socket's owner can be seen.")
	} else {
		fmt.Fprintln(w, "Not running as root: sockets of other users' processes show no owner (pid NULL).")
	}
}

// promptHistory writes the prompt's history to its file as statements
// complete; the zero value keeps history in memory only.
type promptHistory struct {
	file   *prompt.HistoryFile
	last   string
	errOut io.Writer
}

// openHistory loads the history file into readline. A history that cannot
// be read or written is reported once and the session goes on without it.
func (ss *session) openHistory(rl *readline.Instance, path string) *promptHistory {
	h := &promptHistory{errOut: ss.sh.errOut}
	if path == "" {
		return h
	}
	file := &prompt.HistoryFile{Path: path}
	entries, err := file.Load()
	if err != nil {
		fmt.Fprintf(ss.sh.errOut, "warning: history %s: %v\n", path, err)
		return h
	}
	for _, e := range entries {
		rl.SaveHistory(e)
	}
	if len(entries) > 0 {
		h.last = entries[len(entries)-1]
	}
	h.file = file
	ss.history = path
	return h
}

// add records one entry: in readline for Up and Ctrl-R, and in the file.
func (h *promptHistory) add(rl *readline.Instance, entry string) {
	if entry == "" {
		return
	}
	rl.SaveHistory(entry)
	if h.file == nil || entry == h.last {
		return
	}
	h.last = entry
	if err := h.file.Add(entry); err != nil {
		fmt.Fprintf(h.errOut, "warning: history %s: %v\n", h.file.Path, err)
		h.file = nil
	}
}

// rawMode puts the terminal the user types on (not necessarily fd 0) in
// raw mode while readline reads a line, and restores it after, so that
// Ctrl-C sends SIGINT while a statement runs.
type rawMode struct {
	fd    int
	mu    sync.Mutex
	saved *readline.State
}

func (r *rawMode) enter() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := readline.MakeRaw(r.fd)
	if err != nil {
		return err
	}
	if r.saved == nil {
		r.saved = st
	}
	return nil
}

func (r *rawMode) exit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.saved == nil {
		return nil
	}
	st := r.saved
	r.saved = nil
	return readline.Restore(r.fd, st)
}

// clipWriter cuts lines wider than the terminal with a …, so that a wide
// table is not wrapped into garbage.
type clipWriter struct {
	w     io.Writer
	width int
	line  []byte
	cut   bool // some line was cut
	err   error
}

func (c *clipWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.line = append(c.line, p...)
			break
		}
		c.line = append(c.line, p[:i]...)
		c.emit("\n")
		p = p[i+1:]
	}
	if c.err != nil {
		return 0, c.err
	}
	return n, nil
}

// finish writes a last line that has no newline.
func (c *clipWriter) finish() {
	if len(c.line) > 0 && c.err == nil {
		c.emit("")
	}
}

func (c *clipWriter) emit(end string) {
	line := string(c.line)
	c.line = c.line[:0]
	if c.width > 1 && twwidth.Width(line) > c.width {
		line = twwidth.Truncate(line, c.width-1) + "…"
		c.cut = true
	}
	_, c.err = io.WriteString(c.w, line+end)
}

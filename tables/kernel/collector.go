package kernel

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Warning kinds counted during a statement and printed once at its end.
const (
	WarnProcessDenied   = "processes not readable (permission denied): run as root to see every owner"
	WarnProcessPartly   = "processes partly readable (permission denied): their exe or netns is NULL"
	WarnProcessVanished = "processes exited while being read (skipped)"
	WarnNetlinkRefused  = "socket protocols read from /proc instead: netlink sock_diag was refused (cookie, interface, backlog... are NULL)"
	WarnNetnsVanished   = "network namespaces vanished while being read (skipped)"
	WarnNetnsDenied     = "network namespaces not readable (permission denied): run as root to read every namespace"
)

// Collector is what a dataset's producer gets: where to read, the
// statement's context (for cancellation), a place to count what it had to
// skip, and values computed once per statement and shared between datasets
// (the socket owner map, the user names).
type Collector struct {
	src      *Source
	ctx      context.Context
	memoMu   sync.Mutex // memo: SQL functions may remember while a stream's producer reads
	memo     map[string]any
	progress *Progress
	sink     any    // func([]T) of SetSink, or nil
	columns  uint64 // SetColumns: the columns the running collection must fill
	pruned   bool   // whether columns is set (else every column is wanted)

	mu       sync.Mutex // warnings: the readers of several namespaces count at once
	warnings map[string]map[int64]bool

	// netns is the namespace a collector made by EachNetns reads (nil:
	// netsql's own); its warnings go to parent, its memo is its own, since
	// what it remembers (a link dump) belongs to its namespace.
	netns    *Netns
	parent   *Collector
	children map[int64]*Collector // by namespace inode, reused by every dataset of the statement
}

// NewCollector starts the reading session of one statement.
func NewCollector(ctx context.Context, src *Source) *Collector {
	return &Collector{src: src, ctx: ctx, memo: map[string]any{}, warnings: map[string]map[int64]bool{}, progress: &Progress{}}
}

// Progress is where the collection tells how far it got.
func (c *Collector) Progress() *Progress { return c.progress }

// SetProgress makes the collection report to p (the engine's, which a
// terminal's progress note reads while the statement runs).
func (c *Collector) SetProgress(p *Progress) { c.progress = p }

// Progress is what a collection has done so far: the dataset being read
// and how many processes were walked. It is written by the statement's
// goroutines and read by another (the progress note), so every field is
// atomic.
type Progress struct {
	dataset   atomic.Pointer[string]
	processes atomic.Int64
}

// Reset starts a statement's count.
func (p *Progress) Reset() {
	p.dataset.Store(nil)
	p.processes.Store(0)
}

// Reading records that the dataset name is being collected.
func (p *Progress) Reading(name string) { p.dataset.Store(&name) }

// AddProcess counts one process read.
func (p *Progress) AddProcess() { p.processes.Add(1) }

// Read returns the dataset being collected ("" before any) and the
// processes walked so far.
func (p *Progress) Read() (dataset string, processes int64) {
	if d := p.dataset.Load(); d != nil {
		dataset = *d
	}
	return dataset, p.processes.Load()
}

// Source is where the statement reads from.
func (c *Collector) Source() *Source { return c.src }

// Context is the statement's context: cancellation and --timeout.
func (c *Collector) Context() context.Context { return c.ctx }

// SetContext hands a collector kept across statements (.snapshot on) to
// the next statement's context.
func (c *Collector) SetContext(ctx context.Context) {
	c.ctx = ctx
	for _, child := range c.children {
		child.ctx = ctx
	}
}

// ClearWarnings forgets the warnings counted, once they were printed.
func (c *Collector) ClearWarnings() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.warnings)
}

// Err returns a non-nil error once the statement was cancelled; long
// collections check it between units of work.
func (c *Collector) Err() error { return c.ctx.Err() }

// Warn counts one thing (a pid) skipped for the given kind; the same id
// counts once per statement however many datasets skip it.
func (c *Collector) Warn(kind string, id int64) {
	if c.parent != nil {
		c.parent.Warn(kind, id)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warnings[kind] == nil {
		c.warnings[kind] = map[int64]bool{}
	}
	c.warnings[kind][id] = true
}

// noticeID marks a warning that is said once, without a count.
const noticeID = -1

// Notice records a warning said once per statement as it is, without a
// count ("netlink refused for routes ...: read /proc/net/route instead").
func (c *Collector) Notice(msg string) { c.Warn(msg, noticeID) }

// Warning is one kind of thing a statement skipped or read another way,
// counted once per statement however many datasets met it.
type Warning struct {
	Kind  string // what happened, for people: "processes exited while being read (skipped)"
	Count int    // how many distinct things (pids, protocols); 0 for a notice said as it is
}

// String is the warning's line on stderr.
func (w Warning) String() string {
	if w.Count == 0 {
		return "warning: " + w.Kind
	}
	kind := w.Kind
	if w.Count == 1 {
		kind = singular(kind)
	}
	return fmt.Sprintf("warning: %d %s", w.Count, kind)
}

// plurals are the words of warning kinds that change for a count of one,
// with their singular: kinds are written for many ("processes exited
// while being read"), and "1 processes" is not English.
var plurals = map[string]string{"processes": "process", "lines": "line", "protocols": "protocol",
	"settings": "setting", "their": "its", "them": "it", "namespaces": "namespace"}

// singular rewrites a kind for a count of one, word by word.
func singular(kind string) string {
	words := strings.Split(kind, " ")
	for i, w := range words {
		if one, ok := plurals[w]; ok {
			words[i] = one
		}
	}
	return strings.Join(words, " ")
}

// Warnings returns the statement's warnings, one per kind, in the order
// of their lines.
func (c *Collector) Warnings() []Warning {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := make([]Warning, 0, len(c.warnings))
	for kind, ids := range c.warnings {
		w := Warning{Kind: kind}
		if !ids[noticeID] {
			w.Count = len(ids)
		}
		list = append(list, w)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].String() < list[j].String() })
	return list
}

// Memoize returns the value computed once per statement under key. Two
// goroutines asking at once (a streamed collection and a SQL function)
// may both compute it; the first value stored is the one kept.
func Memoize[T any](c *Collector, key string, compute func() (T, error)) (T, error) {
	c.memoMu.Lock()
	v, ok := c.memo[key]
	c.memoMu.Unlock()
	if ok {
		t, _ := v.(T) // a nil stored for an interface type stays the zero value
		return t, nil
	}
	computed, err := compute()
	if err != nil {
		var zero T
		return zero, err
	}
	c.memoMu.Lock()
	defer c.memoMu.Unlock()
	if v, ok := c.memo[key]; ok {
		t, _ := v.(T)
		return t, nil
	}
	c.memo[key] = computed
	return computed, nil
}

// SetSink makes the collection hand the rows it reads to sink as it goes
// (nil stops it): the engine streams a statement's only scan this way
// while the read runs. Rows handed over are final, and they are, in
// order, the first rows of what the collection returns.
func SetSink[T any](c *Collector, sink func([]T)) { c.sink = sink }

// SetColumns tells the collection about to run that a statement reads only
// the columns of used (bit i for column i; bit 63 for column 63 and
// beyond, as SQLite's colUsed): a dataset may leave the others unset.
// ResetColumns undoes it.
func SetColumns(c *Collector, used uint64) { c.columns, c.pruned = used, true }

// ResetColumns makes every column wanted again.
func ResetColumns(c *Collector) { c.columns, c.pruned = 0, false }

// Columns returns what SetColumns set; ok is false when every column is
// wanted.
func Columns(c *Collector) (used uint64, ok bool) { return c.columns, c.pruned }

// Sink returns the function set by SetSink for rows of type T, or nil.
func Sink[T any](c *Collector) func([]T) {
	f, _ := c.sink.(func([]T))
	return f
}

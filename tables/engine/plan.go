package engine

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// readMode is how a statement reads one dataset, decided before its first
// row from every reference the statement makes to it (ARCHITECTURE.md, "One
// moment"). Whatever the mode, a dataset is read at one moment per
// statement and every scan is served from that read.
type readMode int

const (
	// readWhole collects the dataset once; every scan is served from it.
	// The safe default: any reference that cannot narrow, and anything the
	// plan does not understand, leads here.
	readWhole readMode = iota
	// readUnion makes one narrowed read of the union of the key values
	// every reference names, all of them constants known before the first
	// row (`state = 'LISTEN' OR state = 'UNCONN'`).
	readUnion
	// readPerValue reads each distinct value of one stable key once, as
	// scans ask for it (a join looking up processes by pid). Stable keys
	// never share a row between two values, so the reads cannot disagree.
	readPerValue
)

// datasetPlan is the decided read of one dataset in one statement.
type datasetPlan struct {
	mode    readMode
	column  int             // readPerValue: the key column
	union   [][]KeyValue    // readUnion: the conjunctions of key equalities to read
	inUnion map[string]bool // readUnion: conjunctionKey of each member of union
	// stream: the read runs beside the statement, which is served rows
	// as they come (readWhole and readUnion of the program's only scan).
	stream bool
	// prune: the read fills only the columns of used, all that the
	// statement's references use (SQLite's colUsed, gathered while
	// EXPLAIN prepared it); not when a reference fills a column group,
	// whose fill reads other columns, nor when the rows outlive the
	// statement (.snapshot on, watch mode's prev).
	prune bool
	used  uint64
}

// scanSite is one place in a statement's program that scans a dataset (an
// OP_VFilter): which columns its lookup uses and, where the program loads
// them as constants, the values of its key columns.
type scanSite struct {
	dataset int     // index into Engine.datasets
	groups  bool    // whether it fills column groups (idxNum's bits above the dataset)
	columns []int   // the lookup's columns, in argument order
	consts  [][]any // per column: its constant values (one, or an IN list's), when known
	known   []bool  // per column: whether consts holds its values
}

// vdbeOp is one row of EXPLAIN: an instruction of SQLite's program.
type vdbeOp struct {
	opcode     string
	p1, p2, p3 int64
	p4         sql.NullString
}

// planStatement asks SQLite for the program of query (EXPLAIN prepares it
// without running it, calling BestIndex as the real run will) and decides
// how each dataset is read. A statement EXPLAIN cannot prepare, or a
// program this code does not understand, reads everything whole.
func (e *Engine) planStatement(ctx context.Context, query string, args []any) map[int]*datasetPlan {
	e.colsUsed = map[int]uint64{}
	ops, err := e.explain(ctx, query, args)
	used := e.colsUsed
	e.colsUsed = nil
	if err != nil {
		return nil
	}
	sites, ok := scanSites(ops, e.datasets)
	if !ok {
		return nil
	}
	plans := decidePlans(sites, e.datasets)
	groups := map[int]bool{}
	for _, s := range sites {
		groups[s.dataset] = groups[s.dataset] || s.groups
	}
	for ds, p := range plans {
		if mask, seen := used[ds]; seen && !groups[ds] {
			p.prune, p.used = true, mask
		}
	}
	return plans
}

// planKept is the plan of a statement on a kept snapshot (.snapshot on,
// --save): every dataset is read whole, with all its columns, since later
// statements read the same rows; but the statement's only scan, reading
// its dataset for the first time, may stream that read.
func (e *Engine) planKept(ctx context.Context, query string, args []any) map[int]*datasetPlan {
	ops, err := e.explain(ctx, query, args)
	if err != nil {
		return nil
	}
	sites, ok := scanSites(ops, e.datasets)
	if !ok || len(sites) != 1 || sites[0].groups || !e.datasets[sites[0].dataset].Streams {
		return nil
	}
	return map[int]*datasetPlan{sites[0].dataset: {mode: readWhole, stream: true}}
}

func (e *Engine) explain(ctx context.Context, query string, args []any) ([]vdbeOp, error) {
	trimmed := strings.TrimSpace(query)
	if len(trimmed) >= 7 && strings.EqualFold(trimmed[:7], "explain") {
		return nil, fmt.Errorf("already an EXPLAIN") // it reads no dataset
	}
	rows, err := e.conn.QueryContext(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ops []vdbeOp
	for rows.Next() {
		var addr, p5 int64
		var op vdbeOp
		var comment sql.NullString
		if err := rows.Scan(&addr, &op.opcode, &op.p1, &op.p2, &op.p3, &op.p4, &p5, &comment); err != nil {
			return nil, err
		}
		if addr != int64(len(ops)) { // jump targets are read as positions
			return nil, fmt.Errorf("EXPLAIN address %d at position %d", addr, len(ops))
		}
		ops = append(ops, op)
	}
	return ops, rows.Err()
}

// scanSites finds every OP_VFilter of the program. Before each, SQLite
// loads idxNum into register p3, the argument count into p3+1 and the
// arguments into p3+2..., the last argument's code ending right before
// the two counts. BestIndex puts the key columns last, so their values can
// be read off backwards: a constant load (String8, Integer, Int64, Real,
// Null), or a constant IN list (an ephemeral table filled with constants,
// then read in a loop). Reading stops at the first argument of any other
// shape; ok is false when a VFilter itself does not have the shape.
func scanSites(ops []vdbeOp, datasets []*Dataset) (sites []scanSite, ok bool) {
	targets := jumpTargets(ops)
	for i, op := range ops {
		if op.opcode != "VFilter" {
			continue
		}
		if i < 2 || ops[i-2].opcode != "Integer" || ops[i-2].p2 != op.p3 ||
			ops[i-1].opcode != "Integer" || ops[i-1].p2 != op.p3+1 {
			return nil, false
		}
		idxNum, argc := ops[i-2].p1, ops[i-1].p1
		ds := int(idxNum&idxNumDatasetMask) - 1
		if ds < 0 || ds >= len(datasets) {
			// Not one of ours: another module's table in the schema.
			continue
		}
		site := scanSite{dataset: ds, groups: idxNum>>idxNumDatasetBits != 0}
		columns, err := parseIdxStr(datasets[ds], op.p4.String)
		if err != nil || len(columns) != int(argc) {
			return nil, false
		}
		site.columns = columns
		site.consts = make([][]any, len(columns))
		site.known = make([]bool, len(columns))
		k := i - 3
		var loops []int // the Column ops of IN lists, which their loops jump back to
		for j := len(columns) - 1; j >= 0 && k >= 0; j-- {
			reg := op.p3 + 2 + int64(j)
			if v, isConst := constantLoad(ops, k, reg); isConst {
				site.consts[j], site.known[j] = []any{v}, true
				k--
				continue
			}
			values, start, isList := constantInList(ops, k, reg)
			if !isList {
				break
			}
			site.consts[j], site.known[j] = values, true
			loops = append(loops, k-1)
			k = start - 1
		}
		// The loads hold only if the program runs them in a line: a jump
		// from outside into the middle (a CASE jumping over one of two
		// loads) would reach the scan with another value.
		if !straightLine(ops, targets, k+1, i, loops) {
			clear(site.known)
		}
		sites = append(sites, site)
	}
	return sites, true
}

// nonJumps are the opcodes known not to jump, whose p2 is a register or a
// count rather than an address. Any other opcode is taken to jump to its
// p2 (and "Jump" to p1 and p3 as well): a wrong guess only costs a
// narrowing, never a row.
var nonJumps = map[string]bool{
	"Integer": true, "Int64": true, "Real": true, "String8": true, "String": true, "Null": true,
	"SoftNull": true, "Blob": true, "Variable": true, "Move": true, "Copy": true, "SCopy": true,
	"IntCopy": true, "ResultRow": true, "Concat": true, "Add": true, "Subtract": true, "Multiply": true,
	"Divide": true, "Remainder": true, "BitAnd": true, "BitOr": true, "ShiftLeft": true, "ShiftRight": true,
	"AddImm": true, "RealAffinity": true, "Cast": true, "Affinity": true, "MakeRecord": true, "Count": true,
	"Column": true, "VColumn": true, "Rowid": true, "NullRow": true, "OpenRead": true, "OpenWrite": true,
	"OpenEphemeral": true, "OpenAutoindex": true, "OpenPseudo": true, "OpenDup": true, "Close": true,
	"IdxInsert": true, "Insert": true, "Delete": true, "NewRowid": true, "AggStep": true, "AggFinal": true,
	"AggValue": true, "AggInverse": true, "Function": true, "PureFunc": true, "Transaction": true,
	"VOpen": true, "VInitIn": true, "BeginSubrtn": true, "ReleaseReg": true, "CollSeq": true, "Not": true,
	"BitNot": true, "And": true, "Or": true, "IsTrue": true, "ZeroOrNull": true, "Compare": true,
	"Permutation": true, "DeferredSeek": true, "FinishSeek": true, "IdxRowid": true, "SorterOpen": true,
	"SorterData": true, "SorterInsert": true, "ResetSorter": true, "ColumnsUsed": true, "RowData": true,
	"CursorHint": true, "Noop": true, "Explain": true, "Halt": true, "Sequence": true, "Offset": true,
	"TableLock": true, "ReadCookie": true, "Expire": true,
}

// jumpTargets maps each address some instruction may jump to, to the
// addresses that may jump there.
func jumpTargets(ops []vdbeOp) map[int64][]int {
	targets := map[int64][]int{}
	for n, op := range ops {
		if nonJumps[op.opcode] {
			continue
		}
		targets[op.p2] = append(targets[op.p2], n)
		if op.opcode == "Jump" {
			targets[op.p1] = append(targets[op.p1], n)
			targets[op.p3] = append(targets[op.p3], n)
		}
	}
	return targets
}

// straightLine reports whether no instruction outside first..last jumps
// to an address after first and up to last, except an IN list's Next
// jumping back to its Column (in loops): the loop that feeds the list's
// values to the scan one by one.
func straightLine(ops []vdbeOp, targets map[int64][]int, first, last int, loops []int) bool {
	for addr := first + 1; addr <= last; addr++ {
		for _, from := range targets[int64(addr)] {
			if from >= first && from <= last {
				continue
			}
			if slices.Contains(loops, addr) && ops[from].opcode == "Next" && ops[from].p1 == ops[addr].p1 {
				continue
			}
			return false
		}
	}
	return true
}

// constantInList recognises the code of `column IN (constants)` that ends
// at op k and loads register reg: a subroutine run once that fills an
// ephemeral index with constant records, then a loop over it:
//
//	BeginSubrtn; Once; OpenEphemeral c; (load r; MakeRecord r 1 q; IdxInsert c q r)...;
//	NullRow c; Return; Rewind c; Column c 0 reg; IsNull reg
//
// It returns the values and the position of BeginSubrtn.
func constantInList(ops []vdbeOp, k int, reg int64) (values []any, start int, ok bool) {
	if k < 5 || ops[k].opcode != "IsNull" || ops[k].p1 != reg {
		return nil, 0, false
	}
	column, rewind := ops[k-1], ops[k-2]
	if column.opcode != "Column" || column.p2 != 0 || column.p3 != reg ||
		rewind.opcode != "Rewind" || rewind.p1 != column.p1 {
		return nil, 0, false
	}
	cursor := column.p1
	j := k - 3
	if ops[j].opcode != "Return" || ops[j-1].opcode != "NullRow" || ops[j-1].p1 != cursor {
		return nil, 0, false
	}
	for j -= 2; j >= 2 && ops[j].opcode == "IdxInsert"; j -= 3 {
		insert, record, load := ops[j], ops[j-1], ops[j-2]
		if insert.p1 != cursor || record.opcode != "MakeRecord" || record.p2 != 1 ||
			record.p3 != insert.p2 || insert.p3 != record.p1 {
			return nil, 0, false
		}
		v, isConst := constantValue(load, record.p1)
		if !isConst {
			return nil, 0, false
		}
		values = append(values, v)
	}
	if j < 2 || ops[j].opcode != "OpenEphemeral" || ops[j].p1 != cursor ||
		ops[j-1].opcode != "Once" || ops[j-2].opcode != "BeginSubrtn" {
		return nil, 0, false
	}
	// Nothing else may write into the list.
	for n, op := range ops {
		if op.p1 == cursor && n != j && (op.opcode == "Insert" || op.opcode == "IdxInsert" || op.opcode == "OpenEphemeral" ||
			op.opcode == "OpenDup" || op.opcode == "SorterInsert") && (n > k || n < j) {
			return nil, 0, false
		}
	}
	slices.Reverse(values) // read backwards
	return values, j - 2, len(values) > 0
}

// constantLoad reports the value op k loads into register reg when it is a
// constant load into exactly that register, following one Copy or SCopy
// from a register that a single constant load in the program sets.
func constantLoad(ops []vdbeOp, k int, reg int64) (any, bool) {
	op := ops[k]
	if (op.opcode == "Copy" || op.opcode == "SCopy") && op.p2 == reg && (op.opcode == "SCopy" || op.p3 == 0) {
		var value any
		found := 0
		for j := range ops {
			if writesRegister(ops[j], op.p1) {
				found++
				v, ok := constantValue(ops[j], op.p1)
				if !ok {
					return nil, false
				}
				value = v
			}
		}
		return value, found == 1
	}
	return constantValue(op, reg)
}

// writesRegister tells whether op is a constant load or copy into reg; the
// only writers constantLoad needs to count.
func writesRegister(op vdbeOp, reg int64) bool {
	switch op.opcode {
	case "String8", "Integer", "Int64", "Real", "Copy", "SCopy", "Variable":
		return op.p2 == reg
	case "Null":
		return reg >= op.p2 && reg <= max(op.p2, op.p3)
	}
	return false
}

func constantValue(op vdbeOp, reg int64) (any, bool) {
	switch op.opcode {
	case "String8":
		if op.p2 == reg && op.p4.Valid {
			return op.p4.String, true
		}
	case "Integer":
		if op.p2 == reg {
			return op.p1, true
		}
	case "Int64":
		if op.p2 == reg {
			if !op.p4.Valid {
				return inlineConstant(op), true
			}
			n, err := strconv.ParseInt(op.p4.String, 10, 64)
			return n, err == nil
		}
	case "Real":
		if op.p2 == reg {
			if !op.p4.Valid {
				return math.Float64frombits(uint64(inlineConstant(op))), true
			}
			f, err := strconv.ParseFloat(op.p4.String, 64)
			return f, err == nil
		}
	case "Null":
		if op.p2 == reg && op.p3 == 0 {
			return nil, true
		}
	}
	return nil, false
}

// inlineConstant is the 64 bits of an Int64 or Real load whose EXPLAIN
// row has no p4: the SQLite this engine runs (3.54) keeps such a value in
// the instruction itself and lists its low half as p1 and its high half
// as p3. Without this, a constant beyond 32 bits (a namespace's inode, a
// socket cookie) would make every statement naming one read whole.
func inlineConstant(op vdbeOp) int64 {
	return int64(uint64(uint32(op.p1)) | uint64(uint32(op.p3))<<32)
}

// decidePlans picks each dataset's read from its scan sites. A dataset no
// site names is read whole if it is read at all.
func decidePlans(sites []scanSite, datasets []*Dataset) map[int]*datasetPlan {
	byDataset := map[int][]scanSite{}
	for _, s := range sites {
		byDataset[s.dataset] = append(byDataset[s.dataset], s)
	}
	plans := map[int]*datasetPlan{}
	for ds, list := range byDataset {
		plans[ds] = decideOne(datasets[ds], list)
	}
	// The program's only scan may be served while its dataset is read: no
	// other scan can use the collector meanwhile, and a scan that fills
	// groups needs every row first.
	if len(sites) == 1 && datasets[sites[0].dataset].Streams && !sites[0].groups {
		if p := plans[sites[0].dataset]; p.mode == readWhole || p.mode == readUnion {
			p.stream = true
		}
	}
	return plans
}

// maxUnion bounds the conjunctions one union read may combine (IN lists
// multiply); past it the dataset is read whole.
const maxUnion = 256

func decideOne(d *Dataset, sites []scanSite) *datasetPlan {
	whole := &datasetPlan{mode: readWhole}
	var union [][]KeyValue
	allConst := true
	perValue := -1
	for n, s := range sites {
		var keyCols []int
		conjs := [][]KeyValue{nil} // the cross product of the key columns' values
		for j, col := range s.columns {
			if d.key(col) == nil {
				continue
			}
			keyCols = append(keyCols, col)
			if !s.known[j] {
				allConst = false
				continue
			}
			var next [][]KeyValue
			for _, raw := range s.consts[j] {
				// A value no row can hold (NULL, text for a number) adds no
				// conjunction.
				if v, ok := lookupKey(d.Columns[col].Type, raw); ok {
					for _, conj := range conjs {
						next = append(next, append(slices.Clip(conj), KeyValue{Column: d.Columns[col].Name, Value: v}))
					}
				}
			}
			conjs = next
		}
		if len(keyCols) == 0 {
			return whole // this reference cannot narrow: collect whole
		}
		if allConst {
			union = append(union, conjs...)
			if len(union) > maxUnion {
				allConst = false
			}
		}
		switch {
		case len(keyCols) != 1 || !d.key(keyCols[0]).Stable:
			perValue = -2
		case n == 0:
			perValue = keyCols[0]
		case perValue != keyCols[0]:
			perValue = -2
		}
	}
	if allConst {
		p := &datasetPlan{mode: readUnion, union: dedupeConjunctions(union), inUnion: map[string]bool{}}
		for _, conj := range p.union {
			p.inUnion[conjunctionKey(conj)] = true
		}
		return p
	}
	if perValue >= 0 {
		return &datasetPlan{mode: readPerValue, column: perValue}
	}
	return whole
}

// conjunctionKey is a canonical text for a conjunction of key equalities.
func conjunctionKey(conj []KeyValue) string {
	parts := make([]string, len(conj))
	for i, kv := range conj {
		parts[i] = fmt.Sprintf("%s=%T:%v", kv.Column, kv.Value, kv.Value)
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), "\x00")
}

func dedupeConjunctions(list [][]KeyValue) [][]KeyValue {
	seen := map[string]bool{}
	var out [][]KeyValue
	for _, conj := range list {
		if k := conjunctionKey(conj); !seen[k] {
			seen[k] = true
			out = append(out, conj)
		}
	}
	return out
}

package sqlshell

import (
	"bufio"
	"io"
	"testing"
)

// BenchmarkExecTSV measures the runner's row loop in tsv, the mode
// scripts use: 20,000 generated rows of five columns, printed to nowhere.
func BenchmarkExecTSV(b *testing.B) {
	sh, _, _ := newTestShell(b)
	sh.out = bufio.NewWriterSize(io.Discard, 64<<10)
	const query = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
		SELECT x, 'tcp', '10.0.0.' || (x % 256), x * 7, 'LISTEN' FROM c`
	b.ReportAllocs()
	for b.Loop() {
		if err := sh.Exec(b.Context(), query); err != nil {
			b.Fatal(err)
		}
	}
}

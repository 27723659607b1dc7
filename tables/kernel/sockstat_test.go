package kernel

import (
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

// /proc/net/sockstat and sockstat6 as this kernel (6.18) prints them.
const (
	sockstatText = "sockets: used 13\n" +
		"TCP: inuse 1 orphan 0 tw 6 alloc 1 mem 113\n" +
		"UDP: inuse 0 mem 0\n" +
		"UDPLITE: inuse 0\n" +
		"RAW: inuse 0\n" +
		"FRAG: inuse 0 memory 0\n"
	sockstat6Text = "TCP6: inuse 0\n" +
		"UDP6: inuse 2\n" +
		"UDPLITE6: inuse 0\n" +
		"RAW6: inuse 1\n" +
		"FRAG6: inuse 0 memory 0\n"
)

var sockstatCases = []struct {
	name string
	text string
	want []sockstatCounter
}{
	{name: "empty", text: ""},
	{name: "sockstat", text: sockstatText, want: []sockstatCounter{
		{"sockets", "used", 13},
		{"TCP", "inuse", 1}, {"TCP", "orphan", 0}, {"TCP", "tw", 6}, {"TCP", "alloc", 1}, {"TCP", "mem", 113},
		{"UDP", "inuse", 0}, {"UDP", "mem", 0},
		{"UDPLITE", "inuse", 0},
		{"RAW", "inuse", 0},
		{"FRAG", "inuse", 0}, {"FRAG", "memory", 0},
	}},
	{name: "sockstat6", text: sockstat6Text, want: []sockstatCounter{
		{"TCP6", "inuse", 0}, {"UDP6", "inuse", 2}, {"UDPLITE6", "inuse", 0}, {"RAW6", "inuse", 1},
		{"FRAG6", "inuse", 0}, {"FRAG6", "memory", 0},
	}},
	{name: "a protocol without counters, a new counter, no final newline",
		text: "\nMPTCP:\nTCP: inuse 1 ulp 3", want: []sockstatCounter{{"TCP", "inuse", 1}, {"TCP", "ulp", 3}}},
}

var sockstatErrorCases = []struct {
	name     string
	text     string
	wantLine int
	wantText string
}{
	{name: "odd field count", text: "sockets: used 13\nTCP: inuse 1 orphan\n", wantLine: 2, wantText: "TCP: 3 fields"},
	{name: "bad value", text: "UDP: inuse 0 mem lots\n", wantLine: 1, wantText: `UDP: value "lots" of mem`},
	{name: "no colon", text: "sockets used 13\n", wantLine: 1, wantText: `no "Protocol:" prefix`},
}

func TestParseSockstat(t *testing.T) {
	for _, tc := range sockstatCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSockstat([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range sockstatErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSockstat([]byte(tc.text))
			if got != nil {
				t.Errorf("counters %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

// FuzzParseSockstat checks that any text gives counters or an error naming
// one of its lines.
func FuzzParseSockstat(f *testing.F) {
	for _, tc := range sockstatCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range sockstatErrorCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		counters, err := ParseSockstat(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, counters, err)
			return
		}
		for _, c := range counters {
			if c.Protocol == "" || c.Name == "" {
				t.Fatalf("bad counter %+v", c)
			}
		}
	})
}

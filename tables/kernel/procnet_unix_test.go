package kernel

import (
	"strings"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

const unixHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n"

// unixCase is one literal /proc/net/unix text and its rows.
type unixCase struct {
	name string
	text string
	want []unixSocketLine
}

// unixErrorCase is a malformed text and the error it must give.
type unixErrorCase struct {
	name     string
	text     string
	wantLine int
	wantText string
}

var unixCases = []unixCase{
	{name: "empty file", text: ""},
	{name: "header only", text: unixHeader},
	{name: "header only with trailing spaces, no newline", text: strings.TrimSuffix(unixHeader, "\n") + "   "},
	{
		name: "listener, accepted side, abstract, dgram, unbound",
		text: unixHeader +
			"00000000c2b7105a: 00000002 00000000 00010000 0001 01 13741 /run/demo.sock\n" +
			"00000000f1f2b96a: 00000003 00000000 00000000 0001 03 13743 /run/demo.sock\n" +
			"0000000049506d59: 00000002 00000000 00010000 0001 01 13744 @demo\n" +
			"00000000ecf658d0: 00000002 00000000 00000000 0002 01 13745 /run/demo.dgram\n" +
			"00000000b52229d5: 00000003 00000000 00000000 0001 03  1661\n" +
			"0000000060fc1ef0: 00000002 00000000 00000000 0002 01  5082 @7fa48\n" +
			"00000000aeb1255b: 00000002 00000000 00000000 0002 01  5080 @x@y\n" +
			"000000003c0ffee0: 00000002 00000000 00000000 0005 02     7\n" +
			"000000003c0ffee1: 00000001 00000000 00000000 0001 04 123456789012 /run/wide-inode.sock\n",
		want: []unixSocketLine{
			{RefCount: 2, Flags: 0x10000, Type: 1, State: 1, Inode: 13741, Path: "/run/demo.sock"},
			{RefCount: 3, Type: 1, State: 3, Inode: 13743, Path: "/run/demo.sock"},
			{RefCount: 2, Flags: 0x10000, Type: 1, State: 1, Inode: 13744, Path: "@demo"},
			{RefCount: 2, Type: 2, State: 1, Inode: 13745, Path: "/run/demo.dgram"},
			{RefCount: 3, Type: 1, State: 3, Inode: 1661},
			{RefCount: 2, Type: 2, State: 1, Inode: 5082, Path: "@7fa48"},
			{RefCount: 2, Type: 2, State: 1, Inode: 5080, Path: "@x@y"},
			{RefCount: 2, Type: 5, State: 2, Inode: 7},
			{RefCount: 1, Type: 1, State: 4, Inode: 123456789012, Path: "/run/wide-inode.sock"},
		},
	},
	{
		name: "paths with spaces: inside, leading and trailing",
		text: unixHeader +
			"00000000f4378a6b: 00000002 00000000 00010000 0001 01  5079 /tmp/my socket dir/s.sock\n" +
			"00000000f4378a6c: 00000002 00000000 00000000 0002 01  5083  leading\n" +
			"00000000f4378a6d: 00000002 00000000 00000000 0002 01  5084 trailing  \n",
		want: []unixSocketLine{
			{RefCount: 2, Flags: 0x10000, Type: 1, State: 1, Inode: 5079, Path: "/tmp/my socket dir/s.sock"},
			{RefCount: 2, Type: 2, State: 1, Inode: 5083, Path: " leading"},
			{RefCount: 2, Type: 2, State: 1, Inode: 5084, Path: "trailing  "},
		},
	},
	{
		// Captured from this kernel after binding "/tmp/pk/a b\nc " and
		// "/tmp/pk/\n\nz".
		name: "paths with newlines continue on the next lines",
		text: unixHeader +
			"00000000b52229d5: 00000003 00000000 00000000 0001 03  1661\n" +
			"00000000f4378a6b: 00000002 00000000 00010000 0001 01  5079 /tmp/pk/a b\n" +
			"c \n" +
			"0000000093929890: 00000002 00000000 00000000 0002 01  5081 /tmp/pk/\n" +
			"\n" +
			"z\n" +
			"000000008364cf6d: 00000003 00000000 00000000 0001 03  1660\n",
		want: []unixSocketLine{
			{RefCount: 3, Type: 1, State: 3, Inode: 1661},
			{RefCount: 2, Flags: 0x10000, Type: 1, State: 1, Inode: 5079, Path: "/tmp/pk/a b\nc "},
			{RefCount: 2, Type: 2, State: 1, Inode: 5081, Path: "/tmp/pk/\n\nz"},
			{RefCount: 3, Type: 1, State: 3, Inode: 1660},
		},
	},
	{
		name: "a continuation that looks like a short pointer",
		text: "00000000f4378a6b: 00000002 00000000 00000000 0002 01  5079 /tmp/x\n" +
			"cafe: 00000002 00000000 00000000 0002 01  5079 /tmp/y\n",
		want: []unixSocketLine{
			{RefCount: 2, Type: 2, State: 1, Inode: 5079, Path: "/tmp/x\ncafe: 00000002 00000000 00000000 0002 01  5079 /tmp/y"},
		},
	},
	{
		name: "a path whose name starts with a newline",
		text: "00000000f4378a6b: 00000002 00000000 00000000 0002 01  5079 \n" +
			"newline-first\n",
		want: []unixSocketLine{{RefCount: 2, Type: 2, State: 1, Inode: 5079, Path: "\nnewline-first"}},
	},
	{
		name: "blank lines after unbound rows are skipped; 32-bit pointers",
		text: "\n" + unixHeader + "\n" +
			"c2b7105a: 00000002 00000000 00000000 0001 03 13741\n" +
			"\n" +
			"c2b7105b: 00000002 00000000 00000000 0001 03 13742",
		want: []unixSocketLine{
			{RefCount: 2, Type: 1, State: 3, Inode: 13741},
			{RefCount: 2, Type: 1, State: 3, Inode: 13742},
		},
	},
}

var unixErrorCases = []unixErrorCase{
	{name: "continuation before any row", text: unixHeader + "/tmp/orphan\n", wantLine: 2, wantText: `path continuation "/tmp/orphan"`},
	{name: "continuation on the first line", text: "tail of a path\n" + "00000000c2b7105a: 00000002 00000000 00010000 0001 01 13741 /run/demo.sock\n", wantLine: 1, wantText: "path continuation"},
	{name: "bad refcount", text: unixHeader + "00000000c2b7105a: 0000000Z 00000000 00010000 0001 01 13741 /run/demo.sock\n", wantLine: 2, wantText: `refcount "0000000Z"`},
	{name: "bad protocol", text: "00000000c2b7105a: 00000002 zero 00010000 0001 01 13741\n", wantLine: 1, wantText: `protocol "zero"`},
	{name: "flags wider than 32 bits", text: "00000000c2b7105a: 00000002 00000000 100010000 0001 01 13741\n", wantLine: 1, wantText: `flags "100010000"`},
	{name: "bad type", text: "00000000c2b7105a: 00000002 00000000 00010000 1-1 01 13741\n", wantLine: 1, wantText: `type "1-1"`},
	{name: "bad state", text: "00000000c2b7105a: 00000002 00000000 00010000 0001 100 13741\n", wantLine: 1, wantText: `state "100"`},
	{name: "bad inode", text: unixHeader + "00000000c2b7105b: 00000002 00000000 00010000 0001 01 0x3 /b\n", wantLine: 2, wantText: `inode "0x3"`},
	{name: "line ends before the inode", text: "00000000c2b7105a: 00000002 00000000 00010000 0001 01\n", wantLine: 1, wantText: "inode column missing"},
	{name: "line ends after the pointer", text: "00000000c2b7105a:   \n", wantLine: 1, wantText: "refcount column missing"},
	{name: "tab-separated fields", text: "00000000c2b7105a:\t00000002 00000000 00010000 0001 01 13741\n", wantLine: 1, wantText: "refcount"},
}

func TestParseUnixSockets(t *testing.T) {
	for _, tc := range unixCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUnixSockets([]byte(tc.text))
			if err != nil {
				t.Fatalf("ParseUnixSockets: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, tablestest.ProcnetCmpOptions); diff != "" {
				t.Errorf("ParseUnixSockets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A name is chosen by whoever binds the socket: a newline in it followed by
// text that looks like a row but lacks the kernel's layout neither fails
// the table (which would hide every unix socket) nor adds a row.
func TestParseUnixSocketsNameWithNewline(t *testing.T) {
	for _, forged := range []string{
		"0000000000000000: garbage",
		"0000000000000000: 00000002 00000000 00010000 0001 01 0x3 /b",
		"0000000000000000: 00000002 00000000",
	} {
		text := unixHeader + "00000000c2b7105a: 00000002 00000000 00000000 0002 01 13741 @evil\n" + forged + "\n" +
			"00000000c2b7105c: 00000002 00000000 00010000 0001 01 13742 /run/real.sock\n"
		got, err := ParseUnixSockets([]byte(text))
		if err != nil || len(got) != 2 {
			t.Fatalf("%q: %d rows, %v; want the 2 real sockets", forged, len(got), err)
		}
		if got[0].Path != "@evil\n"+forged || got[1].Path != "/run/real.sock" {
			t.Errorf("%q: paths %q and %q", forged, got[0].Path, got[1].Path)
		}
	}
}

func TestParseUnixSocketsErrors(t *testing.T) {
	for _, tc := range unixErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUnixSockets([]byte(tc.text))
			if got != nil {
				t.Errorf("rows %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

// FuzzParseUnixSockets checks that any text gives rows or an error wrapping
// ErrMalformed that names a line of the text.
func FuzzParseUnixSockets(f *testing.F) {
	for _, tc := range unixCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range unixErrorCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseUnixSockets(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, rows, err)
			return
		}
		pathBytes := 0
		for _, row := range rows {
			pathBytes += len(row.Path)
		}
		if pathBytes > len(data) {
			t.Fatalf("%d path bytes from %d bytes of text", pathBytes, len(data))
		}
	})
}

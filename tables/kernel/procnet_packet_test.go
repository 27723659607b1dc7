package kernel

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

const packetHeader = "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"

// packetCase is one literal /proc/net/packet text and its rows.
type packetCase struct {
	name string
	text string
	want []packetSocketLine
}

// packetErrorCase is a malformed text and the error it must give.
type packetErrorCase struct {
	name     string
	text     string
	wantLine int
	wantText string
}

// Rows captured on this kernel (6.18) from sockets opened as
// socket(AF_PACKET, SOCK_RAW, ETH_P_ALL), (SOCK_DGRAM, 0x88cc) and
// (SOCK_DGRAM, 0) bound to ARP on ifindex 1; note the lowercase Proto and
// the trailing spaces.
const (
	packetRawAllLine  = "00000000797f81c9 3      3    0003   0     1 0      0      5075  \n"
	packetDgramLLDP   = "0000000022bcf813 3      2    88cc   0     1 0      0      5076  \n"
	packetDgramARPLo  = "0000000049f02875 3      2    0806   1     1 0      0      5077  \n"
	packetStoppedLine = "00000000b4805139 2      3    86dd   4     0 2304   1000   13740 \n"
)

var packetCases = []packetCase{
	{name: "empty file", text: ""},
	{name: "header only", text: packetHeader},
	{name: "header only without newline", text: strings.TrimSuffix(packetHeader, "\n")},
	{
		name: "raw and dgram sockets",
		text: packetHeader + packetRawAllLine + packetDgramLLDP + packetDgramARPLo + packetStoppedLine,
		want: []packetSocketLine{
			{RefCount: 3, Type: 3, Proto: 0x0003, Ifindex: 0, Running: true, Inode: 5075},
			{RefCount: 3, Type: 2, Proto: 0x88cc, Ifindex: 0, Running: true, Inode: 5076},
			{RefCount: 3, Type: 2, Proto: 0x0806, Ifindex: 1, Running: true, Inode: 5077},
			{RefCount: 2, Type: 3, Proto: 0x86dd, Ifindex: 4, Rmem: 2304, UID: 1000, Inode: 13740},
		},
	},
	{
		name: "blank lines, no header, no final newline",
		text: "\n" + packetRawAllLine + "  \n" + strings.TrimRight(packetDgramLLDP, " \n"),
		want: []packetSocketLine{
			{RefCount: 3, Type: 3, Proto: 0x0003, Running: true, Inode: 5075},
			{RefCount: 3, Type: 2, Proto: 0x88cc, Running: true, Inode: 5076},
		},
	},
}

var packetErrorCases = []packetErrorCase{
	{name: "too few fields", text: packetHeader + packetRawAllLine + "00000000797f81c9 3      3    0003   0\n", wantLine: 3, wantText: "too few fields (5)"},
	{name: "bad pointer", text: strings.Replace(packetRawAllLine, "00000000797f81c9", "sk-pointer", 1), wantLine: 1, wantText: `sk "sk-pointer"`},
	{name: "bad refcount", text: strings.Replace(packetRawAllLine, " 3      3 ", " -3     3 ", 1), wantLine: 1, wantText: `refcnt "-3"`},
	{name: "bad type", text: strings.Replace(packetRawAllLine, "3    0003", "70000 0003", 1), wantLine: 1, wantText: `type "70000"`},
	{name: "bad proto", text: packetHeader + strings.Replace(packetRawAllLine, "0003", "zz03", 1), wantLine: 2, wantText: `proto "zz03"`},
	{name: "bad ifindex", text: strings.Replace(packetDgramARPLo, "   1     1 ", "   eth0  1 ", 1), wantLine: 1, wantText: `iface "eth0"`},
	{name: "bad running flag", text: strings.Replace(packetRawAllLine, "0     1 0", "0     2 0", 1), wantLine: 1, wantText: `running flag "2"`},
	{name: "bad rmem", text: strings.Replace(packetStoppedLine, "2304", "23k4", 1), wantLine: 1, wantText: `rmem "23k4"`},
	{name: "bad user", text: strings.Replace(packetStoppedLine, "1000", "root", 1), wantLine: 1, wantText: `user "root"`},
	{name: "bad inode", text: strings.Replace(packetStoppedLine, "13740", "-1", 1), wantLine: 1, wantText: `inode "-1"`},
}

func TestParsePacketSockets(t *testing.T) {
	for _, tc := range packetCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePacketSockets([]byte(tc.text))
			if err != nil {
				t.Fatalf("ParsePacketSockets: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, tablestest.ProcnetCmpOptions); diff != "" {
				t.Errorf("ParsePacketSockets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePacketSocketsErrors(t *testing.T) {
	for _, tc := range packetErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePacketSockets([]byte(tc.text))
			if got != nil {
				t.Errorf("rows %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

// fdSocketInode returns the inode number of a socket fd, the key the /proc
// files list it under.
func fdSocketInode(t *testing.T, fd int) uint64 {
	t.Helper()
	var stat syscall.Stat_t
	if err := syscall.Fstat(fd, &stat); err != nil {
		t.Fatal(err)
	}
	return stat.Ino
}

// TestParsePacketSocketsLive parses this machine's /proc/net/packet and, when
// allowed to open one (root or CAP_NET_RAW), finds its own packet socket.
func TestParsePacketSocketsLive(t *testing.T) {
	const ethPAll = 0x0003
	htonsAll := int(ethPAll<<8&0xff00 | ethPAll>>8)
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, htonsAll)
	if err != nil {
		t.Logf("no packet socket of our own: %v", err)
		fd = -1
	} else {
		defer syscall.Close(fd)
	}
	data, err := os.ReadFile("/proc/net/packet")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParsePacketSockets(data)
	if err != nil {
		t.Fatalf("%v", FileError("/proc/net/packet", err))
	}
	t.Logf("/proc/net/packet: %d rows", len(rows))
	if fd < 0 {
		return
	}
	inode := fdSocketInode(t, fd)
	for _, row := range rows {
		if row.Inode == inode {
			want := packetSocketLine{RefCount: row.RefCount, Type: syscall.SOCK_RAW, Proto: ethPAll, Running: true, UID: uint32(os.Geteuid()), Rmem: row.Rmem, Inode: inode}
			if diff := cmp.Diff(want, row); diff != "" {
				t.Errorf("own packet socket (-want +got):\n%s", diff)
			}
			return
		}
	}
	t.Errorf("/proc/net/packet: no row for inode %d", inode)
}

// FuzzParsePacketSockets checks that any text gives rows or an error
// wrapping ErrMalformed that names a line of the text.
func FuzzParsePacketSockets(f *testing.F) {
	for _, tc := range packetCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range packetErrorCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParsePacketSockets(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, rows, err)
		}
	})
}

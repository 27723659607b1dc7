package kernel

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"netsql/tables/tablestest"

	"github.com/google/go-cmp/cmp"
)

const netlinkHeader = "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"

// netlinkCase is one literal /proc/net/netlink text and its rows.
type netlinkCase struct {
	name string
	text string
	want []netlinkSocketLine
}

// netlinkErrorCase is a malformed text and the error it must give.
type netlinkErrorCase struct {
	name     string
	text     string
	wantLine int
	wantText string
}

// Rows as this kernel (6.18) prints them: left-aligned and padded with
// trailing spaces. The ss row is a sock_diag socket with a reply queued.
const (
	netlinkRouteKernel = "000000000e570ca1 0   0          00000000 0        0        0     2        0        4       \n"
	netlinkDiagKernel  = "00000000bef3e941 4   0          00000000 0        0        0     2        0        1590    \n"
	netlinkDiagSS      = "000000006a1b2c3d 4   2946       00000000 4352     0        1     2        0        5123    \n"
	netlinkUeventUdevd = "00000000d00dfeed 15  4294967295 00000003 0        0        0     2        17       2222    \n"
	netlinkRouteGroups = "00000000cafe0001 0   812        00000551 0        1280     0     2        0        3333    \n"
)

var netlinkCases = []netlinkCase{
	{name: "empty file", text: ""},
	{name: "header only", text: netlinkHeader},
	{name: "header only without newline, trailing spaces", text: strings.TrimSuffix(netlinkHeader, "\n") + "  "},
	{
		name: "kernel and user sockets",
		text: netlinkHeader + netlinkRouteKernel + netlinkDiagKernel + netlinkDiagSS + netlinkUeventUdevd + netlinkRouteGroups,
		want: []netlinkSocketLine{
			{Protocol: 0, Inode: 4},
			{Protocol: 4, Inode: 1590},
			{Protocol: 4, PortID: 2946, Rmem: 4352, Inode: 5123},
			{Protocol: 15, PortID: 4294967295, Groups: 3, Drops: 17, Inode: 2222},
			{Protocol: 0, PortID: 812, Groups: 0x551, Wmem: 1280, Inode: 3333},
		},
	},
	{
		name: "blank lines, no header, no final newline",
		text: "\n" + netlinkRouteKernel + "\t\n" + strings.TrimRight(netlinkDiagKernel, " \n"),
		want: []netlinkSocketLine{{Protocol: 0, Inode: 4}, {Protocol: 4, Inode: 1590}},
	},
}

var netlinkErrorCases = []netlinkErrorCase{
	{name: "too few fields", text: netlinkHeader + "000000000e570ca1 0   0          00000000\n", wantLine: 2, wantText: "too few fields (4)"},
	{name: "bad pointer", text: strings.Replace(netlinkRouteKernel, "000000000e570ca1", "(null)", 1), wantLine: 1, wantText: `sk "(null)"`},
	{name: "bad protocol", text: strings.Replace(netlinkRouteKernel, " 0   0 ", " rt  0 ", 1), wantLine: 1, wantText: `eth "rt"`},
	{name: "bad port id", text: netlinkHeader + netlinkRouteKernel + strings.Replace(netlinkDiagSS, "2946", "-294", 1), wantLine: 3, wantText: `pid "-294"`},
	{name: "bad groups", text: strings.Replace(netlinkRouteGroups, "00000551", "0000055G", 1), wantLine: 1, wantText: `groups "0000055G"`},
	{name: "groups wider than 32 bits", text: strings.Replace(netlinkRouteGroups, "00000551", "100000551", 1), wantLine: 1, wantText: `groups "100000551"`},
	{name: "negative rmem", text: strings.Replace(netlinkDiagSS, "4352", "-435", 1), wantLine: 1, wantText: `rmem "-435"`},
	{name: "bad wmem", text: strings.Replace(netlinkRouteGroups, "1280", "12.8", 1), wantLine: 1, wantText: `wmem "12.8"`},
	{name: "bad dump", text: strings.Replace(netlinkDiagSS, " 1     2 ", " yes   2 ", 1), wantLine: 1, wantText: `dump "yes"`},
	{name: "bad locks", text: strings.Replace(netlinkDiagSS, " 1     2 ", " 1     x ", 1), wantLine: 1, wantText: `locks "x"`},
	{name: "bad drops", text: strings.Replace(netlinkUeventUdevd, " 17 ", " 1e ", 1), wantLine: 1, wantText: `drops "1e"`},
	{name: "bad inode", text: strings.Replace(netlinkDiagKernel, "1590", "15+0", 1), wantLine: 1, wantText: `inode "15+0"`},
}

func TestParseNetlinkSockets(t *testing.T) {
	for _, tc := range netlinkCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseNetlinkSockets([]byte(tc.text))
			if err != nil {
				t.Fatalf("ParseNetlinkSockets: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, tablestest.ProcnetCmpOptions); diff != "" {
				t.Errorf("ParseNetlinkSockets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNetlinkSocketsErrors(t *testing.T) {
	for _, tc := range netlinkErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseNetlinkSockets([]byte(tc.text))
			if got != nil {
				t.Errorf("rows %v returned with the error", got)
			}
			tablestest.CheckLineError(t, err, ErrMalformed, tc.wantLine, tc.wantText)
		})
	}
}

// TestParseNetlinkProtocolName pins the names to those iproute2's ss prints
// (its nl_protos table), numbers for the rest.
func TestParseNetlinkProtocolName(t *testing.T) {
	want := map[int]string{
		-1: "-1", 0: "rtnl", 1: "unused", 2: "usersock", 3: "fw", 4: "tcpdiag", 5: "nflog",
		6: "xfrm", 7: "selinux", 8: "iscsi", 9: "audit", 10: "fiblookup", 11: "connector",
		12: "nft", 13: "ip6fw", 14: "dec-rt", 15: "uevent", 16: "genl", 17: "17",
		18: "scsi-trans", 19: "ecryptfs", 20: "rdma", 21: "crypto", 22: "22", 31: "31", 1000: "1000",
	}
	got := map[int]string{}
	for protocol := range want {
		got[protocol] = NetlinkProtocolName(protocol)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NetlinkProtocolName mismatch (-want +got):\n%s", diff)
	}
}

// TestParseNetlinkSocketsLive parses this machine's /proc/net/netlink and
// finds a NETLINK_ROUTE socket the test bound itself, by port id and inode.
func TestParseNetlinkSocketsLive(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK, Groups: 1}); err != nil {
		t.Fatal(err)
	}
	name, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	portID := name.(*syscall.SockaddrNetlink).Pid
	inode := fdSocketInode(t, fd)

	data, err := os.ReadFile("/proc/net/netlink")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseNetlinkSockets(data)
	if err != nil {
		t.Fatalf("%v", FileError("/proc/net/netlink", err))
	}
	t.Logf("/proc/net/netlink: %d rows", len(rows))
	for _, row := range rows {
		if row.Inode == inode {
			want := netlinkSocketLine{Protocol: syscall.NETLINK_ROUTE, PortID: portID, Groups: 1, Rmem: row.Rmem, Wmem: row.Wmem, Drops: row.Drops, Inode: inode}
			if diff := cmp.Diff(want, row); diff != "" {
				t.Errorf("own netlink socket (-want +got):\n%s", diff)
			}
			return
		}
	}
	t.Errorf("/proc/net/netlink: no row for inode %d (port id %d)", inode, portID)
}

// FuzzParseNetlinkSockets checks that any text gives rows or an error
// wrapping ErrMalformed that names a line of the text.
func FuzzParseNetlinkSockets(f *testing.F) {
	for _, tc := range netlinkCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range netlinkErrorCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseNetlinkSockets(data)
		if err != nil {
			tablestest.CheckFuzzError(t, ErrMalformed, data, rows, err)
		}
	})
}

package kernel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Lines of Debian's /etc/services, and lines a person might leave behind.
const servicesText = `# Network services, Internet style
#
tcpmux		1/tcp				# TCP port service multiplexer
echo		7/tcp
echo		7/udp
ssh		22/tcp				# SSH Remote Login Protocol
domain		53/tcp
domain		53/udp
http		80/tcp		www		# WorldWideWeb HTTP
kerberos	88/tcp		kerberos5 krb5 kerberos-sec	# Kerberos v5
https		443/tcp
sctp-tunneling	9899/sctp
broken-no-proto	1234
broken-port	99999/tcp
broken-text	http/tcp
   
#commented	1/udp
tail		65535/udp`

var servicesWant = []servicesEntry{
	{Name: "tcpmux", Port: 1, Proto: "tcp"},
	{Name: "echo", Port: 7, Proto: "tcp"},
	{Name: "echo", Port: 7, Proto: "udp"},
	{Name: "ssh", Port: 22, Proto: "tcp"},
	{Name: "domain", Port: 53, Proto: "tcp"},
	{Name: "domain", Port: 53, Proto: "udp"},
	{Name: "http", Port: 80, Proto: "tcp", Aliases: []string{"www"}},
	{Name: "kerberos", Port: 88, Proto: "tcp", Aliases: []string{"kerberos5", "krb5", "kerberos-sec"}},
	{Name: "https", Port: 443, Proto: "tcp"},
	{Name: "sctp-tunneling", Port: 9899, Proto: "sctp"},
	{Name: "tail", Port: 65535, Proto: "udp"},
}

func TestParseServicesFile(t *testing.T) {
	got := ParseServicesFile([]byte(servicesText))
	if diff := cmp.Diff(servicesWant, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := ParseServicesFile(nil); len(got) != 0 {
		t.Errorf("empty file gave %v", got)
	}
}

// FuzzParseServicesFile checks that any text gives entries with a name, a
// port in range and a protocol, and never panics.
func FuzzParseServicesFile(f *testing.F) {
	f.Add([]byte(servicesText))
	f.Add([]byte("x 1/\n/ 2/tcp\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range ParseServicesFile(data) {
			if e.Name == "" || e.Proto == "" || e.Port < 0 || e.Port > 65535 || strings.ContainsAny(e.Name, "# \t\n") {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

package kernel

import (
	"bytes"
	"strings"
)

// etc/services: port names.

// servicesEntry is one line of etc/services: "name port/proto aliases... # comment".
type servicesEntry struct {
	Name    string
	Port    int64
	Proto   string
	Aliases []string
}

// ParseServicesFile parses etc/services as the C library does: a line it
// cannot read (no port/proto, a port beyond 65535) is skipped, not an error,
// since this is a file people edit and getservbyport(3) ignores such lines too.
func ParseServicesFile(data []byte) []servicesEntry {
	var entries []servicesEntry
	lines := NewProcnetLines(data)
	for {
		line, ok := lines.Next()
		if !ok {
			break
		}
		if hash := bytes.IndexByte(line, '#'); hash >= 0 {
			line = line[:hash]
		}
		fields := strings.Fields(string(line))
		if len(fields) < 2 {
			continue
		}
		portText, proto, found := strings.Cut(fields[1], "/")
		port, ok := ProcnetDec([]byte(portText), 16)
		if !found || !ok || proto == "" {
			continue
		}
		entries = append(entries, servicesEntry{Name: fields[0], Port: int64(port), Proto: proto, Aliases: fields[2:]})
	}
	return entries
}

package kernel

import (
	"bytes"
	"strconv"
)

// ProcDev is one interface line of /proc/net/dev.
type ProcDev struct {
	Name     string
	Counters [procDevFields]uint64 // in the file's order, see ProcDevColumns
}

// procDevFields is the number of counters on a /proc/net/dev line.
const procDevFields = 16

// ProcDevColumns names the file's columns by the interfaces column each
// feeds. Four are sums the kernel made (dev_seq_printf_stats):
// drop = rx_dropped + rx_missed_errors; frame = rx_length_errors +
// rx_over_errors + rx_crc_errors + rx_frame_errors; carrier =
// tx_carrier_errors + tx_aborted_errors + tx_window_errors +
// tx_heartbeat_errors. They fill rx_dropped, rx_frame_errors and
// tx_carrier_errors only when /sys has no statistics directory.
var ProcDevColumns = [procDevFields]string{
	"rx_bytes", "rx_packets", "rx_errors", "rx_dropped", "rx_fifo_errors", "rx_frame_errors", "rx_compressed", "multicast",
	"tx_bytes", "tx_packets", "tx_errors", "tx_dropped", "tx_fifo_errors", "collisions", "tx_carrier_errors", "tx_compressed",
}

// ParseProcNetDev parses /proc/net/dev: two header lines with "|", then
// `name: 16 counters`. A long counter may touch the colon ("eth0:123456"),
// so the name ends at the first colon (device names cannot hold one).
func ParseProcNetDev(data []byte) ([]ProcDev, error) {
	var devs []ProcDev
	for num, line := range Lines(data) {
		if len(bytes.TrimSpace(line)) == 0 || bytes.IndexByte(line, '|') >= 0 {
			continue
		}
		name, rest, ok := bytes.Cut(line, []byte(":"))
		name = bytes.TrimSpace(name)
		if !ok || len(name) == 0 {
			return nil, LineErrorf(num, "dev line without \"name:\"")
		}
		fields := bytes.Fields(rest)
		if len(fields) != procDevFields {
			return nil, LineErrorf(num, "dev line for %s has %d counters, want %d", name, len(fields), procDevFields)
		}
		d := ProcDev{Name: string(name)}
		for j, f := range fields {
			v, err := strconv.ParseUint(string(f), 10, 64)
			if err != nil {
				return nil, LineErrorf(num, "%s counter %s %q", name, ProcDevColumns[j], f)
			}
			d.Counters[j] = v
		}
		devs = append(devs, d)
	}
	return devs, nil
}

package tables

import "netsql/tables/engine"

// All lists every dataset, in the order --list-tables, .tables and the
// README show them. Adding a dataset means adding its file and one line here.
var All = []*engine.Dataset{
	Sockets,
	TCPInfo,
	ProcessSockets,
	Processes,
	Namespaces,
	Routes, Interfaces, Addresses, Neighbors,
	SNMP, Sockstat, Multicast, Conntrack, Sysctls, Services,
}

-- description: the main IP, TCP and UDP protocol counters (snmp), as a Prometheus counter (netsql --serve)
-- metric: netsql_snmp_total counter
-- help: Kernel protocol counters since boot (netstat -s), by protocol and counter name.
SELECT protocol, name, value
FROM snmp
WHERE key IN ('IpInReceives', 'IpInDiscards', 'IpInDelivers', 'IpOutRequests', 'IpOutDiscards', 'IpOutNoRoutes',
              'TcpActiveOpens', 'TcpPassiveOpens', 'TcpAttemptFails', 'TcpEstabResets', 'TcpInSegs', 'TcpOutSegs',
              'TcpInErrs', 'TcpOutRsts', 'UdpInDatagrams', 'UdpOutDatagrams', 'UdpNoPorts', 'UdpInErrors',
              'UdpRcvbufErrors', 'UdpSndbufErrors', 'TcpExtListenOverflows', 'TcpExtListenDrops',
              'TcpExtSyncookiesSent', 'TcpExtTCPAbortOnTimeout', 'TcpExtTCPAbortOnData',
              'Ip6InReceives', 'Ip6OutRequests', 'Udp6InDatagrams', 'Udp6OutDatagrams', 'Udp6NoPorts', 'Udp6InErrors');

-- description: the kernel's TCP retransmission counters (snmp Tcp and TcpExt), as a Prometheus counter (netsql --serve)
-- metric: netsql_tcp_retransmits_total counter
-- help: TCP retransmission counters since boot, by nstat name (TcpRetransSegs, TcpExtTCPFastRetrans, ...).
SELECT key AS counter, value
FROM snmp
WHERE key IN ('TcpRetransSegs', 'TcpExtTCPLostRetransmit', 'TcpExtTCPFastRetrans', 'TcpExtTCPSlowStartRetrans',
              'TcpExtTCPRetransFail', 'TcpExtTCPSynRetrans', 'TcpExtTCPTimeouts', 'TcpExtTCPLossProbes');

-- description: listening sockets per protocol, port and owning process, as a Prometheus gauge (netsql --serve)
-- metric: netsql_listeners gauge
-- help: Listening sockets (TCP LISTEN, unconnected UDP) by protocol, local port and owning process.
SELECT proto, local_port AS port, coalesce(process, '') AS process, count(*) AS value
FROM sockets
WHERE (state = 'LISTEN' AND proto IN ('tcp', 'tcp6'))
   OR (state = 'UNCONN' AND proto IN ('udp', 'udp6', 'udplite', 'udplite6'))
GROUP BY proto, local_port, process;

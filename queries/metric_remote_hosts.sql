-- description: established TCP connections to the 20 busiest remote addresses, as a Prometheus gauge (netsql --serve)
-- metric: netsql_remote_host_connections gauge
-- help: Established TCP connections per remote address, the 20 with the most.
SELECT remote_addr AS remote, count(*) AS value
FROM sockets
WHERE proto IN ('tcp', 'tcp6') AND state = 'ESTABLISHED'
GROUP BY remote_addr
ORDER BY value DESC, remote
LIMIT 20;

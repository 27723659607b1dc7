-- description: connections the kernel tracks (conntrack), as a Prometheus gauge (netsql --serve)
-- metric: netsql_conntrack_entries gauge
-- help: Connections in the kernel's connection tracking table (0 when it tracks none).
SELECT count(*) AS value
FROM conntrack;

-- description: sockets per protocol and state, as a Prometheus gauge (netsql --serve)
-- metric: netsql_sockets gauge
-- help: Sockets of this network namespace by protocol and state.
SELECT proto, state, count(*) AS value
FROM sockets
GROUP BY proto, state;

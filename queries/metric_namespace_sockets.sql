-- description: sockets per network namespace and protocol, as a Prometheus gauge (netsql --serve --netns all for every namespace)
-- metric: netsql_namespace_sockets gauge
-- help: Sockets by network namespace (inode), its name or container where known, and protocol.
SELECT s.netns, coalesce(n.container, n.name, '') AS name, s.proto, count(*) AS value
FROM sockets s
LEFT JOIN namespaces n ON n.netns = s.netns
GROUP BY s.netns, name, s.proto;

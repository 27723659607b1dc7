-- description: established TCP connections per remote address
SELECT remote_addr, count(*) AS connections, count(DISTINCT local_port) AS local_ports,
       group_concat(DISTINCT process) AS processes
FROM sockets
WHERE proto IN ('tcp', 'tcp6') AND state = 'ESTABLISHED'
GROUP BY remote_addr
ORDER BY connections DESC;

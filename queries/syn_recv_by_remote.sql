-- description: half-open connections by source address (a SYN flood in progress shows here)
SELECT remote_addr, local_port, count(*) AS half_open
FROM sockets
WHERE state IN ('SYN_RECV', 'NEW_SYN_RECV')
GROUP BY remote_addr, local_port
ORDER BY half_open DESC;

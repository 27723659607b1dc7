-- description: connections to routable addresses (not private, not loopback): on an internal host these deserve a look
SELECT proto, local_addr, local_port, remote_addr, remote_port, state, pid, process
FROM sockets
WHERE family IN ('inet', 'inet6')
  AND state NOT IN ('LISTEN', 'UNCONN')
  AND remote_addr NOT IN ('0.0.0.0', '::')
  AND is_private(remote_addr) = 0
ORDER BY remote_addr, remote_port;

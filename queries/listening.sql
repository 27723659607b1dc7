-- description: listening sockets with their owners, like netstat -lnp: TCP LISTEN and unconnected UDP
SELECT proto, local_addr, local_port, state, recv_q, send_q, pid, process
FROM sockets
WHERE (state = 'LISTEN' AND proto IN ('tcp', 'tcp6'))
   OR (state = 'UNCONN' AND proto IN ('udp', 'udp6', 'udplite', 'udplite6'))
ORDER BY proto, local_port;

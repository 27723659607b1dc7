-- description: TCP connections in every state but LISTEN, with owners, like netstat -tnp
SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state, pid, process
FROM sockets
WHERE proto IN ('tcp', 'tcp6') AND state <> 'LISTEN'
ORDER BY state, remote_addr, remote_port;

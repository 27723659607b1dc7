-- description: every inet socket in every state, like netstat -an
SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state
FROM sockets
WHERE family IN ('inet', 'inet6')
ORDER BY proto, local_port, remote_addr, remote_port;

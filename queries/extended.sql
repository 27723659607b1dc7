-- description: inet sockets with user and inode, like netstat -e
SELECT proto, recv_q, send_q, local_addr, local_port, remote_addr, remote_port, state, user, uid, inode
FROM sockets
WHERE family IN ('inet', 'inet6')
ORDER BY proto, local_port;

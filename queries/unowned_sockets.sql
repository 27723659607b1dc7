-- description: sockets that no visible process holds (closed by their program, owned elsewhere, or hidden without root)
SELECT s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state, s.inode, s.path
FROM sockets s
WHERE s.inode <> 0 AND s.pid IS NULL
ORDER BY s.proto, s.local_port;

-- description: which program listens on or uses a port (--param port=N), with every owner
SELECT s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state,
       ps.pid, p.name AS process, p.user, p.cmdline
FROM sockets s
LEFT JOIN process_sockets ps ON ps.inode = s.inode AND s.inode <> 0
LEFT JOIN processes p ON p.pid = ps.pid
WHERE s.local_port = :port OR s.remote_port = :port
ORDER BY s.state <> 'LISTEN', s.proto, ps.pid;

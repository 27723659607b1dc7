-- description: which program listens on or uses a TCP or UDP port (--param port=N), with the port's service name and every owner
-- Only tcp, udp and udplite have ports: a netlink socket's port id, a raw socket's protocol
-- number and an icmp socket's echo id share the column but not the meaning.
SELECT s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state,
       service(:port, s.proto) AS service,
       ps.pid, p.name AS process, p.user, p.cmdline
FROM sockets s
LEFT JOIN process_sockets ps ON ps.inode = s.inode AND s.inode <> 0
LEFT JOIN processes p ON p.pid = ps.pid
WHERE s.proto IN ('tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6')
  AND (s.local_port = :port OR s.remote_port = :port)
ORDER BY s.state <> 'LISTEN', s.proto, ps.pid;

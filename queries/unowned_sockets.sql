-- description: sockets no visible process holds; owner says whose: kernel (its own netlink sockets) or unknown (not readable: run as root; or held outside this PID namespace, or in flight)
-- A netlink socket with port id 0 is the kernel's end of its protocol (rtnl, uevent, ...): it
-- has an inode and never a process. A process's netlink socket gets a port id when it binds or
-- first sends, so one not yet bound whose owner cannot be read is counted as the kernel's too.
-- Sockets with inode 0 (TIME_WAIT, SYN_RECV) belong to no file at all and are left out.
SELECT CASE WHEN s.family = 'netlink' AND s.local_port = 0 THEN 'kernel' ELSE 'unknown' END AS owner,
       s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state, s.uid, s.inode, s.path
FROM sockets s
WHERE s.inode <> 0 AND s.pid IS NULL
ORDER BY owner = 'kernel', s.proto, s.local_port, s.inode;

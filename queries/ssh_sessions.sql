-- description: established SSH connections (local port 22) with their remote ends and owners
SELECT remote_addr, remote_port, local_addr, pid, process, timer, timer_ms
FROM sockets
WHERE proto IN ('tcp', 'tcp6') AND state = 'ESTABLISHED' AND local_port = 22
ORDER BY remote_addr;

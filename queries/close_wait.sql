-- description: CLOSE_WAIT sockets grouped by owning process, worst first (the program is not closing them)
SELECT pid, process, local_port, count(*) AS close_wait, sum(recv_q) AS unread_bytes
FROM sockets
WHERE state = 'CLOSE_WAIT'
GROUP BY pid, process, local_port
ORDER BY close_wait DESC;

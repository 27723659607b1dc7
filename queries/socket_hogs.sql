-- description: processes holding the most sockets
SELECT ps.pid, p.name AS process, p.user, count(*) AS sockets, p.cmdline
FROM process_sockets ps
LEFT JOIN processes p ON p.pid = ps.pid
GROUP BY ps.pid
ORDER BY sockets DESC, ps.pid;

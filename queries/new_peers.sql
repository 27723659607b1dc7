-- description: remote hosts connected now that no socket was connected to in the baseline (needs --baseline FILE)
SELECT s.remote_addr, count(*) AS sockets, group_concat(DISTINCT s.remote_port) AS remote_ports,
       group_concat(DISTINCT s.process) AS processes
FROM sockets s
WHERE s.family IN ('inet', 'inet6')
  AND s.state NOT IN ('LISTEN', 'UNCONN')
  AND s.remote_addr NOT IN ('0.0.0.0', '::')
  AND s.remote_addr NOT IN (SELECT b.remote_addr FROM baseline.sockets b WHERE b.remote_addr IS NOT NULL)
GROUP BY s.remote_addr
ORDER BY sockets DESC, s.remote_addr;

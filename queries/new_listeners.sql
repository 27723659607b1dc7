-- description: listening ports that were not listening in the baseline (needs --baseline FILE): what a backdoor looks like
-- A port counts as new when the baseline had no socket of the same protocol
-- in the same state on it; a daemon that restarted on its port is not new.
SELECT s.proto, s.local_addr, s.local_port, s.state, s.pid, s.process
FROM sockets s
WHERE ((s.state = 'LISTEN' AND s.proto IN ('tcp', 'tcp6'))
    OR (s.state = 'UNCONN' AND s.proto IN ('udp', 'udp6', 'udplite', 'udplite6')))
  AND NOT EXISTS (SELECT 1 FROM baseline.sockets b
                  WHERE b.proto = s.proto AND b.local_port = s.local_port AND b.state = s.state)
ORDER BY s.proto, s.local_port;

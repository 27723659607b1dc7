-- description: connections to routable addresses (not private, not loopback, not this host's own): on an internal host these deserve a look
-- A connection to one of the host's own addresses is local, whatever the address: the
-- addresses table lists them, and an IPv4 one appears on a dual-stack socket as ::ffff:a.b.c.d.
SELECT s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state, s.pid, s.process
FROM sockets s
WHERE s.family IN ('inet', 'inet6')
  AND s.state NOT IN ('LISTEN', 'UNCONN')
  AND s.remote_addr NOT IN ('0.0.0.0', '::')
  AND is_private(s.remote_addr) = 0
  AND NOT EXISTS (SELECT 1 FROM addresses a
                  WHERE a.address = s.remote_addr OR '::ffff:' || a.address = s.remote_addr)
ORDER BY s.remote_addr, s.remote_port;

-- examples.sql: a guided tour of netsql. Run it top to bottom:
--
--     netsql -f examples.sql            (tab-separated)
--     netsql -o table -f examples.sql   (aligned)
--
-- Every statement reads this machine at the moment it runs. Run as root to
-- see the owner of every socket.

-- 1. What tables are there? netsql's tables are virtual tables of an
--    in-memory SQLite database; sqlite_schema lists them.
SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name;

-- 2. A first look: how many sockets of each protocol and state.
SELECT proto, state, count(*) AS sockets
FROM sockets
GROUP BY proto, state
ORDER BY sockets DESC;

-- 3. netstat -tlnp: TCP listeners and the programs that own them.
--    pid and process cost a walk of /proc/*/fd, paid only when used.
SELECT local_addr, local_port, pid, process
FROM sockets
WHERE state = 'LISTEN'
ORDER BY local_port;

-- 4. A join: listeners with their owner's full command line and user,
--    from the processes table.
SELECT s.proto, s.local_port, p.pid, p.user, p.cmdline
FROM sockets s
JOIN processes p ON p.pid = s.pid
WHERE s.state = 'LISTEN'
ORDER BY s.local_port;

-- 5. Every owner of every socket (a socket shared after fork has several):
--    process_sockets has one row per (pid, fd).
SELECT ps.pid, p.name, count(*) AS sockets,
       sum(s.family IN ('inet', 'inet6')) AS inet,
       sum(s.family = 'unix') AS unix
FROM process_sockets ps
JOIN processes p USING (pid)
LEFT JOIN sockets s USING (inode)
GROUP BY ps.pid
ORDER BY sockets DESC
LIMIT 10;

-- 6. Sockets whose owner no process shows (closed but lingering, or hidden
--    from a non-root user).
SELECT proto, local_port, state, inode
FROM sockets
WHERE inode <> 0 AND pid IS NULL AND family IN ('inet', 'inet6')
ORDER BY proto, local_port;

-- 7. Helper functions: port names, address classes.
SELECT local_port,
       service(local_port, proto) AS service,
       local_addr,
       ip_family(local_addr) AS ip,
       is_private(local_addr) AS private,
       cidr_contains('127.0.0.0/8', local_addr) AS loopback
FROM sockets
WHERE state IN ('LISTEN', 'UNCONN') AND family IN ('inet', 'inet6')
ORDER BY local_port;

-- 8. Listeners by reach: all interfaces, one address, or loopback only.
SELECT CASE
         WHEN local_addr IN ('0.0.0.0', '::') THEN 'all interfaces'
         WHEN cidr_contains('127.0.0.0/8', local_addr) OR local_addr = '::1' THEN 'loopback only'
         ELSE 'one address'
       END AS reach,
       proto, local_addr, local_port, process
FROM sockets
WHERE state = 'LISTEN'
ORDER BY reach, local_port;

-- 9. Window functions: each process's share of the machine's TCP connections.
SELECT process, pid, connections,
       round(100.0 * connections / sum(connections) OVER (), 1) AS percent,
       rank() OVER (ORDER BY connections DESC) AS rank
FROM (SELECT process, pid, count(*) AS connections
      FROM sockets
      WHERE proto IN ('tcp', 'tcp6') AND state <> 'LISTEN' AND pid IS NOT NULL
      GROUP BY pid)
ORDER BY rank;

-- 10. Keep a result for later in this session: tables in the in-memory
--     database are allowed (files are not, unless --allow-write).
CREATE TEMP TABLE baseline AS
SELECT proto, local_addr, local_port FROM sockets WHERE state = 'LISTEN';

SELECT count(*) AS listeners_in_baseline FROM baseline;

-- ...and compare with the moment now: listeners that appeared since.
SELECT s.proto, s.local_addr, s.local_port, s.process
FROM sockets s
LEFT JOIN baseline b USING (proto, local_addr, local_port)
WHERE s.state = 'LISTEN' AND b.local_port IS NULL;

-- 11. Beyond sockets: the routes (every table, one row per next hop) and
--     the interface each uses, with its counters: netstat -r and -i joined.
SELECT r.family, r.table_name, r.destination, r.gateway, r.interface,
       i.operstate, i.mtu, i.rx_errors + i.tx_errors AS errors
FROM routes r
LEFT JOIN interfaces i ON i.name = r.interface
WHERE r.table_name = 'main'
ORDER BY r.family, r.destination;

-- 12. Addresses per interface (ip addr), and which of them have listeners.
SELECT a.interface, a.address, a.prefix_len, a.scope,
       (SELECT count(*) FROM sockets s WHERE s.state = 'LISTEN' AND s.local_addr = a.address) AS listeners
FROM addresses a
ORDER BY a.ifindex, a.family, a.address;

-- 13. Kernel counters (netstat -s, nstat): a ratio computed in SQL.
SELECT (SELECT value FROM snmp WHERE key = 'TcpRetransSegs') AS retransmitted,
       (SELECT value FROM snmp WHERE key = 'TcpOutSegs') AS sent,
       round(100.0 * (SELECT value FROM snmp WHERE key = 'TcpRetransSegs')
             / nullif((SELECT value FROM snmp WHERE key = 'TcpOutSegs'), 0), 4) AS percent;

-- 14. Socket counts without walking the sockets (ss -s), and the limits
--     that matter when they grow.
SELECT protocol, name, value FROM sockstat WHERE name IN ('inuse', 'tw', 'orphan')
UNION ALL
SELECT 'sysctl', name, value FROM sysctls
WHERE name IN ('net.core.somaxconn', 'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.ip_local_port_range');

-- 15. How the engine answers: equality is pushed down (pid= below means
--     /proc/PID is read for that pid only).
EXPLAIN QUERY PLAN SELECT name FROM processes WHERE pid = 1;

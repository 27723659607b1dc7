-- description: listeners by reach: all interfaces (0.0.0.0 or ::), one specific address, or loopback only, with owners
SELECT CASE
         WHEN local_addr IN ('0.0.0.0', '::') THEN 'all interfaces'
         WHEN cidr_contains('127.0.0.0/8', local_addr) OR local_addr IN ('::1', '::ffff:127.0.0.1') THEN 'loopback only'
         ELSE 'one address'
       END AS reach,
       proto, local_addr, local_port, service(local_port, proto) AS service, pid, process
FROM sockets
WHERE (state = 'LISTEN' AND proto IN ('tcp', 'tcp6'))
   OR (state = 'UNCONN' AND proto IN ('udp', 'udp6'))
ORDER BY reach = 'loopback only', reach, local_port;

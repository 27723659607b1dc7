-- description: the kernel's protocol counters, like netstat -s and nstat -az (non-zero first)
SELECT protocol, name, value
FROM snmp
ORDER BY value = 0, protocol, name;

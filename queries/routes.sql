-- description: the routing tables, like netstat -rn and ip route show table all (one row per next hop)
SELECT family, table_name, destination, gateway, interface, metric, flags, type, protocol, scope, prefsrc
FROM routes
ORDER BY family, table_id = 255, table_name, destination, metric;

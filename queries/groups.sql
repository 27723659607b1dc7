-- description: multicast group memberships, like netstat -g
SELECT interface, family, group_addr, users
FROM multicast
ORDER BY interface, family, group_addr;

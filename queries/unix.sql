-- description: unix domain sockets with their owners, like netstat -xp
SELECT type, state, inode, pid, process, path
FROM sockets
WHERE family = 'unix'
ORDER BY path IS NULL, path, inode;

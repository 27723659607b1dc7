-- description: TIME_WAIT sockets by remote address (who opens and closes connections fastest)
SELECT remote_addr, count(*) AS time_wait, min(timer_ms) AS soonest_expiry_ms
FROM sockets
WHERE state = 'TIME_WAIT'
GROUP BY remote_addr
ORDER BY time_wait DESC;

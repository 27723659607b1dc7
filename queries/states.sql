-- description: sockets per state and protocol
SELECT proto, state, count(*) AS sockets
FROM sockets
GROUP BY proto, state
ORDER BY sockets DESC, proto, state;

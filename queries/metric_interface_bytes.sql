-- description: bytes received and sent per interface, as a Prometheus counter (netsql --serve)
-- metric: netsql_interface_bytes_total counter
-- help: Interface bytes since the interface appeared, by interface and direction (rx, tx).
SELECT name AS interface, 'rx' AS direction, rx_bytes AS value FROM interfaces
UNION ALL
SELECT name, 'tx', tx_bytes FROM interfaces;

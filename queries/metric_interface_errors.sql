-- description: errors received and sent per interface, as a Prometheus counter (netsql --serve)
-- metric: netsql_interface_errors_total counter
-- help: Interface errors since the interface appeared, by interface and direction (rx, tx).
SELECT name AS interface, 'rx' AS direction, rx_errors AS value FROM interfaces
UNION ALL
SELECT name, 'tx', tx_errors FROM interfaces;

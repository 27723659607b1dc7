-- description: dropped received and sent per interface, as a Prometheus counter (netsql --serve)
-- metric: netsql_interface_dropped_total counter
-- help: Interface dropped since the interface appeared, by interface and direction (rx, tx).
SELECT name AS interface, 'rx' AS direction, rx_dropped AS value FROM interfaces
UNION ALL
SELECT name, 'tx', tx_dropped FROM interfaces;

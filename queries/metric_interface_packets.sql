-- description: packets received and sent per interface, as a Prometheus counter (netsql --serve)
-- metric: netsql_interface_packets_total counter
-- help: Interface packets since the interface appeared, by interface and direction (rx, tx).
SELECT name AS interface, 'rx' AS direction, rx_packets AS value FROM interfaces
UNION ALL
SELECT name, 'tx', tx_packets FROM interfaces;

-- description: bytes, packets, errors and drops per second per interface since the previous run (run it with --watch; the first run shows totals)
WITH since AS (SELECT unixepoch('subsec') - taken_unix AS s FROM prev.snapshot_info)
SELECT i.name,
       CASE WHEN p.name IS NULL THEN i.rx_bytes ELSE round((i.rx_bytes - p.rx_bytes) / since.s, 1) END AS rx_bytes_s,
       CASE WHEN p.name IS NULL THEN i.tx_bytes ELSE round((i.tx_bytes - p.tx_bytes) / since.s, 1) END AS tx_bytes_s,
       CASE WHEN p.name IS NULL THEN i.rx_packets ELSE round((i.rx_packets - p.rx_packets) / since.s, 1) END AS rx_packets_s,
       CASE WHEN p.name IS NULL THEN i.tx_packets ELSE round((i.tx_packets - p.tx_packets) / since.s, 1) END AS tx_packets_s,
       CASE WHEN p.name IS NULL THEN i.rx_errors + i.tx_errors
            ELSE round((i.rx_errors + i.tx_errors - p.rx_errors - p.tx_errors) / since.s, 1) END AS errors_s,
       CASE WHEN p.name IS NULL THEN i.rx_dropped + i.tx_dropped
            ELSE round((i.rx_dropped + i.tx_dropped - p.rx_dropped - p.tx_dropped) / since.s, 1) END AS dropped_s
FROM interfaces i
LEFT JOIN prev.interfaces p ON p.name = i.name AND p.ifindex IS i.ifindex
LEFT JOIN since ON 1
ORDER BY i.name;

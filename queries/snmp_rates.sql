-- description: kernel protocol counters that moved since the previous run, with their rate, like nstat (run it with --watch; the first run shows the non-zero totals)
WITH since AS (SELECT unixepoch('subsec') - taken_unix AS s FROM prev.snapshot_info)
SELECT s.protocol, s.name,
       s.value - coalesce(p.value, 0) AS delta,
       CASE WHEN p.name IS NULL THEN NULL ELSE round((s.value - p.value) / since.s, 1) END AS per_s
FROM snmp s
LEFT JOIN prev.snmp p ON p.protocol = s.protocol AND p.name = s.name
LEFT JOIN since ON 1
WHERE s.value - coalesce(p.value, 0) != 0
ORDER BY s.protocol, s.name;

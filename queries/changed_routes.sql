-- description: routes added or removed since the baseline, every table (needs --baseline FILE)
SELECT 'added' AS change, * FROM (
  SELECT family, table_name, destination, gateway, interface, metric, type FROM routes
  EXCEPT
  SELECT family, table_name, destination, gateway, interface, metric, type FROM baseline.routes)
UNION ALL
SELECT 'removed', * FROM (
  SELECT family, table_name, destination, gateway, interface, metric, type FROM baseline.routes
  EXCEPT
  SELECT family, table_name, destination, gateway, interface, metric, type FROM routes)
ORDER BY destination, change;

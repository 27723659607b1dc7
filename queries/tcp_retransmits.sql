-- description: retransmitted TCP segments as a share of segments sent since boot, with the related TcpExt counters
WITH c AS (SELECT key, value FROM snmp WHERE protocol IN ('Tcp', 'TcpExt'))
SELECT 'RetransSegs / OutSegs' AS measure,
       (SELECT value FROM c WHERE key = 'TcpRetransSegs') AS value,
       round(100.0 * (SELECT value FROM c WHERE key = 'TcpRetransSegs')
             / nullif((SELECT value FROM c WHERE key = 'TcpOutSegs'), 0), 4) AS percent
UNION ALL
SELECT key, value, NULL
FROM c
WHERE key IN ('TcpOutSegs', 'TcpExtTCPLostRetransmit', 'TcpExtTCPFastRetrans', 'TcpExtTCPSlowStartRetrans',
              'TcpExtTCPRetransFail', 'TcpExtTCPSynRetrans', 'TcpExtTCPTimeouts', 'TcpExtTCPLossProbes',
              'TcpExtTCPSpuriousRTOs', 'TcpExtTCPDSACKRecv');

-- description: interfaces with errors or drops, and which kind
SELECT name, operstate,
       rx_errors, rx_dropped, rx_missed_errors, rx_fifo_errors, rx_over_errors, rx_crc_errors, rx_frame_errors,
       tx_errors, tx_dropped, tx_carrier_errors, tx_fifo_errors, collisions
FROM interfaces
WHERE rx_errors + rx_dropped + tx_errors + tx_dropped + collisions > 0
   OR coalesce(rx_missed_errors, 0) + coalesce(rx_fifo_errors, 0) + coalesce(rx_over_errors, 0) > 0
ORDER BY rx_errors + rx_dropped + tx_errors + tx_dropped DESC;

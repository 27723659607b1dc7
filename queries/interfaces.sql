-- description: interface counters, like netstat -i (RX-OVR is rx_fifo_errors, as in netstat)
SELECT name AS iface, mtu,
       rx_packets AS rx_ok, rx_errors AS rx_err, rx_dropped AS rx_drp, rx_fifo_errors AS rx_ovr,
       tx_packets AS tx_ok, tx_errors AS tx_err, tx_dropped AS tx_drp, tx_fifo_errors AS tx_ovr,
       flags
FROM interfaces
ORDER BY ifindex;

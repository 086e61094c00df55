#pragma once
void uart_vfs_dev_use_driver(int uart_num);

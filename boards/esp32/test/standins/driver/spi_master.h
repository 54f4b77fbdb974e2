#pragma once
#include <stdint.h>
#include "esp_err.h"
typedef enum { SPI1_HOST = 0, SPI2_HOST = 1, SPI3_HOST = 2 } spi_host_device_t;
typedef enum { SPI_DMA_DISABLED = 0, SPI_DMA_CH_AUTO = 3 } spi_common_dma_t;
typedef struct {
  int mosi_io_num;
  int miso_io_num;
  int sclk_io_num;
  int quadwp_io_num;
  int quadhd_io_num;
  int max_transfer_sz;
  uint32_t flags;
  int intr_flags;
} spi_bus_config_t;
typedef struct {
  uint8_t command_bits;
  uint8_t address_bits;
  uint8_t dummy_bits;
  uint8_t mode;
  int clock_speed_hz;
  int spics_io_num;
  uint32_t flags;
  int queue_size;
} spi_device_interface_config_t;
esp_err_t spi_bus_initialize(spi_host_device_t host_id, const spi_bus_config_t *bus_config, spi_common_dma_t dma_chan);

// SPDX-License-Identifier: BSL-1.0
// The symbols of <runninghub/detail/asio_config.hpp> this build of the library
// provides: those of the Asio configuration it was compiled with.
#include <runninghub/detail/asio_config.hpp>

#define RUNNINGHUB_ASIO_CONFIG_IS(probe, symbol) extern const char symbol = 0;

namespace runninghub::asio_config {
RUNNINGHUB_ASIO_CONFIG(RUNNINGHUB_ASIO_CONFIG_IS)
} // namespace runninghub::asio_config

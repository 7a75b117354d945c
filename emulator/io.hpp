// SPDX-License-Identifier: BSL-1.0
#pragma once
// What the emulator's stream code shares: completions as (error, value) tuples.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace runninghub::emu {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

} // namespace runninghub::emu

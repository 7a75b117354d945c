#pragma once
// Completions as (error, value) tuples: how net/ awaits every operation.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace runninghub::detail {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

} // namespace runninghub::detail

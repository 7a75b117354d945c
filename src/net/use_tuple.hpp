// SPDX-License-Identifier: BSL-1.0
#pragma once
// Completions as (error, value) tuples: how net/ awaits every operation.
// Deferred, not use_awaitable: an awaitable coroutine awaits a deferred
// operation directly, where use_awaitable allocates a frame per operation.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>

namespace runninghub::detail {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::deferred);

} // namespace runninghub::detail

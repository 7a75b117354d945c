// SPDX-License-Identifier: BSL-1.0
#pragma once
// What the pools of every origin share: the executor, the TLS context, the
// options, the log and the counters (owned by http_client).

#include "core/log.hpp"

#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <string>
#include <string_view>

namespace runninghub::detail {

struct net_env {
    /// Sets up TLS: verification on unless opted out, system store plus the
    /// options' CA file or PEM, TLS >= 1.2, a client session cache.
    /// Throws runninghub::error (invalid_options) for an unreadable CA.
    net_env(boost::asio::any_io_executor ex, const client_options& opts, const logger& log);

    boost::asio::any_io_executor ex;
    boost::asio::ssl::context tls;
    pool_options pool_opts;
    timeouts phase;
    logger log;
    std::string bearer;  // "Bearer <key>"
    std::string_view key() const noexcept { return std::string_view(bearer).substr(7); }
    pool_stats stats;    // summed over every origin
};

} // namespace runninghub::detail

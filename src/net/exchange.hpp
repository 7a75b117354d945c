// SPDX-License-Identifier: BSL-1.0
#pragma once
// One request and its answer on an open connection: the head written by hand,
// streamed bodies, and Beast's errors turned into what they mean for a client
// (phase timeouts, protocol_error, eof, connection_reset), so that no Beast
// code leaves src/net/.

#include "net/http.hpp"

#include <string_view>

namespace runninghub::detail {

struct connection;
struct net_env;

/// Where a request goes and how it is signed.
struct exchange_target {
    std::string_view path_prefix;
    std::string_view host_header;
    std::string_view bearer;  // "Bearer <key>", sent when the request says authorize
};

/// What the pool needs to know about the exchange besides http_response.
struct exchange_facts {
    bool got_response_bytes = false;
    bool keep_alive = false;  // the answer was read whole and allows another request
};

/// Writes `req` and reads its answer into `out` (out.ec on failure), each
/// write and read within its phase timeout and `deadline`.
boost::asio::awaitable<void> exchange(connection& c, bool tls, const exchange_target& to, const net_env& env,
                                      const http_request& req, time_point deadline, http_response& out,
                                      exchange_facts& facts);

} // namespace runninghub::detail

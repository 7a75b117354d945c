#pragma once
// The HTTP layer: per-origin connection pools and one exchange with deadlines.
// No Beast types here, so that the client's translation unit stays light.

#include "origin.hpp"

#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl { class context; }

namespace runninghub::detail {

struct http_request {
    bool post = true;                 // POST, else GET
    std::string_view target;          // path and query, without the origin's prefix; outlives the call
    std::string body;
    std::string_view content_type = "application/json";
    bool idempotent = false;          // may be repeated after the request went out
};

struct http_response {
    error_code ec;                    // transport or phase-timeout error
    bool request_written = false;     // the whole request was handed to the kernel
    unsigned status = 0;
    std::string body;
    std::string retry_after;
    std::string detail;               // a sentence for diagnostics (e.g. why TLS verification failed)
};

class logger;

class http_client {
public:
    http_client(boost::asio::any_io_executor ex, const client_options& opts, const logger& log);
    ~http_client();

    /// One exchange on a pooled connection, within `deadline`.
    boost::asio::awaitable<http_response> request(const origin& o, const http_request& req,
                                                  time_point deadline);

    pool_stats stats() const;
    void shutdown();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace runninghub::detail

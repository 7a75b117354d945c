// SPDX-License-Identifier: BSL-1.0
#pragma once
// The HTTP layer: per-origin connection pools and one exchange with deadlines.
// No Beast types here, so that the client's translation unit stays light.

#include "core/http_method.hpp"
#include "core/origin.hpp"

#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio::ssl { class context; }

namespace runninghub::detail {

/// A request body streamed after http_request::body (uploads): a known size,
/// read in chunks so that memory stays bounded.
class body_source {
public:
    virtual ~body_source() = default;
    virtual std::uint64_t size() const = 0;
    /// Up to n bytes into p; 0 at the end. Sets ec when the data cannot be read.
    virtual std::size_t read(char* p, std::size_t n, error_code& ec) = 0;
    /// Back to the first byte (a request repeated on a fresh connection).
    virtual error_code rewind() = 0;
};

/// What a response's head says about its body.
struct response_head {
    unsigned status = 0;
    std::optional<std::uint64_t> content_length;
    std::string content_range;  // "bytes 100-199/1000"
    std::string content_md5;    // base64, RFC 1864
    std::string etag;
    std::string content_type;
};

/// Receives a 2xx response body in chunks (downloads). Other statuses are
/// read into http_response::body for diagnostics.
class body_sink {
public:
    virtual ~body_sink() = default;
    /// The head of a 2xx answer; an error refuses the body (the connection is closed).
    virtual error_code on_head(const response_head& head) = 0;
    virtual error_code on_data(const char* p, std::size_t n) = 0;
};

struct http_request {
    http_method method = http_method::post;
    std::string_view target;          // path and query, without the origin's prefix; outlives the call
    std::string body;                 // the whole body, or the part before `source`
    std::string_view content_type = "application/json";
    bool idempotent = false;          // may be repeated after the request went out
    bool authorize = true;            // send the API key as Bearer (never to other hosts)
    std::string_view headers;         // extra header lines, each ending in "\r\n"
    body_source* source = nullptr;    // streamed after `body`
    std::string_view tail;            // written after `source`
    body_sink* sink = nullptr;        // receives a 2xx body instead of http_response::body
};

struct http_response {
    error_code ec;                    // transport or phase-timeout error, or the source's / sink's
    bool request_written = false;     // the whole request was handed to the kernel
    unsigned status = 0;
    std::string body;
    std::string retry_after;
    std::string detail;               // a sentence for diagnostics (e.g. why TLS verification failed)
    std::uint64_t body_bytes = 0;     // bytes handed to the sink
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

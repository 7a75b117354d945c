// SPDX-License-Identifier: BSL-1.0
#pragma once
// One small HTTP(S) server core, shared by the webhook listener and the
// emulator: accept, optional TLS handshake, a read timeout per request, and a
// loop per connection that hands each request to its owner.
// No Beast types here: request-level owners (the listener) see a plain view of
// each request; stream-level owners (the emulator) include server_stream.hpp.

#include <runninghub/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace runninghub::detail {

class server_stream;

/// A whole request as the core read it, for request-level owners.
struct server_request {
    std::string_view method;  // "POST"
    std::string_view target;  // path and query, as sent
    std::size_t header_count = 0;
    std::string_view body;
    bool keep_alive = false;
    /// 413 or 431 when the request broke a limit: it was not read whole and the
    /// connection closes after the answer.
    unsigned oversized = 0;
};

/// The answer to a server_request.
struct server_answer {
    unsigned status = 200;
    std::string content_type;  // empty: no Content-Type field
    std::string body;
};

struct server_options {
    std::string address = "127.0.0.1";
    unsigned short port = 0;        // 0: ephemeral
    std::string cert_pem, key_pem;  // TLS (1.2 or later) when either is set
    std::string server_name;        // the Server field of the answers the core writes
    duration handshake_timeout = std::chrono::seconds(10);
    /// The head of each request must arrive within it; request-level owners:
    /// the body with it, and the answer's write.
    duration read_timeout = std::chrono::seconds(10);
    // Limits: a request beyond them is answered 431 / 413 (request-level) or
    // its connection closed (stream-level). No body limit: none is checked.
    std::uint32_t header_limit = 8 * 1024;  // bytes of a request's head
    std::optional<std::uint64_t> body_limit;
    std::function<void()> on_connection;  // called for each accepted connection
    /// Called for each failed accept; out of descriptors or memory, the loop
    /// then pauses (50 ms, doubling up to 1 s) instead of spinning.
    std::function<void(const error_code&)> on_accept_error;
};

class server {
public:
    /// Request-level: called on the server's executor; the core writes the answer.
    using request_handler = std::function<server_answer(const server_request&)>;
    /// Stream-level: the request's head is in s.head(); the owner reads the body
    /// and writes the answer itself. co_return false closes the connection.
    using stream_handler = std::function<boost::asio::awaitable<bool>(server_stream&)>;
    struct state;  // acceptor, TLS context, options: shared with the running coroutines

    /// Binds and listens on `ex`. Throws std::system_error whose what() names
    /// the step: "certificate or key", "address \"…\"", "cannot listen on a:p".
    server(boost::asio::any_io_executor ex, server_options opts);
    ~server();
    server(server&&) noexcept;
    server& operator=(server&&) = delete;

    /// Starts accepting; call one of them once. The handler lives as long as
    /// the accept loop or a connection does.
    void serve_requests(request_handler h);
    void serve_streams(stream_handler h);

    unsigned short port() const;
    bool tls() const;
    boost::asio::any_io_executor get_executor() const;
    /// Stops accepting; connections already open go on until they end.
    void close();

private:
    std::shared_ptr<state> state_;
};

} // namespace runninghub::detail

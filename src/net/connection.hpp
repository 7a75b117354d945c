// SPDX-License-Identifier: BSL-1.0
#pragma once
// One connection to an origin and how it is made: resolve (with its own
// timer), connect, TLS set-up (SNI, verification, session resumption), and
// the peek that finds a kept-alive connection closed while it was idle.

#include "core/origin.hpp"
#include "core/pool_state.hpp"
#include "net/env.hpp"
#include "net/tls_stream.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <string>
#include <vector>

namespace runninghub::detail {

struct connection {
    /// `tls` null: plain HTTP.
    connection(boost::asio::any_io_executor ex, SSL_CTX* tls) : stream(std::move(ex), tls) {}

    tls_stream stream;  // TLS when the origin is https, else only its tcp_stream is used
    boost::beast::flat_buffer buffer;
    std::string head;  // the request head being written, reused
    std::size_t requests = 0;
    bool session_saved = false;

    boost::beast::tcp_stream& tcp() { return stream.next_layer(); }
};

/// The deadline of one phase: its own timeout, cut short by the request's deadline.
time_point phase_expiry(time_point deadline, duration phase);

/// A kept-alive connection the peer has closed (or sent unexpected bytes on).
bool unusable_while_idle(connection& c);

/// Closes the socket. A connection closed in good order keeps its TLS session
/// resumable; after an error or a timeout the stream's state is unknown.
void close(connection& c, close_cause why);

/// Opens connections to one origin: keeps its resolved endpoints (60 s) and
/// the last resumable TLS session.
class connector {
public:
    connector(const origin& where, net_env& env) : where_(where), env_(env) {}
    ~connector();
    connector(const connector&) = delete;
    connector& operator=(const connector&) = delete;

    /// TCP (and TLS) within the connect/handshake timeouts and `deadline`;
    /// `detail` says why certificate verification failed.
    boost::asio::awaitable<error_code> connect(connection& c, time_point deadline, std::string& detail);

    /// After c's first answer: its TLS session resumes the next handshakes.
    void keep_session(connection& c);

private:
    boost::asio::awaitable<error_code> resolve(time_point deadline);
    void prepare_tls(connection& c);

    const origin& where_;
    net_env& env_;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
    time_point endpoints_expiry_{};
    SSL_SESSION* session_ = nullptr;
};

} // namespace runninghub::detail

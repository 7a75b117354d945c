// SPDX-License-Identifier: BSL-1.0
#pragma once
// The stream-level hook of the server core (server.hpp), for owners that
// stream bodies or drop connections (the emulator): one connection, plain TCP
// or TLS over it, as one Beast stream, with the head of the request it serves.

#include "net/server.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <optional>
#include <variant>

namespace runninghub::detail {

class server_stream {
public:
    using tcp_stream = boost::beast::tcp_stream;
    using tls_stream = boost::asio::ssl::stream<tcp_stream>;
    using executor_type = tcp_stream::executor_type;
    using head_parser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

    /// TLS over the socket when `tls` is set (the core does the handshake).
    server_stream(boost::asio::ip::tcp::socket sock, boost::asio::ssl::context* tls);

    executor_type get_executor() noexcept { return lowest().get_executor(); }
    /// The TCP layer: its timeouts (expires_after) and its socket.
    tcp_stream& lowest() noexcept;
    /// The TLS layer; null for plain TCP.
    tls_stream* tls() noexcept { return std::get_if<tls_stream>(&s_); }
    /// Bytes read past the head of the request being served.
    boost::beast::flat_buffer& buffer() noexcept { return buffer_; }
    /// The head of the request being served; move it into a parser with a
    /// body to read the body.
    head_parser& head() noexcept { return *head_; }
    /// A fresh head parser for the next request (the core calls it).
    head_parser& next_head(std::uint32_t header_limit, std::optional<std::uint64_t> body_limit);

    /// Requests answered on this connection, kept by the owner (e.g. a keep-alive cap).
    std::size_t served = 0;

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                if (auto* t = tls())
                    t->async_read_some(b, std::move(handler));
                else
                    std::get<tcp_stream>(s_).async_read_some(b, std::move(handler));
            },
            token, b);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                if (auto* t = tls())
                    t->async_write_some(b, std::move(handler));
                else
                    std::get<tcp_stream>(s_).async_write_some(b, std::move(handler));
            },
            token, b);
    }

private:
    std::variant<tcp_stream, tls_stream> s_;
    boost::beast::flat_buffer buffer_;
    std::optional<head_parser> head_;
};

} // namespace runninghub::detail

// SPDX-License-Identifier: BSL-1.0
#include "net/server.hpp"
#include "net/use_tuple.hpp"
#include "net/server_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <system_error>
#include <variant>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace runninghub::detail {
namespace {

using handler = std::variant<server::request_handler, server::stream_handler>;

std::variant<server_stream::tcp_stream, server_stream::tls_stream> make_stream(tcp::socket sock, ssl::context* tls) {
    beast::tcp_stream s(std::move(sock));
    if (tls)
        return std::variant<server_stream::tcp_stream, server_stream::tls_stream>(
            std::in_place_type<server_stream::tls_stream>, std::move(s), *tls);
    return s;
}

} // namespace

server_stream::server_stream(tcp::socket sock, ssl::context* tls) : s_(make_stream(std::move(sock), tls)) {}

server_stream::tcp_stream& server_stream::lowest() noexcept {
    if (auto* t = tls())
        return t->next_layer();
    return std::get<tcp_stream>(s_);
}

server_stream::head_parser& server_stream::next_head(std::uint32_t header_limit,
                                                     std::optional<std::uint64_t> body_limit) {
    head_.emplace();
    head_->header_limit(header_limit);
    if (body_limit)
        head_->body_limit(*body_limit);
    else
        head_->body_limit(boost::none);
    return *head_;
}

struct server::state {
    state(asio::any_io_executor ex, server_options o) : opts(std::move(o)), acceptor(std::move(ex)) {
        if (!opts.cert_pem.empty() || !opts.key_pem.empty()) {
            error_code ec;
            ctx.use_certificate_chain(asio::buffer(opts.cert_pem), ec);
            if (!ec)
                ctx.use_private_key(asio::buffer(opts.key_pem), ssl::context::pem, ec);
            if (ec)
                throw std::system_error(ec, "certificate or key");
            SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
            tls = true;
        }
        error_code ec;
        auto addr = asio::ip::make_address(opts.address, ec);
        if (ec)
            throw std::system_error(ec, "address \"" + opts.address + "\"");
        tcp::endpoint ep(addr, opts.port);
        acceptor.open(ep.protocol(), ec);
        if (!ec)
            acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor.bind(ep, ec);
        if (!ec)
            acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            throw std::system_error(ec, "cannot listen on " + opts.address + ":" + std::to_string(opts.port));
        port = acceptor.local_endpoint().port();
    }

    server_options opts;
    tcp::acceptor acceptor;
    ssl::context ctx{ssl::context::tls_server};
    bool tls = false;
    std::atomic<bool> closed{false};
    unsigned short port = 0;
};

namespace {

using state_ptr = std::shared_ptr<server::state>;
using handler_ptr = std::shared_ptr<const handler>;

// Request-level: reads the body after the head, asks the owner, writes its
// answer. A broken limit is answered 413/431, then the connection closes.
asio::awaitable<bool> answer_request(const server_options& opts, const server::request_handler& h,
                                     server_stream& s, error_code ec) {
    std::optional<http::request_parser<http::string_body>> parser;
    if (!ec) {
        parser.emplace(std::move(s.head()));
        auto [bec, n] = co_await http::async_read(s, s.buffer(), *parser, use_tuple);
        ec = bec;
    }
    server_request view;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
        view.oversized = ec == http::error::body_limit ? 413 : 431;
    } else if (ec) {
        co_return false;
    } else {
        auto& req = parser->get();
        view.method = req.method_string();
        view.target = req.target();
        view.header_count = static_cast<std::size_t>(std::distance(req.begin(), req.end()));
        view.body = req.body();
        view.keep_alive = req.keep_alive();
    }
    server_answer a = h(view);
    http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
    res.set(http::field::server, opts.server_name);
    if (!a.content_type.empty())
        res.set(http::field::content_type, a.content_type);
    res.body() = std::move(a.body);
    bool keep = !view.oversized && view.keep_alive;
    res.keep_alive(keep);
    res.prepare_payload();
    s.lowest().expires_after(opts.read_timeout);
    auto [wec, wn] = co_await http::async_write(s, res, use_tuple);
    co_return !wec && keep;
}

// Reads the next request's head and hands the request to the owner; false: close.
asio::awaitable<bool> next_request(const server_options& opts, const handler& h, server_stream& s) {
    auto& head = s.next_head(opts.header_limit, opts.body_limit);
    s.lowest().expires_after(opts.read_timeout);
    auto [ec, n] = co_await http::async_read_header(s, s.buffer(), head, use_tuple);
    if (auto* streams = std::get_if<server::stream_handler>(&h)) {
        if (ec)
            co_return false;
        co_return co_await (*streams)(s);
    }
    co_return co_await answer_request(opts, std::get<server::request_handler>(h), s, ec);
}

asio::awaitable<void> session(state_ptr st, handler_ptr h, tcp::socket sock) {
    try {
        error_code ec;
        sock.set_option(tcp::no_delay(true), ec);
        server_stream s(std::move(sock), st->tls ? &st->ctx : nullptr);
        if (auto* tls = s.tls()) {
            s.lowest().expires_after(st->opts.handshake_timeout);
            auto [hec] = co_await tls->async_handshake(ssl::stream_base::server, use_tuple);
            if (hec)
                co_return;
        }
        while (co_await next_request(st->opts, *h, s)) {
        }
        s.lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        s.lowest().socket().close(ec);
    } catch (...) {
        // Bad input never escapes: the connection is simply closed.
    }
}

// Out of descriptors or memory, a queued connection makes accept fail again at
// once: without a pause the loop would spin at 100% CPU until one frees.
bool out_of_resources(const error_code& ec) {
    namespace errc = boost::system::errc;
    return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
           ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

asio::awaitable<void> accept_loop(state_ptr st, handler_ptr h) {
    constexpr duration first_pause = std::chrono::milliseconds(50), max_pause = std::chrono::seconds(1);
    duration pause{0};
    asio::steady_timer timer(st->acceptor.get_executor());
    while (!st->closed) {
        auto [ec, sock] = co_await st->acceptor.async_accept(use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || st->closed)
                co_return;
            if (st->opts.on_accept_error)
                st->opts.on_accept_error(ec);
            if (!out_of_resources(ec))
                continue;  // one connection's failure (e.g. reset while queued)
            pause = pause == duration{0} ? first_pause : std::min(2 * pause, max_pause);
            timer.expires_after(pause);  // after close(), the loop ends when the pause does
            co_await timer.async_wait(use_tuple);
            continue;
        }
        pause = duration{0};
        if (st->opts.on_connection)
            st->opts.on_connection();
        asio::co_spawn(st->acceptor.get_executor(), session(st, h, std::move(sock)), asio::detached);
    }
}

} // namespace

server::server(asio::any_io_executor ex, server_options opts)
    : state_(std::make_shared<state>(std::move(ex), std::move(opts))) {}

server::server(server&&) noexcept = default;

server::~server() {
    if (state_)
        close();
}

void server::serve_requests(request_handler h) {
    asio::co_spawn(state_->acceptor.get_executor(),
                   accept_loop(state_, std::make_shared<const handler>(std::move(h))), asio::detached);
}

void server::serve_streams(stream_handler h) {
    asio::co_spawn(state_->acceptor.get_executor(),
                   accept_loop(state_, std::make_shared<const handler>(std::move(h))), asio::detached);
}

unsigned short server::port() const { return state_->port; }
bool server::tls() const { return state_->tls; }
asio::any_io_executor server::get_executor() const { return state_->acceptor.get_executor(); }

void server::close() {
    if (state_->closed.exchange(true))
        return;
    error_code ignored;
    state_->acceptor.close(ignored);
}

} // namespace runninghub::detail

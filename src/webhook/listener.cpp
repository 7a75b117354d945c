#include <runninghub/webhook.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <deque>
#include <map>
#include <unordered_set>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace runninghub {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool valid_secret(const std::string& s) {
    if (s.size() < 16 || s.size() > 128)
        return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return false;
    return true;
}

} // namespace

struct webhook_listener::impl : std::enable_shared_from_this<webhook_listener::impl> {
    impl(asio::any_io_executor ex, webhook_options o)
        : opts(std::move(o)), acceptor(asio::make_strand(ex)), ctx(ssl::context::tls_server) {
        auto bad = [](std::string why) { throw error(make_error_code(errc::invalid_options), "webhook_listener: " + why); };
        if (!valid_secret(opts.secret))
            bad("secret must be 16 to 128 characters of [0-9A-Za-z_-]");
        if (opts.path.empty() || opts.path.front() != '/' || opts.path.back() == '/')
            bad("path must start with '/' and not end with one");
        if (opts.max_body == 0 || opts.max_header_fields == 0)
            bad("max_body and max_header_fields must be positive");
        tls = !opts.cert_pem.empty() || !opts.key_pem.empty();
        if (tls) {
            error_code ec;
            ctx.use_certificate_chain(asio::buffer(opts.cert_pem), ec);
            if (!ec)
                ctx.use_private_key(asio::buffer(opts.key_pem), ssl::context::pem, ec);
            if (ec)
                bad("certificate or key: " + ec.message());
        }
        error_code ec;
        auto addr = asio::ip::make_address(opts.address, ec);
        if (ec)
            bad("address \"" + opts.address + "\": " + ec.message());
        tcp::endpoint ep(addr, opts.port);
        acceptor.open(ep.protocol(), ec);
        if (!ec)
            acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor.bind(ep, ec);
        if (!ec)
            acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            bad("cannot listen on " + opts.address + ":" + std::to_string(opts.port) + ": " + ec.message());
        port = acceptor.local_endpoint().port();
    }

    void start() { asio::co_spawn(acceptor.get_executor(), accept_loop(shared_from_this()), asio::detached); }

    static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
        while (!self->closed) {
            auto [ec, sock] = co_await self->acceptor.async_accept(use_tuple);
            if (ec) {
                if (ec == asio::error::operation_aborted || self->closed)
                    co_return;
                continue;
            }
            ++self->counters.connections;
            asio::co_spawn(self->acceptor.get_executor(), session(self, std::move(sock)), asio::detached);
        }
    }

    static asio::awaitable<void> session(std::shared_ptr<impl> self, tcp::socket sock) {
        try {
            if (self->tls) {
                ssl::stream<beast::tcp_stream> s(beast::tcp_stream(std::move(sock)), self->ctx);
                s.next_layer().expires_after(self->opts.read_timeout);
                auto [ec] = co_await s.async_handshake(ssl::stream_base::server, use_tuple);
                if (!ec)
                    co_await self->serve(s, s.next_layer());
            } else {
                beast::tcp_stream s(std::move(sock));
                co_await self->serve(s, s);
            }
        } catch (...) {
            // Bad input never escapes: the connection is simply closed.
        }
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& s, beast::tcp_stream& lowest) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(opts.max_body);
            parser.header_limit(16 * 1024);
            lowest.expires_after(opts.read_timeout);
            auto [ec, n] = co_await http::async_read(s, buffer, parser, use_tuple);
            http::response<http::string_body> res;
            res.version(11);
            res.set(http::field::server, "runninghub-cpp webhook");
            bool keep = false;
            if (ec == http::error::body_limit || ec == http::error::header_limit) {
                ++counters.rejected_oversized;
                res.result(ec == http::error::body_limit ? http::status::payload_too_large
                                                         : http::status::request_header_fields_too_large);
            } else if (ec) {
                break;
            } else {
                ++counters.received;
                auto& req = parser.get();
                keep = req.keep_alive();
                handle(req, res);
            }
            res.keep_alive(keep);
            res.prepare_payload();
            lowest.expires_after(opts.read_timeout);
            auto [wec, wn] = co_await http::async_write(s, res, use_tuple);
            if (wec || !keep)
                break;
        }
        error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest.socket().close(ignored);
    }

    void handle(const http::request<http::string_body>& req, http::response<http::string_body>& res) {
        auto answer = [&](http::status st, std::string_view body) {
            res.result(st);
            res.set(http::field::content_type, "application/json");
            res.body() = body;
        };
        std::size_t fields = 0;
        for (auto it = req.begin(); it != req.end(); ++it)
            ++fields;
        if (fields > opts.max_header_fields) {
            ++counters.rejected_oversized;
            return answer(http::status::request_header_fields_too_large, R"({"code":431,"msg":"too many header fields"})");
        }
        std::string_view target = req.target();
        target = target.substr(0, target.find('?'));
        if (target != opts.path + "/" + opts.secret) {
            ++counters.rejected_path;
            return answer(http::status::not_found, R"({"code":404,"msg":"not found"})");
        }
        if (req.method() != http::verb::post) {
            ++counters.rejected_method;
            return answer(http::status::method_not_allowed, R"({"code":405,"msg":"POST only"})");
        }
        auto event = parse_webhook_event(req.body());
        if (!event) {
            ++counters.rejected_malformed;
            return answer(http::status::bad_request, R"({"code":400,"msg":"not a TASK_END event"})");
        }
        answer(http::status::ok, R"({"code":0,"msg":"success"})");
        if (!remember(event->task_id)) {
            ++counters.duplicates;
            return;
        }
        ++counters.accepted;
        // Delivered after the answer is on its way: subscribers never delay it.
        asio::post(acceptor.get_executor(), [self = shared_from_this(), e = std::move(*event)] {
            auto subs = self->subscribers;  // a subscriber may unsubscribe while called
            for (auto& [token, fn] : subs)
                if (self->subscribers.count(token))
                    fn(e);
        });
    }

    bool remember(const std::string& id) {
        if (!seen.insert(id).second)
            return false;
        order.push_back(id);
        if (order.size() > opts.remembered_tasks) {
            seen.erase(order.front());
            order.pop_front();
        }
        return true;
    }

    webhook_options opts;
    tcp::acceptor acceptor;
    ssl::context ctx;
    bool tls = false;
    bool closed = false;
    unsigned short port = 0;
    webhook_stats counters;
    std::unordered_set<std::string> seen;
    std::deque<std::string> order;
    std::map<std::uint64_t, std::function<void(const webhook_event&)>> subscribers;
    std::uint64_t next_token = 1;
};

webhook_listener::webhook_listener(asio::any_io_executor ex, webhook_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {
    impl_->start();
}

webhook_listener::~webhook_listener() { close(); }

unsigned short webhook_listener::port() const { return impl_->port; }

std::string webhook_listener::local_url() const {
    auto& o = impl_->opts;
    std::string host = o.address == "0.0.0.0" ? "127.0.0.1" : o.address;
    return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" + std::to_string(impl_->port) + o.path +
           "/" + o.secret;
}

std::string webhook_listener::callback_url() const {
    auto& o = impl_->opts;
    if (o.public_url.empty())
        return local_url();
    std::string base = o.public_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base + o.path + "/" + o.secret;
}

std::uint64_t webhook_listener::subscribe(std::function<void(const webhook_event&)> fn) {
    auto token = impl_->next_token++;
    impl_->subscribers.emplace(token, std::move(fn));
    return token;
}

void webhook_listener::unsubscribe(std::uint64_t token) { impl_->subscribers.erase(token); }

webhook_stats webhook_listener::stats() const { return impl_->counters; }

void webhook_listener::close() {
    if (impl_->closed)
        return;
    impl_->closed = true;
    impl_->subscribers.clear();
    error_code ignored;
    impl_->acceptor.close(ignored);
}

} // namespace runninghub

#include "net/http.hpp"

#include "core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <charconv>
#include <deque>
#include <map>
#include <sys/socket.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace runninghub::detail {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

enum class close_cause { idle, by_peer, max_requests, error, timeout, shutdown };

struct connection {
    connection(asio::any_io_executor ex, ssl::context& ctx) : stream(ex, ctx) {}
    ssl::stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    std::string head;  // the request head being written
    std::size_t requests = 0;
    time_point idle_since{};
    bool session_saved = false;

    beast::tcp_stream& tcp() { return stream.next_layer(); }
};

struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::unique_ptr<connection> conn;  // null with granted: a slot to open one
    bool granted = false;
};

struct pool {
    explicit pool(origin o) : where(std::move(o)), host_header(where.host_header()) {}
    ~pool() {
        if (session)
            SSL_SESSION_free(session);
    }
    origin where;
    std::string host_header;
    std::vector<std::unique_ptr<connection>> idle;  // back: most recently used
    std::size_t open = 0;                            // idle + lent + being opened
    std::deque<waiter*> waiters;
    std::vector<tcp::endpoint> endpoints;
    time_point endpoints_expiry{};
    SSL_SESSION* session = nullptr;
};

time_point phase_expiry(time_point deadline, duration phase) {
    if (phase <= duration::zero())
        return deadline;
    return std::min(deadline, clock::now() + phase);
}

// A kept-alive connection the peer has closed (or sent unexpected bytes on).
bool unusable_while_idle(connection& c) {
    if (c.buffer.size() != 0)
        return true;
    auto& sock = c.tcp().socket();
    if (!sock.is_open())
        return true;
    char b;
    ssize_t n = ::recv(sock.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0)
        return true;
    return errno != EAGAIN && errno != EWOULDBLOCK;
}

} // namespace

struct http_client::impl : std::enable_shared_from_this<http_client::impl> {
    impl(asio::any_io_executor ex, const client_options& opts, const logger& log)
        : ex_(std::move(ex)), ctx_(ssl::context::tls_client), pool_opts_(opts.pool), timeouts_(opts.timeout),
          log_(log), bearer_("Bearer " + opts.api_key) {
        SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
        SSL_CTX_set_session_cache_mode(ctx_.native_handle(), SSL_SESS_CACHE_CLIENT);
        error_code ec;
        ctx_.set_default_verify_paths(ec);
        if (!opts.ca_file.empty()) {
            ctx_.load_verify_file(opts.ca_file, ec);
            if (ec)
                throw error(make_error_code(errc::invalid_options), "CA file \"" + opts.ca_file + "\": " + ec.message());
        }
        if (!opts.ca_pem.empty()) {
            ctx_.add_certificate_authority(asio::buffer(opts.ca_pem), ec);
            if (ec)
                throw error(make_error_code(errc::invalid_options), "ca_pem: " + ec.message());
        }
        if (opts.insecure_skip_tls_verify) {
            ctx_.set_verify_mode(ssl::verify_none);
            log_(log_level::warning, "TLS verification is OFF (insecure_skip_tls_verify): any server can impersonate "
                                     "the service; use this for local experiments only");
        } else {
            ctx_.set_verify_mode(ssl::verify_peer);
        }
    }

    pool& pool_for(const origin& o) {
        if (last_pool_ && last_pool_->where == o)
            return *last_pool_;
        auto key = o.key();
        auto it = pools_.find(key);
        if (it == pools_.end())
            it = pools_.emplace(key, std::make_unique<pool>(o)).first;
        last_pool_ = it->second.get();
        return *it->second;
    }

    void count_close(close_cause c) {
        switch (c) {
        case close_cause::idle: ++stats_.closed_idle; break;
        case close_cause::by_peer: ++stats_.closed_by_peer; break;
        case close_cause::max_requests: ++stats_.closed_max_requests; break;
        case close_cause::error: ++stats_.closed_error; break;
        case close_cause::timeout: ++stats_.closed_timeout; break;
        case close_cause::shutdown: break;
        }
    }

    void close(std::unique_ptr<connection> c, close_cause cause) {
        if (!c)
            return;
        count_close(cause);
        if (cause != close_cause::error && cause != close_cause::timeout)
            SSL_set_shutdown(c->stream.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);  // keeps the session resumable
        error_code ignored;
        c->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        c->tcp().socket().close(ignored);
    }

    void grant(pool& p, std::unique_ptr<connection> c) {
        waiter* w = p.waiters.front();
        p.waiters.pop_front();
        --stats_.waiters_now;
        w->conn = std::move(c);
        w->granted = true;
        w->timer.cancel();
    }

    // Gives a connection (or, when c is null, an opening slot) back.
    void release(pool& p, std::unique_ptr<connection> c, bool reusable, close_cause cause) {
        if (reusable && !shut_) {
            c->idle_since = clock::now();
            if (!p.waiters.empty())
                return grant(p, std::move(c));
            p.idle.push_back(std::move(c));
            expire_idle(p);
            return;
        }
        close(std::move(c), shut_ ? close_cause::shutdown : cause);
        if (!p.waiters.empty() && !shut_)
            return grant(p, nullptr);
        --p.open;
    }

    struct lease {
        impl* owner = nullptr;
        pool* p = nullptr;
        std::unique_ptr<connection> c;
        bool fresh = false;
        close_cause cause = close_cause::error;

        lease() = default;
        lease(lease&& o) noexcept
            : owner(o.owner), p(std::exchange(o.p, nullptr)), c(std::move(o.c)), fresh(o.fresh), cause(o.cause) {}
        lease& operator=(lease&&) = delete;
        void give_back(bool reusable, close_cause why) {
            if (p)
                owner->release(*std::exchange(p, nullptr), std::move(c), reusable, why);
        }
        ~lease() { give_back(false, cause); }
    };

    // Idle expiry is lazy: checked whenever the pool is used, so that no
    // background timer keeps the user's io_context from running out of work.
    void expire_idle(pool& p) {
        if (pool_opts_.idle_timeout <= duration::zero())
            return;
        auto limit = clock::now() - pool_opts_.idle_timeout;
        std::size_t n = 0;
        while (n < p.idle.size() && p.idle[n]->idle_since <= limit)
            close(std::move(p.idle[n++]), close_cause::idle);
        p.idle.erase(p.idle.begin(), p.idle.begin() + static_cast<std::ptrdiff_t>(n));
        p.open -= n;
    }

    // A kept-alive connection or a slot to open one, when one is free now.
    bool try_acquire(pool& p, bool force_fresh, lease& l) {
        l.owner = this;
        expire_idle(p);
        auto now = clock::now();
        while (!p.idle.empty()) {
            auto c = std::move(p.idle.back());
            p.idle.pop_back();
            bool expired = pool_opts_.idle_timeout > duration::zero() && c->idle_since + pool_opts_.idle_timeout <= now;
            if (force_fresh || expired ||
                (now - c->idle_since > std::chrono::milliseconds(200) && unusable_while_idle(*c))) {
                close(std::move(c), expired ? close_cause::idle : close_cause::by_peer);
                --p.open;
                continue;
            }
            l.p = &p;
            l.c = std::move(c);
            return true;
        }
        if (p.open < pool_opts_.max_connections) {
            ++p.open;
            l.p = &p;
            l.fresh = true;
            return true;
        }
        return false;
    }

    // Queues for the next released connection (FIFO), within the deadline.
    asio::awaitable<void> wait_for_connection(pool& p, time_point deadline, lease& l, error_code& ec) {
        waiter w(ex_);
        w.timer.expires_at(timeouts_.pool_wait > duration::zero()
                               ? std::min(deadline, clock::now() + timeouts_.pool_wait)
                               : deadline);
        p.waiters.push_back(&w);
        stats_.waiters_peak = std::max(++stats_.waiters_now, stats_.waiters_peak);
        auto [wec] = co_await w.timer.async_wait(use_tuple);
        if (w.granted) {
            l.p = &p;
            l.c = std::move(w.conn);
            l.fresh = !l.c;
            co_return;
        }
        std::erase(p.waiters, &w);
        --stats_.waiters_now;
        if (shut_)
            ec = make_error_code(errc::client_shut_down);
        else if (wec == asio::error::operation_aborted)
            ec = asio::error::operation_aborted;
        else
            ec = make_error_code(errc::pool_wait_timeout);
    }

    asio::awaitable<error_code> resolve(pool& p, time_point deadline) {
        auto& o = p.where;
        unsigned short port = static_cast<unsigned short>(std::stoul(o.port));
        if (o.host_is_ip()) {
            p.endpoints = {tcp::endpoint(asio::ip::make_address(o.host), port)};
            p.endpoints_expiry = time_point::max();
            co_return error_code{};
        }
        // The resolver has no deadline of its own: a timer cancels it. Both
        // live in shared state, since the timer's handler may run after we resume.
        struct resolve_state {
            explicit resolve_state(asio::any_io_executor ex) : resolver(ex), timer(ex) {}
            tcp::resolver resolver;
            asio::steady_timer timer;
            bool timed_out = false;
        };
        auto st = std::make_shared<resolve_state>(ex_);
        st->timer.expires_at(phase_expiry(deadline, timeouts_.resolve));
        st->timer.async_wait([st](error_code ec) {
            if (!ec) {
                st->timed_out = true;
                st->resolver.cancel();
            }
        });
        auto [ec, results] = co_await st->resolver.async_resolve(o.host, o.port, use_tuple);
        st->timer.cancel();
        if (st->timed_out)
            co_return make_error_code(errc::resolve_timeout);
        if (ec)
            co_return ec;
        p.endpoints.clear();
        for (auto& r : results)
            p.endpoints.push_back(r.endpoint());
        p.endpoints_expiry = clock::now() + std::chrono::seconds(60);
        co_return error_code{};
    }

    asio::awaitable<error_code> connect(pool& p, connection& c, time_point deadline, std::string& detail) {
        if (p.endpoints.empty() || clock::now() >= p.endpoints_expiry) {
            if (auto ec = co_await resolve(p, deadline))
                co_return ec;
        }
        c.tcp().expires_at(phase_expiry(deadline, timeouts_.connect));
        auto [ec, ep] = co_await c.tcp().async_connect(p.endpoints, use_tuple);
        if (ec) {
            p.endpoints_expiry = time_point{};
            co_return ec == beast::error::timeout ? make_error_code(errc::connect_timeout) : ec;
        }
        error_code ignored;
        c.tcp().socket().set_option(tcp::no_delay(true), ignored);
        if (p.where.tls) {
            SSL* ssl_handle = c.stream.native_handle();
            if (!p.where.host_is_ip())
                SSL_set_tlsext_host_name(ssl_handle, p.where.host.c_str());
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (p.where.host_is_ip())
                X509_VERIFY_PARAM_set1_ip_asc(param, p.where.host.c_str());
            else
                X509_VERIFY_PARAM_set1_host(param, p.where.host.c_str(), 0);
            if (p.session)
                SSL_set_session(ssl_handle, p.session);
            c.tcp().expires_at(phase_expiry(deadline, timeouts_.tls_handshake));
            auto [hec] = co_await c.stream.async_handshake(ssl::stream_base::client, use_tuple);
            ++stats_.tls_handshakes;
            if (hec) {
                if (hec == beast::error::timeout)
                    co_return make_error_code(errc::tls_handshake_timeout);
                long vr = SSL_get_verify_result(ssl_handle);
                if (vr != X509_V_OK) {
                    detail = std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(vr);
                    log_(log_level::error, detail + " (" + p.where.key() + ")");
                }
                co_return hec;
            }
            if (SSL_session_reused(ssl_handle))
                ++stats_.tls_resumed;
        }
        c.tcp().expires_never();
        ++stats_.opened;
        if (log_.enabled(log_level::debug))
            log_(log_level::debug, "connection opened to " + p.where.key());
        co_return error_code{};
    }

    template <class Stream>
    asio::awaitable<void> exchange_on(Stream& s, pool& p, connection& c, const http_request& req,
                                      time_point deadline, http_response& out, bool& got_bytes, bool& keep_alive) {
        // The request head is written by hand into a buffer the connection
        // reuses: no per-request header allocations.
        auto& head = c.head;
        head.clear();
        static constexpr const char* verbs[] = {"GET ", "POST ", "PUT "};
        head.append(verbs[static_cast<int>(req.method)]).append(p.where.path_prefix).append(req.target);
        head.append(" HTTP/1.1\r\nHost: ").append(p.host_header);
        head.append("\r\nUser-Agent: runninghub-cpp/0.1\r\n");
        if (req.authorize)
            head.append("Accept: application/json\r\nAuthorization: ").append(bearer_).append("\r\n");
        head.append(req.headers);
        if (req.method != http_method::get) {
            std::uint64_t length = req.body.size() + req.tail.size() + (req.source ? req.source->size() : 0);
            char len[24];
            auto [end, ec] = std::to_chars(len, len + sizeof len, length);
            head.append("Content-Type: ").append(req.content_type);
            head.append("\r\nContent-Length: ").append(len, end).append("\r\n");
        }
        head.append("\r\n");
        auto write_phase = [&](auto buffers) -> asio::awaitable<bool> {
            c.tcp().expires_at(phase_expiry(deadline, timeouts_.write));
            auto [wec, wn] = co_await asio::async_write(s, buffers, use_tuple);
            if (wec)
                out.ec = wec == beast::error::timeout ? make_error_code(errc::write_timeout) : wec;
            co_return !wec;
        };
        if (!co_await write_phase(std::array<asio::const_buffer, 2>{asio::buffer(head), asio::buffer(req.body)}))
            co_return;
        if (req.source) {
            // Streamed in chunks; each write has its own write timeout.
            std::unique_ptr<char[]> chunk(new char[chunk_size]);
            for (;;) {
                error_code rec;
                std::size_t n = req.source->read(chunk.get(), chunk_size, rec);
                if (rec) {
                    out.ec = rec;
                    out.detail = "reading the upload failed: " + rec.message();
                    co_return;
                }
                if (n == 0)
                    break;
                if (!co_await write_phase(asio::buffer(chunk.get(), n)))
                    co_return;
            }
        }
        if (!req.tail.empty() && !co_await write_phase(asio::buffer(req.tail)))
            co_return;
        out.request_written = true;

        if (req.sink) {
            co_await read_streamed(s, c, req, deadline, out, got_bytes, keep_alive);
            co_return;
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(pool_opts_.max_response_body);
        c.tcp().expires_at(phase_expiry(deadline, timeouts_.read));
        auto [rec, rn] = co_await http::async_read(s, c.buffer, parser, use_tuple);
        got_bytes = parser.got_some();
        if (rec) {
            out.ec = read_error(rec);
            co_return;
        }
        c.tcp().expires_never();
        auto& res = parser.get();
        out.status = res.result_int();
        keep_alive = res.keep_alive();
        if (auto it = res.find(http::field::retry_after); it != res.end())
            out.retry_after = std::string(it->value());
        out.body = std::move(res.body());
    }

    static error_code read_error(error_code rec) {
        if (rec == beast::error::timeout)
            return make_error_code(errc::read_timeout);
        if (rec.category() == make_error_code(http::error::end_of_stream).category() &&
            rec != http::error::end_of_stream && rec != http::error::partial_message)
            return make_error_code(errc::protocol_error);
        return rec;
    }

    // A response whose 2xx body goes to req.sink chunk by chunk; each chunk
    // read has the read timeout, the whole transfer the request's deadline.
    template <class Stream>
    asio::awaitable<void> read_streamed(Stream& s, connection& c, const http_request& req, time_point deadline,
                                        http_response& out, bool& got_bytes, bool& keep_alive) {
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(boost::none);
        c.tcp().expires_at(phase_expiry(deadline, timeouts_.read));
        auto [hec, hn] = co_await http::async_read_header(s, c.buffer, parser, use_tuple);
        got_bytes = parser.got_some();
        if (hec) {
            out.ec = read_error(hec);
            co_return;
        }
        auto& res = parser.get();
        response_head h;
        h.status = out.status = res.result_int();
        if (auto n = parser.content_length())
            h.content_length = *n;
        auto field = [&](auto name) {
            auto it = res.find(name);
            return it == res.end() ? std::string() : std::string(it->value());
        };
        h.content_range = field(http::field::content_range);
        h.content_md5 = field(http::field::content_md5);
        h.etag = field(http::field::etag);
        h.content_type = field(http::field::content_type);
        out.retry_after = field(http::field::retry_after);
        bool to_sink = out.status / 100 == 2;
        if (to_sink) {
            if (auto ec = req.sink->on_head(h)) {
                out.ec = ec;
                co_return;
            }
        }
        std::unique_ptr<char[]> chunk(new char[chunk_size]);
        while (!parser.is_done()) {
            res.body().data = chunk.get();
            res.body().size = chunk_size;
            c.tcp().expires_at(phase_expiry(deadline, timeouts_.read));
            auto [rec, rn] = co_await http::async_read(s, c.buffer, parser, use_tuple);
            if (rec == http::error::need_buffer)
                rec = {};
            std::size_t n = chunk_size - res.body().size;
            if (n && to_sink) {
                if (auto sec = req.sink->on_data(chunk.get(), n)) {
                    out.ec = sec;
                    co_return;
                }
                out.body_bytes += n;
            } else if (n && out.body.size() < pool_opts_.max_response_body) {
                out.body.append(chunk.get(), n);
            }
            if (rec) {
                out.ec = read_error(rec);
                co_return;
            }
        }
        c.tcp().expires_never();
        keep_alive = res.keep_alive();
    }

    static constexpr std::size_t chunk_size = 64 * 1024;

    asio::awaitable<http_response> request(const origin& o, const http_request& req, time_point deadline) {
        auto self = shared_from_this();
        http_response out;
        if (shut_) {
            out.ec = make_error_code(errc::client_shut_down);
            co_return out;
        }
        pool& p = pool_for(o);
        ++stats_.requests;
        for (int attempt = 0;; ++attempt) {
            lease l;
            if (!try_acquire(p, attempt > 0, l)) {
                co_await wait_for_connection(p, deadline, l, out.ec);
                if (out.ec)
                    co_return out;
            }
            if (l.fresh) {
                l.c = std::make_unique<connection>(ex_, ctx_);
                if ((out.ec = co_await connect(p, *l.c, deadline, out.detail))) {
                    ++stats_.connect_failures;
                    if (out.ec == errc::connect_timeout || out.ec == errc::tls_handshake_timeout)
                        l.cause = close_cause::timeout;
                    co_return out;
                }
            } else {
                ++stats_.reused;
            }
            bool got_bytes = false, keep_alive = false;
            if (p.where.tls)
                co_await exchange_on(l.c->stream, p, *l.c, req, deadline, out, got_bytes, keep_alive);
            else
                co_await exchange_on(l.c->tcp(), p, *l.c, req, deadline, out, got_bytes, keep_alive);
            if (!out.ec) {
                auto& c = *l.c;
                ++c.requests;
                if (p.where.tls && !c.session_saved) {
                    c.session_saved = true;
                    if (SSL_SESSION* s = SSL_get1_session(c.stream.native_handle())) {
                        if (SSL_SESSION_is_resumable(s)) {
                            if (p.session)
                                SSL_SESSION_free(p.session);
                            p.session = s;
                        } else {
                            SSL_SESSION_free(s);
                        }
                    }
                }
                bool maxed = pool_opts_.max_requests_per_connection &&
                             c.requests >= pool_opts_.max_requests_per_connection;
                l.give_back(keep_alive && !maxed, keep_alive ? close_cause::max_requests : close_cause::by_peer);
                co_return out;
            }
            bool timeout = out.ec == errc::write_timeout || out.ec == errc::read_timeout;
            l.give_back(false, timeout ? close_cause::timeout : close_cause::error);
            bool ours = out.ec.category() == runninghub::category();  // the source's or the sink's own error
            bool stale = !l.fresh && !got_bytes && attempt == 0 && !timeout && !ours &&
                         out.ec != asio::error::operation_aborted && (!out.request_written || req.idempotent) &&
                         clock::now() < deadline;
            if (!stale)
                co_return out;
            if (req.source) {
                if (auto rec = req.source->rewind()) {
                    out.ec = rec;
                    co_return out;
                }
            }
            ++stats_.stale_retries;
            if (log_.enabled(log_level::debug))
                log_(log_level::debug, "kept-alive connection failed before any answer (" + out.ec.message() +
                                           "); repeating once on a fresh connection");
            out = {};
        }
    }

    void shutdown() {
        if (shut_)
            return;
        shut_ = true;
        for (auto& [key, p] : pools_) {
            for (auto& c : p->idle) {
                close(std::move(c), close_cause::shutdown);
                --p->open;
            }
            p->idle.clear();
            for (auto* w : p->waiters)
                w->timer.cancel();
        }
    }

    pool_stats stats() const {
        pool_stats s = stats_;
        for (auto& [key, p] : pools_) {
            s.open_now += p->open;
            s.idle_now += p->idle.size();
        }
        return s;
    }

    asio::any_io_executor ex_;
    ssl::context ctx_;
    pool_options pool_opts_;
    timeouts timeouts_;
    logger log_;
    std::string bearer_;
    std::map<std::string, std::unique_ptr<pool>> pools_;
    pool* last_pool_ = nullptr;
    pool_stats stats_;
    bool shut_ = false;
};

http_client::http_client(asio::any_io_executor ex, const client_options& opts, const logger& log)
    : impl_(std::make_shared<impl>(std::move(ex), opts, log)) {}

http_client::~http_client() { impl_->shutdown(); }

asio::awaitable<http_response> http_client::request(const origin& o, const http_request& req, time_point deadline) {
    return impl_->request(o, req, deadline);
}

pool_stats http_client::stats() const { return impl_->stats(); }
void http_client::shutdown() { impl_->shutdown(); }

} // namespace runninghub::detail

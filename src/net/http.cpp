// SPDX-License-Identifier: BSL-1.0
#include "net/http.hpp"

#include "codec/scrub.hpp"

#include "net/env.hpp"
#include "net/exchange.hpp"
#include "net/pool.hpp"

#include <map>

namespace asio = boost::asio;

namespace runninghub::detail {

// The pools of every origin, and the request loop with its one stale repeat.
struct http_client::impl : std::enable_shared_from_this<http_client::impl> {
    impl(asio::any_io_executor ex, const client_options& opts, const logger& log) : env_(std::move(ex), opts, log) {}

    pool& pool_for(const origin& o) {
        if (last_pool_ && last_pool_->where() == o)
            return *last_pool_;
        auto key = o.key();
        auto it = pools_.find(key);
        if (it == pools_.end())
            it = pools_.emplace(key, std::make_unique<pool>(o, env_)).first;
        last_pool_ = it->second.get();
        return *it->second;
    }

    // Every answer and error text leaves net/ without the key: what the server
    // quotes of our request must not reach a diagnostic, what() or a log line.
    // One coroutine (each co_return through `done`): a frame per request costs an allocation.
    asio::awaitable<http_response> request(const origin& o, const http_request& req, time_point deadline) {
        auto self = shared_from_this();
        http_response out;
        auto done = [this](http_response& r) -> http_response&& {
            scrub_secrets(r.body, env_.key());
            scrub_secrets(r.detail, env_.key());
            return std::move(r);
        };
        if (shut_) {
            out.ec = make_error_code(errc::client_shut_down);
            co_return done(out);
        }
        pool& p = pool_for(o);
        exchange_target to{p.where().path_prefix, p.host_header(), env_.bearer};
        ++env_.stats.requests;
        for (unsigned attempt = 0;;) {
            lease l;
            if (!p.try_acquire(attempt > 0, l)) {
                co_await p.wait(deadline, l, out.ec);
                if (out.ec)
                    co_return done(out);
            }
            // Checked at every reuse, not after some idle time: a server that closes
            // after each answer would otherwise get requests it never reads.
            if (!p.still_open(l))
                continue;
            if (l.fresh()) {
                if ((out.ec = co_await p.open(l, deadline, out.detail))) {
                    ++env_.stats.connect_failures;
                    if (out.ec == errc::connect_timeout || out.ec == errc::tls_handshake_timeout)
                        l.on_drop = exchange_end::timed_out;
                    co_return done(out);
                }
            } else {
                ++env_.stats.reused;
            }
            exchange_facts facts;
            co_await exchange(l.conn(), p.where().tls, to, env_, req, deadline, out, facts);
            if (!out.ec) {
                p.answered(l);
                l.give_back(facts.keep_alive ? exchange_end::keep_alive : exchange_end::peer_closes);
                co_return done(out);
            }
            bool timeout = out.ec == errc::write_timeout || out.ec == errc::read_timeout;
            l.give_back(timeout ? exchange_end::timed_out : exchange_end::failed);
            failed_exchange f{out.ec, !l.fresh(), facts.got_response_bytes, out.request_written, req.idempotent,
                              attempt};
            if (!repeat_on_fresh_connection(f, clock::now(), deadline))
                co_return done(out);
            if (req.source) {
                if (auto rec = req.source->rewind()) {
                    out.ec = rec;
                    co_return done(out);
                }
            }
            ++attempt;
            ++env_.stats.stale_retries;
            if (env_.log.enabled(log_level::debug))
                env_.log(log_level::debug, "kept-alive connection failed before any answer (" + out.ec.message() +
                                               "); repeating once on a fresh connection");
            out = {};
        }
    }

    void shutdown() {
        if (shut_)
            return;
        shut_ = true;
        for (auto& [key, p] : pools_)
            p->shutdown();
    }

    pool_stats stats() const {
        pool_stats s = env_.stats;
        for (auto& [key, p] : pools_) {
            s.open_now += p->open_now();
            s.idle_now += p->idle_now();
        }
        return s;
    }

    net_env env_;
    std::map<std::string, std::unique_ptr<pool>> pools_;
    pool* last_pool_ = nullptr;
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

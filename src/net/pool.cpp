// SPDX-License-Identifier: BSL-1.0
#include "net/pool.hpp"

#include "net/connection.hpp"
#include "net/use_tuple.hpp"

#include <boost/asio/steady_timer.hpp>

namespace asio = boost::asio;

namespace runninghub::detail {

// A request queued for a connection: its timer is the condition variable,
// cancelled when a connection (or a slot, conn null) is handed over.
struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::unique_ptr<connection> conn;
    bool granted = false;
};

namespace {

void hand(waiter* w, std::optional<std::unique_ptr<connection>> c) {
    w->conn = c ? std::move(*c) : nullptr;
    w->granted = true;
    w->timer.cancel();
}

} // namespace

lease::lease() noexcept = default;
lease::~lease() { give_back(on_drop); }

void lease::lend(pool* p, std::unique_ptr<connection> c) {
    p_ = p;
    fresh_ = !c;
    c_ = std::move(c);
}

void lease::give_back(exchange_end end) {
    if (p_)
        std::exchange(p_, nullptr)->release(*this, end);
}

pool::pool(origin where, net_env& env)
    : where_(std::move(where)), host_header_(where_.host_header()), env_(env),
      connector_(std::make_unique<connector>(where_, env)), state_(env.pool_opts, env.stats) {}

pool::~pool() = default;

// Not a coroutine: it hands back the connector's, so opening costs no extra frame.
asio::awaitable<error_code> pool::open(lease& l, time_point deadline, std::string& detail) {
    l.c_ = std::make_unique<connection>(env_.ex, where_.tls ? env_.tls.native_handle() : nullptr);
    return connector_->connect(*l.c_, deadline, detail);
}

void pool::answered(lease& l) {
    ++l.c_->requests;
    connector_->keep_session(*l.c_);
}

void pool::expire(time_point now) {
    for (auto& c : state_.expire(now))
        close(*c, close_cause::idle);
}

// After a lend, never before: the connection about to serve keeps its buffers.
void pool::trim(time_point now) {
    if (auto after = env_.pool_opts.idle_buffer_release; after > duration::zero())
        state_.trim_idle(now, after, [](std::unique_ptr<connection>& c) {
            // Bytes the peer sent unasked stay (OpenSSL would refuse anyway);
            // the look before the next write closes such a connection.
            if (SSL* ssl_handle = c->stream.native_handle(); ssl_handle && !SSL_has_pending(ssl_handle))
                SSL_free_buffers(ssl_handle);
        });
}

void pool::settle(state::release_result r, time_point now) {
    if (r.to_close)
        close(**r.to_close, r.cause);
    if (r.granted)
        hand(r.granted->waiter, std::move(r.granted->handed));
    else if (!r.to_close) {
        expire(now);  // parked: the lazy expiry's and trim's turn
        trim(now);
    }
}

void pool::release(lease& l, exchange_end end) {
    if (!l.c_) {
        if (auto w = state_.release_slot())
            hand(*w, std::nullopt);
        return;
    }
    auto now = clock::now();
    std::size_t served = l.c_->requests;
    settle(state_.release(std::move(l.c_), end, served, now), now);
}

bool pool::try_acquire(bool force_fresh, lease& l) {
    auto now = clock::now();
    expire(now);
    for (;;) {
        auto a = state_.acquire(now, force_fresh);
        switch (a.action) {
        case state::acquire_action::close:
            close(**a.conn, a.cause);
            continue;
        case state::acquire_action::reuse:
            l.lend(this, std::move(*a.conn));
            break;
        case state::acquire_action::open:
            l.lend(this, nullptr);
            break;
        case state::acquire_action::wait:
            return false;
        }
        trim(now);  // after the lend: the connection about to serve keeps its buffers
        return true;
    }
}

asio::awaitable<void> pool::wait(time_point deadline, lease& l, error_code& ec) {
    waiter w(env_.ex);
    w.timer.expires_at(env_.phase.pool_wait > duration::zero()
                           ? std::min(deadline, clock::now() + env_.phase.pool_wait)
                           : deadline);
    state_.wait(&w);
    auto [wec] = co_await w.timer.async_wait(use_tuple);
    if (w.granted) {
        l.lend(this, std::move(w.conn));
        co_return;
    }
    state_.cancel_wait(&w);
    if (state_.shut())
        ec = make_error_code(errc::client_shut_down);
    else if (wec == asio::error::operation_aborted)
        ec = asio::error::operation_aborted;
    else
        ec = make_error_code(errc::pool_wait_timeout);
}

bool pool::still_open(lease& l) {
    if (l.fresh() || !unusable_while_idle(*l.c_))
        return true;
    l.give_back(exchange_end::peer_closes);
    return false;
}

void pool::shutdown() {
    for (auto& c : state_.shutdown())
        close(*c, close_cause::shutdown);
    for (auto* w : state_.waiters())
        w->timer.cancel();
}

} // namespace runninghub::detail

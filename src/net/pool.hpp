// SPDX-License-Identifier: BSL-1.0
#pragma once
// The per-origin pool: a thin Asio shell over core/pool_state. It lends
// connections through leases, parks waiters on timers, and opens, probes and
// closes what pool_state decides.

#include "core/origin.hpp"
#include "core/pool_state.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

namespace runninghub::detail {

struct connection;  // net/connection.hpp: the heavy headers stay out of http.cpp
class connector;
struct net_env;
class pool;
struct waiter;

/// A connection, or a slot to open one, lent by a pool: given back when
/// destroyed (as `on_drop` says), or earlier with give_back().
class lease {
public:
    lease() noexcept;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease();

    bool fresh() const noexcept { return fresh_; }  // a slot: the connection is opened for this request
    connection& conn() noexcept { return *c_; }
    void give_back(exchange_end end);

    exchange_end on_drop = exchange_end::failed;

private:
    friend class pool;
    void lend(pool* p, std::unique_ptr<connection> c);

    pool* p_ = nullptr;
    std::unique_ptr<connection> c_;
    bool fresh_ = false;
};

class pool {
public:
    pool(origin where, net_env& env);
    ~pool();

    const origin& where() const noexcept { return where_; }
    const std::string& host_header() const noexcept { return host_header_; }

    /// A kept-alive connection or a slot to open one, when one is free now.
    bool try_acquire(bool force_fresh, lease& l);

    /// Queues for the next connection or slot given back (FIFO), within the
    /// deadline or timeout.pool_wait; ec: pool_wait_timeout, client_shut_down,
    /// or operation_aborted (the caller was cancelled).
    boost::asio::awaitable<void> wait(time_point deadline, lease& l, error_code& ec);

    /// Opens the connection of a fresh lease.
    boost::asio::awaitable<error_code> open(lease& l, time_point deadline, std::string& detail);

    /// Right before a request is written on a kept-alive connection: false when
    /// the peer closed it while it was idle (or sent bytes nobody asked for);
    /// the connection is then closed and the lease given back, nothing written.
    bool still_open(lease& l);

    /// The lease's connection answered a request.
    void answered(lease& l);

    void shutdown();
    std::size_t open_now() const noexcept { return state_.open(); }
    std::size_t idle_now() const noexcept { return state_.idle(); }

private:
    friend class lease;
    using state = pool_state<std::unique_ptr<connection>, waiter*>;

    void release(lease& l, exchange_end end);
    void settle(state::release_result r, time_point now);
    void expire(time_point now);
    /// Frees the record buffers of connections idle past pool_options::idle_buffer_release.
    void trim(time_point now);

    origin where_;
    std::string host_header_;
    net_env& env_;
    std::unique_ptr<connector> connector_;
    state state_;
};

} // namespace runninghub::detail

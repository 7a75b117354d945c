// SPDX-License-Identifier: BSL-1.0
#pragma once
// The submit gate: the account's concurrency as a FIFO async semaphore whose
// size is core/flow's submit_window. Only the queue of waiters and the probe
// timer are Asio here; every decision is the window's.

#include "core/flow.hpp"

#include <runninghub/error.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <string>

namespace runninghub::detail {

class submit_gate {
public:
    submit_gate(boost::asio::any_io_executor ex, window_params p);
    ~submit_gate();

    /// Takes a slot into `ticket`, waiting in FIFO order; a submission that met
    /// back-pressure (`again`) waits first in line. Errors: operation_aborted
    /// when cancelled, asio::error::timed_out at `deadline`,
    /// errc::client_shut_down after shutdown().
    boost::asio::awaitable<error_code> acquire(window_ticket& ticket, bool again, time_point deadline);
    /// acquire()'s path without waiting, as a plain call (no coroutine frame):
    /// true with a slot in `ticket` when one is free and nobody waits.
    bool try_acquire(window_ticket& ticket);
    void on_accepted(const window_ticket& t);
    void give_back(const window_ticket& t);
    void on_backpressure(const window_ticket& t, duration retry_after, double u, std::string reason);
    /// A task of this client ended (seen, or its wait abandoned): its slot frees.
    void task_ended();
    void seed(std::size_t limit);
    void shutdown();
    throttle_stats stats() const;

private:
    struct waiter {
        explicit waiter(boost::asio::any_io_executor ex) : timer(std::move(ex)) {}
        boost::asio::steady_timer timer;
        window_ticket ticket;
        bool granted = false;
        bool again = false;
    };
    void grant_waiting();
    void arm_probe();

    boost::asio::any_io_executor ex_;
    submit_window window_;
    std::deque<waiter*> queue_;
    std::size_t queued_peak_ = 0;
    std::string last_reason_;
    bool shut_ = false;
    boost::asio::steady_timer probe_timer_;
    time_point probe_armed_ = time_point::max();
    std::shared_ptr<submit_gate*> alive_;  // the probe timer's handler may outlive the gate
};

} // namespace runninghub::detail

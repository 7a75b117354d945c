#pragma once
// The submit gate: the account's concurrency as a FIFO async semaphore whose
// size is core/flow's submit_window. Only the queue of waiters is Asio here.

#include "core/flow.hpp"

#include <runninghub/error.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <string>

namespace runninghub::detail {

class submit_gate {
public:
    submit_gate(boost::asio::any_io_executor ex, std::size_t max) : ex_(std::move(ex)), window_(max) {}

    bool enabled() const noexcept { return window_.enabled(); }

    /// Takes a slot, waiting in FIFO order. operation_aborted when cancelled,
    /// errc::client_shut_down after shutdown().
    boost::asio::awaitable<error_code> acquire();
    void release();
    void on_queue_maxed(std::string reason);
    void on_accepted() noexcept {
        window_.on_accepted();
        grant_waiting();
    }
    void shutdown();
    throttle_stats stats() const;

private:
    struct waiter {
        explicit waiter(boost::asio::any_io_executor ex) : timer(std::move(ex)) {}
        boost::asio::steady_timer timer;
        bool granted = false;
    };
    void grant_waiting();

    boost::asio::any_io_executor ex_;
    submit_window window_;
    std::deque<waiter*> queue_;
    std::size_t queued_peak_ = 0;
    std::string last_reason_;
    bool shut_ = false;
};

} // namespace runninghub::detail

#pragma once
// Client-side flow control: the submit gate (account concurrency, AIMD), the
// request-rate limiter (GCRA) and the retry budget. The decisions are plain
// arithmetic; only the gate's queue touches Asio.

#include <runninghub/error.hpp>
#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>

namespace runninghub::detail {

/// Spacing of requests: `burst` at once, then one per 1/rate (GCRA).
class rate_limiter {
public:
    rate_limiter(double per_second, std::size_t burst) {
        if (per_second > 0) {
            interval_ = std::chrono::duration_cast<duration>(std::chrono::duration<double>(1.0 / per_second));
            tolerance_ = interval_ * static_cast<duration::rep>(burst > 0 ? burst - 1 : 0);
        }
    }
    bool enabled() const noexcept { return interval_ > duration::zero(); }
    /// Reserves the next slot; returns how long to wait before using it.
    duration reserve(time_point now) noexcept {
        if (!enabled())
            return duration::zero();
        time_point start = std::max(now, tat_ - tolerance_);
        tat_ = std::max(tat_, now) + interval_;
        return start - now;
    }

private:
    duration interval_{0};
    duration tolerance_{0};
    time_point tat_{};  // theoretical arrival time of the next request
};

/// Client-wide retry budget: a repeat costs a token, a success earns a fraction.
class retry_budget {
public:
    retry_budget(double tokens, double refill) : tokens_(tokens), max_(tokens), refill_(refill) {}
    bool try_spend() noexcept {
        if (tokens_ < 1.0)
            return false;
        tokens_ -= 1.0;
        return true;
    }
    void on_success() noexcept { tokens_ = std::min(max_, tokens_ + refill_); }
    double tokens() const noexcept { return tokens_; }

private:
    double tokens_, max_, refill_;
};

/// The account's concurrency as a FIFO async semaphore whose size (the window)
/// shrinks on 421 and grows back on accepted submits.
class submit_gate {
public:
    submit_gate(boost::asio::any_io_executor ex, std::size_t max)
        : ex_(std::move(ex)), max_(max), window_(static_cast<double>(max)) {}

    bool enabled() const noexcept { return max_ > 0; }

    /// Takes a slot, waiting in FIFO order. operation_aborted when cancelled,
    /// errc::client_shut_down after shutdown().
    boost::asio::awaitable<error_code> acquire();
    void release();
    void on_queue_maxed(std::string reason);
    void on_accepted() noexcept {
        window_ = std::min(static_cast<double>(max_), window_ + 1.0 / std::max(1.0, window_));
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
    std::size_t limit() const noexcept { return std::max<std::size_t>(1, static_cast<std::size_t>(window_)); }
    void grant_waiting();

    boost::asio::any_io_executor ex_;
    std::size_t max_;
    double window_;
    std::size_t in_flight_ = 0;
    std::deque<waiter*> queue_;
    std::size_t queued_peak_ = 0;
    std::uint64_t shrinks_ = 0;
    std::string last_reason_;
    bool shut_ = false;
};

} // namespace runninghub::detail

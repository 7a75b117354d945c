#pragma once
// Flow control decisions: the submit window (the account's concurrency,
// AIMD), the request-rate limiter (GCRA) and the client-wide retry budget.
// Plain arithmetic over `now`; the Asio queue of the gate is client/submit_gate.

#include <runninghub/options.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

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

/// How many submissions and accepted tasks may be in flight: a window that
/// halves on back-pressure and grows by 1/window per accepted submit, never
/// above `max` (0: no limit at all).
class submit_window {
public:
    explicit submit_window(std::size_t max) : max_(max), window_(static_cast<double>(max)) {}

    bool enabled() const noexcept { return max_ > 0; }
    /// Slots the window allows now (at least one).
    std::size_t limit() const noexcept { return std::max<std::size_t>(1, static_cast<std::size_t>(window_)); }
    bool has_room() const noexcept { return in_flight_ < limit(); }
    void take() noexcept { ++in_flight_; }
    void give_back() noexcept {
        if (in_flight_ > 0)
            --in_flight_;
    }
    void on_accepted() noexcept { window_ = std::min(static_cast<double>(max_), window_ + 1.0 / std::max(1.0, window_)); }
    /// Someone else shares the account (or it is smaller than configured).
    void on_backpressure() noexcept {
        ++shrinks_;
        window_ = std::max(1.0, std::min(window_, static_cast<double>(in_flight_)) / 2.0);
    }

    std::size_t max() const noexcept { return max_; }
    double window() const noexcept { return window_; }
    std::size_t in_flight() const noexcept { return in_flight_; }
    std::uint64_t shrinks() const noexcept { return shrinks_; }

private:
    std::size_t max_;
    double window_;
    std::size_t in_flight_ = 0;
    std::uint64_t shrinks_ = 0;
};

} // namespace runninghub::detail

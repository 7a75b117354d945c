// SPDX-License-Identifier: BSL-1.0
#pragma once
// Flow control decisions: the submit window (the account's concurrency,
// discovered), the request-rate limiter (GCRA) and the client-wide retry budget.
// Plain arithmetic over `now`; the Asio queue of the gate is client/submit_gate.

#include <runninghub/error.hpp>
#include <runninghub/options.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

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

/// A submit's answer that says the account (or its queue) is full and no
/// task was created: 421 TASK_QUEUE_MAXED, 415 TASK_INSTANCE_MAXED, 804
/// APIKEY_TASK_IS_RUNNING (on a create: a consumer key's one task runs), 814
/// PERSONAL_QUEUE_COUNT_LIMIT, 1520 concurrency full. The gate waits on these;
/// rate limits (429, 1003) and outages (1010, 1011) stay core/retry's.
bool is_account_full(const error_code& ec) noexcept;

/// What the window starts from and how it probes (throttle_options).
struct window_params {
    std::size_t cap = 0;  // the user's max_in_flight_tasks; 0: none
    std::size_t initial = 2;
    duration probe_delay = std::chrono::seconds(2);
    duration max_probe_delay = std::chrono::seconds(30);
    duration max_retry_after = std::chrono::minutes(2);  // a longer Retry-After is cut to this
};

/// A submission's hold on the window, handed back with its answer.
struct window_ticket {
    std::uint64_t epoch = 0;  // back-pressure episodes seen when it was sent
    bool probe = false;       // sent while blocked, to test the account
};

/// How many submissions and accepted tasks may be in flight: a window that
/// discovers the account's limit. Slow start (+1 per accepted submit) until
/// the first back-pressure answer, then +1/window. Back-pressure halves it,
/// never below the tasks the service runs for this client now (they prove
/// that much room), and blocks sending until a task of this client is seen to
/// end or, one submission at a time, a probe delay passes (Retry-After, else
/// a backoff doubling up to max_probe_delay: other processes may share the key).
/// A full window that sees nothing move for a probe delay probes too: its tasks
/// may have ended unseen (nobody waits for them). The probe delay grows with each
/// episode until a probe finds room. The user's cap is never exceeded.
class submit_window {
public:
    explicit submit_window(window_params p);

    /// May a submission go now?
    bool may_send(time_point now) const noexcept;
    /// A submission goes: it holds a slot until its answer.
    window_ticket take(time_point now) noexcept;
    /// Accepted: the slot moves to the task (freed by on_task_end).
    void on_accepted(const window_ticket& t, time_point now) noexcept;
    /// No task and no back-pressure (an error, a cancellation): the slot frees.
    void give_back(const window_ticket& t, time_point now) noexcept;
    /// The account was full; `u` in [0,1) spreads the probe delay.
    void on_backpressure(const window_ticket& t, time_point now, duration retry_after, double u) noexcept;
    /// A task of this client was seen to end (or its wait abandoned).
    void on_task_end(time_point now) noexcept;
    /// The account's limit as the service tells it (queue/status), before any back-pressure.
    void seed(std::size_t limit) noexcept;
    /// When a blocked or full window lets a probe go; nullopt when it has room or a probe is out.
    std::optional<time_point> probe_at() const noexcept;

    /// Slots the window allows now (at least one).
    std::size_t limit() const noexcept { return std::max<std::size_t>(1, static_cast<std::size_t>(window_)); }
    double window() const noexcept { return window_; }
    std::size_t cap() const noexcept { return p_.cap; }
    std::size_t in_flight() const noexcept { return submissions_ + tasks_; }
    std::size_t tasks() const noexcept { return tasks_; }
    bool blocked() const noexcept { return blocked_; }
    bool discovering() const noexcept { return ssthresh_ == 0; }  // still in slow start
    std::size_t seeded() const noexcept { return seed_; }
    std::uint64_t shrinks() const noexcept { return epoch_; }
    std::uint64_t backpressure_answers() const noexcept { return answers_; }
    std::uint64_t probes() const noexcept { return probes_; }

private:
    void grow() noexcept;
    double capped(double w) const noexcept { return p_.cap ? std::min(w, static_cast<double>(p_.cap)) : w; }

    window_params p_;
    double window_;
    double ssthresh_ = 0;  // 0: no back-pressure seen yet (slow start)
    std::size_t submissions_ = 0, tasks_ = 0, seed_ = 0;
    std::uint64_t epoch_ = 0, answers_ = 0, probes_ = 0;
    bool blocked_ = false, probing_ = false;
    unsigned level_ = 0;  // back-pressure episodes since a probe last found room
    double jitter_ = 1.0; // the last episode's draw, for the full window's probe
    time_point probe_at_{};
    time_point moved_{};  // the last submission, answer or task end
};

/// The delay before probe number `level` (1 = first) after back-pressure.
duration probe_delay(const window_params& p, unsigned level, duration retry_after, double u) noexcept;

} // namespace runninghub::detail

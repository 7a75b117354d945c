// SPDX-License-Identifier: BSL-1.0
#pragma once
// The per-origin connection pool's bookkeeping, without I/O: which kept-alive
// connection to lend, when a new one may be opened, who waits (FIFO), what to
// close and why. net/pool.cpp opens, probes and closes what this decides.
//
// Connections are opaque values of type Conn (net: unique_ptr<connection>;
// tests: ints) rather than ids into a table: the idle list holds them as
// today, so the hot path keeps its allocations and needs no lookup.

#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace runninghub::detail {

/// Why a connection is closed: one pool_stats counter each (shutdown: none).
enum class close_cause { idle, by_peer, max_requests, error, timeout, shutdown };

void count_close(pool_stats& s, close_cause c) noexcept;

/// How an exchange (or the idle probe) left its connection.
enum class exchange_end {
    keep_alive,   // answer read whole, another request may follow
    peer_closes,  // answer read whole but "Connection: close", or found closed while idle
    failed,       // I/O or protocol error: the stream's state is unknown
    timed_out,    // a phase timed out: Beast has closed the socket
};

/// A failed exchange, as the repeat rule needs it.
struct failed_exchange {
    error_code ec;
    bool reused = false;              // on a kept-alive connection, not one opened for it
    bool got_response_bytes = false;
    bool request_written = false;     // the whole request went out
    bool idempotent = false;
    unsigned attempt = 0;             // 0: the first
};

/// The single stale-connection repeat: once, on a fresh connection, when a
/// reused connection failed before any response byte (the peer closed it while
/// we wrote), not by a timeout, the source's/sink's own error or cancellation,
/// and the request may be sent again (not completely written, or idempotent).
bool repeat_on_fresh_connection(const failed_exchange& f, time_point now, time_point deadline) noexcept;

template <class Conn, class Waiter>
class pool_state {
public:
    /// `stats` may be shared by the pools of every origin (waiters_peak is the
    /// client's peak, not a sum of peaks); it must outlive this object.
    pool_state(const pool_options& limits, pool_stats& stats) : limits_(limits), stats_(&stats) {}

    enum class acquire_action {
        reuse,  // lend `conn`; the caller checks it is still open right before writing on it
        open,   // a slot is taken: open a connection, give it back with release() or release_slot()
        wait,   // none free: queue with wait()
        close,  // close `conn` for `cause`, then ask again
    };
    struct acquire_result {
        acquire_action action = acquire_action::wait;
        std::optional<Conn> conn{};
        close_cause cause = close_cause::by_peer;
    };

    /// Lends the most recently used idle connection (LIFO: the warmest), or a
    /// slot below max_connections. force_fresh (a repeat after a stale
    /// connection) closes the idle ones instead. Call expire(now) first.
    acquire_result acquire(time_point now, bool force_fresh) {
        if (!idle_.empty()) {
            idle_conn e = std::move(idle_.back());
            idle_.pop_back();
            trimmed_ = std::min(trimmed_, idle_.size());
            bool expired = expiring() && e.since + limits_.idle_timeout <= now;
            if (force_fresh || expired) {
                auto cause = expired ? close_cause::idle : close_cause::by_peer;
                forget(cause);
                return {acquire_action::close, std::move(e.conn), cause};
            }
            return {acquire_action::reuse, std::move(e.conn)};
        }
        if (open_ < limits_.max_connections) {
            ++open_;
            return {acquire_action::open};
        }
        return {acquire_action::wait};
    }

    /// Queues a waiter (after acquire said wait); it is handed the next
    /// connection or slot given back, in arrival order.
    void wait(Waiter w) {
        waiters_.push_back(std::move(w));
        stats_->waiters_peak = std::max(++stats_->waiters_now, stats_->waiters_peak);
    }

    /// A waiter that gave up (timeout, cancellation, shutdown) leaves the queue.
    void cancel_wait(const Waiter& w) { stats_->waiters_now -= std::erase(waiters_, w); }

    /// What release() decided: `to_close` (for `cause`), and/or a waiter to
    /// wake with `handed` (a connection) or, when that is empty, a slot to open one.
    struct grant {
        Waiter waiter;
        std::optional<Conn> handed{};
    };
    struct release_result {
        std::optional<Conn> to_close{};
        close_cause cause = close_cause::error;
        std::optional<grant> granted{};
    };

    /// A lent connection comes back after serving `served` requests: handed to
    /// the first waiter, parked idle (then call expire(now)), or closed.
    release_result release(Conn c, exchange_end end, std::size_t served, time_point now) {
        bool worn = limits_.max_requests_per_connection && served >= limits_.max_requests_per_connection;
        if (end == exchange_end::keep_alive && !worn && !shut_) {
            if (!waiters_.empty())
                return {std::nullopt, close_cause::error, grant{next_waiter(), std::move(c)}};
            idle_.push_back({std::move(c), now});
            return {};
        }
        release_result r{std::move(c), shut_ ? close_cause::shutdown : cause_of(end)};
        count_close(*stats_, r.cause);
        if (auto w = release_slot())
            r.granted = grant{std::move(*w), std::nullopt};
        return r;
    }

    /// A slot (or a closed connection's place) comes back: the first waiter
    /// gets it to open a connection, or the pool shrinks.
    std::optional<Waiter> release_slot() {
        if (!waiters_.empty() && !shut_)
            return next_waiter();
        --open_;
        return std::nullopt;
    }

    /// Idle connections unused for idle_timeout, to close (counted as idle).
    /// Lazy: the caller runs it on acquire and release, never on a timer, so
    /// that a pool never keeps the user's io_context from running out of work.
    std::vector<Conn> expire(time_point now) {
        std::vector<Conn> out;
        if (!expiring())
            return out;
        std::size_t n = 0;
        while (n < idle_.size() && idle_[n].since + limits_.idle_timeout <= now)
            out.push_back(std::move(idle_[n++].conn));
        idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(n));
        trimmed_ = trimmed_ > n ? trimmed_ - n : 0;
        open_ -= n;
        stats_->closed_idle += n;
        return out;
    }

    /// Hands `trim` each idle connection unused for `after`, once while it
    /// stays idle (the shell frees its buffers). Lazy, as expire(): the idle
    /// list is oldest first, so the trimmed ones are a prefix of it.
    template <class F>
    void trim_idle(time_point now, duration after, F&& trim) {
        while (trimmed_ < idle_.size() && idle_[trimmed_].since + after <= now)
            trim(idle_[trimmed_++].conn);
    }

    /// From now on nothing is parked or granted; returns the idle connections
    /// to close. Waiters stay queued until they wake (see waiters()) and leave.
    std::vector<Conn> shutdown() {
        shut_ = true;
        std::vector<Conn> out;
        out.reserve(idle_.size());
        for (auto& e : idle_)
            out.push_back(std::move(e.conn));
        open_ -= idle_.size();
        idle_.clear();
        trimmed_ = 0;
        return out;
    }

    const std::deque<Waiter>& waiters() const noexcept { return waiters_; }
    std::size_t open() const noexcept { return open_; }  // idle + lent + being opened
    std::size_t idle() const noexcept { return idle_.size(); }
    bool shut() const noexcept { return shut_; }

private:
    struct idle_conn {
        Conn conn;
        time_point since;
    };

    bool expiring() const noexcept { return limits_.idle_timeout > duration::zero(); }

    static close_cause cause_of(exchange_end e) noexcept {
        switch (e) {
        case exchange_end::keep_alive: return close_cause::max_requests;  // reusable but worn out
        case exchange_end::peer_closes: return close_cause::by_peer;
        case exchange_end::failed: return close_cause::error;
        case exchange_end::timed_out: return close_cause::timeout;
        }
        return close_cause::error;
    }

    void forget(close_cause cause) {
        count_close(*stats_, cause);
        --open_;
    }

    Waiter next_waiter() {
        Waiter w = std::move(waiters_.front());
        waiters_.pop_front();
        --stats_->waiters_now;
        return w;
    }

    pool_options limits_;
    pool_stats* stats_;
    std::vector<idle_conn> idle_;  // back: most recently used
    std::size_t trimmed_ = 0;      // idle_[0, trimmed_) were handed to trim_idle's callback
    std::deque<Waiter> waiters_;
    std::size_t open_ = 0;
    bool shut_ = false;
};

} // namespace runninghub::detail

// SPDX-License-Identifier: BSL-1.0
#pragma once
// Counters readable at any time (client::stats()).

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <cstdint>
#include <string>

namespace runninghub {

/// A latency histogram with power-of-two buckets from 250 µs up.
struct latency_histogram {
    static constexpr std::size_t buckets = 28;  // the last one is open-ended (> ~9 h)
    std::array<std::uint64_t, buckets> counts{};
    std::uint64_t count = 0;
    std::chrono::microseconds sum{0}, max{0};

    static std::chrono::microseconds upper_bound(std::size_t i) { return std::chrono::microseconds(250LL << i); }

    void record(std::chrono::steady_clock::duration d) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(d);
        std::size_t i = 0;
        while (i + 1 < buckets && us > upper_bound(i))
            ++i;
        ++counts[i];
        ++count;
        sum += us;
        max = std::max(max, us);
    }
    /// The upper bound of the bucket holding quantile q (0..1); 0 when empty.
    std::chrono::microseconds quantile(double q) const {
        if (count == 0)
            return std::chrono::microseconds(0);
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i)
            if ((seen += counts[i]) >= rank)
                return std::min(upper_bound(i), max);
        return max;
    }
    std::chrono::microseconds mean() const {
        return count ? std::chrono::microseconds(sum.count() / static_cast<long long>(count)) : sum;
    }
};

/// Outcomes of the calls to one endpoint.
struct endpoint_stats {
    std::uint64_t ok = 0;
    std::uint64_t service_error = 0;    // the service answered with an error code
    std::uint64_t transport_error = 0;  // no (valid) answer
};

/// Connection pool counters, summed over every origin.
struct pool_stats {
    std::uint64_t requests = 0;             // HTTP exchanges started
    std::uint64_t opened = 0;               // connections established (TCP + TLS)
    std::uint64_t reused = 0;               // exchanges on a kept-alive connection
    std::uint64_t tls_handshakes = 0;
    std::uint64_t tls_resumed = 0;          // handshakes that resumed a session
    std::uint64_t closed_idle = 0;          // idle expiry
    std::uint64_t closed_by_peer = 0;       // Connection: close, or found closed while idle
    std::uint64_t closed_max_requests = 0;  // max_requests_per_connection reached
    std::uint64_t closed_error = 0;         // I/O error, partial read, protocol error
    std::uint64_t closed_timeout = 0;       // a phase timed out
    std::uint64_t stale_retries = 0;        // exchanges repeated once on a fresh connection
    std::uint64_t connect_failures = 0;
    std::uint64_t open_now = 0;             // connections open or being opened
    std::uint64_t idle_now = 0;
    std::uint64_t waiters_now = 0;          // requests queued for a connection
    std::uint64_t waiters_peak = 0;
};

/// Repeats by cause (queries and submits together).
struct retry_stats {
    std::uint64_t transport = 0;      // connection refused/reset/dropped, TLS, DNS
    std::uint64_t timeout = 0;        // a phase or the pool wait timed out
    std::uint64_t backpressure = 0;   // 1003, 1010, 1011, HTTP 429 (a submit's "full" answers wait in the gate)
    std::uint64_t server_error = 0;   // HTTP 5xx, 500/1000/1005/1012
    std::uint64_t protocol = 0;       // malformed answer
    std::uint64_t budget_exhausted = 0;  // repeats refused by the retry budget
};

/// The submit gate (throttle_options): the window it learned and why.
struct throttle_stats {
    std::size_t max = 0;           // the user's cap, max_in_flight_tasks (0: none)
    double window = 0;             // the learned window (<= max when set)
    std::size_t limit = 0;         // slots it allows now: the window, rounded down, at least 1
    std::size_t in_flight = 0;     // slots held: submissions out plus tasks accepted and not seen to end
    std::size_t tasks = 0;         // of which tasks
    std::size_t queued = 0;        // submissions waiting for a slot
    std::size_t queued_peak = 0;
    std::size_t waiting_on_backpressure = 0;  // of the queued, those the service answered "full"
    bool blocked = false;          // full: waiting for a task to end or the next probe
    bool discovering = true;       // slow start: no back-pressure and no seed yet
    std::size_t seed = 0;          // concurrentLimit from queue/status (0: not known)
    std::uint64_t shrinks = 0;     // back-pressure episodes that shrank the window
    std::uint64_t backpressure_answers = 0;  // 421, 415, 804, 814, 1520 answers to submits
    std::uint64_t probes = 0;      // submissions sent while blocked, to test the account
    std::string last_reason;       // why the window last shrank
};

struct client_stats {
    pool_stats pool;
    retry_stats retries;
    throttle_stats throttle;
    std::uint64_t submits_accepted = 0;
    std::uint64_t submits_rejected = 0;     // the service answered an error: no task
    std::uint64_t submits_unknown = 0;      // submit_outcome_unknown
    std::uint64_t queries = 0;              // query requests sent (by query() and wait())
    std::uint64_t query_retries = 0;
    std::uint64_t submit_retries = 0;
    std::uint64_t waits_pending = 0;
    std::uint64_t waits_completed = 0;
    std::uint64_t tasks_in_flight = 0;      // accepted, not yet seen to end
    std::map<std::string, endpoint_stats> endpoints;  // "POST /openapi/v2/query" …
    latency_histogram submit_latency;       // one submit exchange
    latency_histogram query_latency;        // one query exchange
    latency_histogram task_latency;         // accepted → seen SUCCESS/FAILED/CANCEL
};

} // namespace runninghub

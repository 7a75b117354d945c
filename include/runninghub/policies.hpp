// SPDX-License-Identifier: BSL-1.0
#pragma once
// Policies: how long each phase may take, how the pool keeps connections, how
// tasks are polled, what is repeated and how much, and the client's throttle.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace runninghub {

using clock = std::chrono::steady_clock;
using duration = std::chrono::steady_clock::duration;
using time_point = std::chrono::steady_clock::time_point;

/// Deadlines of each phase of one HTTP exchange; each is also cut short by the
/// request's overall deadline. Zero disables a phase's own limit.
struct timeouts {
    duration resolve = std::chrono::seconds(10);
    duration connect = std::chrono::seconds(10);
    duration tls_handshake = std::chrono::seconds(10);
    duration write = std::chrono::seconds(30);
    duration read = std::chrono::seconds(60);
    duration request = std::chrono::seconds(90);  // whole exchange, including the wait for a pooled connection
    duration pool_wait = std::chrono::seconds(0);  // a tighter bound on the wait for a pooled connection; 0: the request's deadline
    duration transfer = std::chrono::minutes(30);  // an upload or a download as a whole (write/read bound each chunk)
};

/// The per-origin connection pool.
struct pool_options {
    std::size_t max_connections = 32;             // per origin (scheme, host, port)
    duration idle_timeout = std::chrono::seconds(20);  // keep shorter than the server's keep-alive; 0: never expire
    std::size_t max_requests_per_connection = 0;  // 0: unlimited
    std::size_t max_response_body = 8u << 20;     // bytes, JSON responses
    /// A connection keeps its TLS record buffers (~34 KB) while in use, and
    /// frees them once idle this long (checked when the pool is next used):
    /// no allocation of them per request. Zero: OpenSSL frees them after
    /// every read and write (SSL_MODE_RELEASE_BUFFERS), ~3 more allocations
    /// and ~50 KB allocated per request.
    duration idle_buffer_release = std::chrono::seconds(1);
};

/// When to query a task: first after `first_delay`, then every `interval`
/// growing by `growth` per poll up to `cap`; each delay is spread by ±`jitter`.
/// With `learn`, once `learn_after` tasks of this client have been seen to
/// end, a wait sleeps through the time tasks usually take (mean − 2 deviations
/// of the observed durations), polls densely around their usual end, and falls
/// back to the schedule above after it.
struct poll_policy {
    duration first_delay = std::chrono::seconds(3);
    duration interval = std::chrono::seconds(5);
    double growth = 1.0;
    duration cap = std::chrono::seconds(30);
    double jitter = 0.1;           // fraction, 0..1
    unsigned max_poll_errors = 5;  // consecutive transient query failures tolerated
    bool learn = true;
    unsigned learn_after = 5;
    duration min_interval = std::chrono::milliseconds(100);  // the densest polling around the expected end (or `interval`, if smaller)
};

/// Repeats of one kind of call: full-jitter exponential backoff, capped;
/// a server's Retry-After (seconds or HTTP-date) is honoured up to
/// max_retry_after; max_elapsed bounds the whole.
struct retry_policy {
    unsigned max_attempts = 4;  // including the first
    duration base_delay = std::chrono::milliseconds(200);
    duration max_delay = std::chrono::seconds(10);
    duration max_retry_after = std::chrono::seconds(60);
    duration max_elapsed = std::chrono::minutes(5);  // overall: no repeat would start later than this after the first try
};

/// What is repeated, and how much. Queries are repeated on transport faults,
/// timeouts, 429, 5xx and back-pressure codes. A submit (run) is repeated only
/// when the task was certainly not created: the request was not completely
/// written (connection refused, connect or TLS failure, no pooled connection),
/// or the service answered 1003, 1010, 1011 or HTTP 429. The account's
/// "full" answers (421, 415, 804, 814, 1520) are not failures: the submit
/// gate waits and sends again (throttle_options), outside these limits.
/// Once a submit went out without a valid answer it is never repeated
/// (errc::submit_outcome_unknown).
struct retry_options {
    retry_policy query{4, std::chrono::milliseconds(200), std::chrono::seconds(10), std::chrono::seconds(60),
                       std::chrono::minutes(2)};
    retry_policy submit{6, std::chrono::seconds(2), std::chrono::seconds(30), std::chrono::seconds(120),
                        std::chrono::minutes(5)};
    /// Client-wide budget: each repeat costs one token, each successful
    /// request earns `budget_refill`; with no token left, errors are returned
    /// at once, so an outage does not become a retry storm.
    double budget_tokens = 20;
    double budget_refill = 0.1;
};

/// What one call may change of the client's options (run_options::call,
/// api_request::call): each request's deadline, its repeats, and header
/// fields of its own. Unset members keep the client's.
struct call_overrides {
    std::optional<duration> timeout;    // each request's deadline, instead of timeouts::request
    std::optional<retry_policy> retry;  // instead of retry_options::submit (run) or ::query
    /// Added to each request of the call, e.g. a trace id. A field the client
    /// writes itself or that would change the answer's bytes (Host,
    /// Authorization, any Content-*, Accept-Encoding, Connection …), a name that
    /// is not an HTTP token or a value holding a control character (CR, LF …)
    /// is refused with errc::invalid_options, before anything is sent.
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Client-side throttling.
struct throttle_options {
    /// Submissions and accepted tasks in flight go through a window that
    /// discovers the account's concurrency (always on): it starts at 2 (or at
    /// GET /openapi/v2/queue/status's concurrentLimit when the service answers
    /// it), grows with accepted submits, halves on a "full" answer (421, 415,
    /// 804 on a create, 814, 1520). Submissions beyond it wait in a FIFO queue
    /// inside the client; a slot frees when the client sees a task end (wait or
    /// query). This caps the window; 0: no cap, the window alone decides.
    std::size_t max_in_flight_tasks = 0;
    /// A submit answered "full" waits (no retry budget, no attempt spent) for a
    /// task of this client to end or for a probe delay, then goes again; after
    /// this long since its first "full" answer it fails with that answer
    /// (e.g. errc::task_queue_maxed). 0: until cancelled.
    duration backpressure_timeout = std::chrono::minutes(30);
    /// The first probe of a full account when no task of this client ends;
    /// doubles per "full" answer (jittered) up to max_probe_delay. A
    /// Retry-After from the service is used instead.
    duration probe_delay = std::chrono::seconds(2);
    duration max_probe_delay = std::chrono::seconds(30);
    /// Requests per second for all calls of the client (token bucket); 0: off.
    double requests_per_second = 0;
    std::size_t burst = 10;
};

} // namespace runninghub

#pragma once
// Options of the client: what to connect to, how long to wait, how to poll.

#include <runninghub/error.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace runninghub {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using duration = std::chrono::steady_clock::duration;
using time_point = std::chrono::steady_clock::time_point;

/// Deadlines of each phase of one HTTP exchange; each is also cut short by the
/// request's overall deadline. Zero disables a phase's own limit.
struct timeouts {
    duration resolve = 10s;
    duration connect = 10s;
    duration tls_handshake = 10s;
    duration write = 30s;
    duration read = 60s;
    duration request = 90s;  // whole exchange, including the wait for a pooled connection
    duration pool_wait = 0s; // a tighter bound on the wait for a pooled connection; 0: the request's deadline
    duration transfer = 30min;  // an upload or a download as a whole (write/read bound each chunk)
};

/// The per-origin connection pool.
struct pool_options {
    std::size_t max_connections = 32;             // per origin (scheme, host, port)
    duration idle_timeout = 20s;                  // keep shorter than the server's keep-alive; 0: never expire
    std::size_t max_requests_per_connection = 0;  // 0: unlimited
    std::size_t max_response_body = 8u << 20;     // bytes, JSON responses
};

/// When to query a task: first after `first_delay`, then every `interval`
/// growing by `growth` per poll up to `cap`; each delay is spread by ±`jitter`.
/// With `learn`, once `learn_after` tasks of this client have been seen to
/// end, a wait sleeps through the time tasks usually take (mean − 2 deviations
/// of the observed durations), polls densely around their usual end, and falls
/// back to the schedule above after it.
struct poll_policy {
    duration first_delay = 3s;
    duration interval = 5s;
    double growth = 1.0;
    duration cap = 30s;
    double jitter = 0.1;           // fraction, 0..1
    unsigned max_poll_errors = 5;  // consecutive transient query failures tolerated
    bool learn = true;
    unsigned learn_after = 5;
    duration min_interval = 100ms; // the densest polling around the expected end (or `interval`, if smaller)
};

/// Repeats of one kind of call: full-jitter exponential backoff, capped;
/// a server's Retry-After (seconds or HTTP-date) is honoured up to
/// max_retry_after; max_elapsed bounds the whole.
struct retry_policy {
    unsigned max_attempts = 4;  // including the first
    duration base_delay = 200ms;
    duration max_delay = 10s;
    duration max_retry_after = 60s;
    duration max_elapsed = 5min;  // overall: no repeat would start later than this after the first try
};

/// What is repeated, and how much. Queries are repeated on transport faults,
/// timeouts, 429, 5xx and back-pressure codes. A submit (run) is repeated only
/// when the task was certainly not created: the request was not completely
/// written (connection refused, connect or TLS failure, no pooled connection),
/// or the service answered 421, 415, 1003, 1010, 1011, 1520 or HTTP 429.
/// Once a submit went out without a valid answer it is never repeated
/// (errc::submit_outcome_unknown).
struct retry_options {
    retry_policy query{4, 200ms, 10s, 60s, 2min};
    retry_policy submit{6, 2s, 30s, 120s, 5min};
    /// Client-wide budget: each repeat costs one token, each successful
    /// request earns `budget_refill`; with no token left, errors are returned
    /// at once, so an outage does not become a retry storm.
    double budget_tokens = 20;
    double budget_refill = 0.1;
};

/// Client-side throttling.
struct throttle_options {
    /// The account's concurrency: submissions beyond it wait in a FIFO queue
    /// inside the client. A slot frees when the client sees the task end
    /// (wait or query). A 421 while under the limit halves the window; each
    /// accepted submit grows it back (additive) up to this maximum. 0: off.
    std::size_t max_in_flight_tasks = 0;
    /// Requests per second for all calls of the client (token bucket); 0: off.
    double requests_per_second = 0;
    std::size_t burst = 10;
};

enum class log_level { debug, info, warning, error };

/// Receives log lines; the API key never appears in them.
using log_function = std::function<void(log_level, std::string_view)>;

struct client_options {
    std::string api_key;
    std::string base_url = "https://www.runninghub.cn";
    std::string ca_file;  // extra trusted CA (PEM file), beside the system store
    std::string ca_pem;   // extra trusted CA (PEM text), beside the system store
    /// Turns TLS verification off. For local experiments only; logged as a warning.
    bool insecure_skip_tls_verify = false;

    timeouts timeout;
    pool_options pool;
    poll_policy poll;
    retry_options retry;
    throttle_options throttle;
    std::size_t max_concurrent_polls = 256;  // queries in flight for all waits together
    /// The caller promises that only one thread runs the executor (and calls
    /// the client): no internal strand. Saves ~2 µs of CPU per request
    /// (bench/compare.sh); wrong with several threads.
    bool single_threaded = false;

    log_function logger;  // silent when empty
    log_level log_threshold = log_level::info;

    /// RUNNINGHUB_API_KEY, RUNNINGHUB_BASE_URL, RUNNINGHUB_CA_FILE.
    /// Throws runninghub::error (missing_api_key, invalid_base_url) before any I/O.
    static client_options from_env();

    /// Empty when usable; otherwise the code and a sentence naming the problem.
    error_code validate(std::string* why = nullptr) const;
};

} // namespace runninghub

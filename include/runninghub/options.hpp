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
struct poll_policy {
    duration first_delay = 3s;
    duration interval = 5s;
    double growth = 1.0;
    duration cap = 30s;
    double jitter = 0.1;           // fraction, 0..1
    unsigned max_poll_errors = 5;  // consecutive transient query failures tolerated
};

/// Repeats of idempotent calls (query) on transient faults: full-jitter
/// exponential backoff. Submits are never repeated after the request went out.
struct retry_policy {
    unsigned max_attempts = 4;  // including the first
    duration base_delay = 200ms;
    duration max_delay = 10s;
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
    retry_policy retry;
    std::size_t max_concurrent_polls = 256;  // queries in flight for all waits together

    log_function logger;  // silent when empty
    log_level log_threshold = log_level::info;

    /// RUNNINGHUB_API_KEY, RUNNINGHUB_BASE_URL, RUNNINGHUB_CA_FILE.
    /// Throws runninghub::error (missing_api_key, invalid_base_url) before any I/O.
    static client_options from_env();

    /// Empty when usable; otherwise the code and a sentence naming the problem.
    error_code validate(std::string* why = nullptr) const;
};

} // namespace runninghub

// SPDX-License-Identifier: BSL-1.0
#pragma once
// Options of the client: what to connect to, with which key, and its policies
// (policies.hpp).

#include <runninghub/error.hpp>
#include <runninghub/policies.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace runninghub {

enum class log_level { debug, info, warning, error };

/// Receives log lines; the API key never appears in them.
using log_function = std::function<void(log_level, std::string_view)>;

struct RUNNINGHUB_EXPORT client_options {
    std::string api_key;
    std::string base_url = "https://www.runninghub.cn";
    std::string ca_file;  // extra trusted CA (PEM file), beside the system store
    std::string ca_pem;   // extra trusted CA (PEM text), beside the system store
    /// Turns TLS verification off. For local experiments only; logged as a warning.
    bool insecure_skip_tls_verify = false;
    /// Allows an http:// base_url to a host other than loopback (127.0.0.0/8,
    /// ::1, localhost): the API key then crosses the network in cleartext.
    /// Refused (invalid_base_url) without it; logged as a warning with it.
    bool allow_insecure_http = false;

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

    /// RUNNINGHUB_API_KEY, RUNNINGHUB_BASE_URL, RUNNINGHUB_CA_FILE,
    /// RUNNINGHUB_ALLOW_INSECURE_HTTP (=1: allow_insecure_http).
    /// Throws runninghub::error (missing_api_key, invalid_base_url) before any I/O.
    static client_options from_env();

    /// Empty when usable; otherwise the code and a sentence naming the problem.
    error_code validate(std::string* why = nullptr) const;
};

} // namespace runninghub

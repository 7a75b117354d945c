// SPDX-License-Identifier: BSL-1.0
#pragma once
// Error codes of the RunningHub service and of this client, one category.

#include <runninghub/export.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <type_traits>

namespace runninghub {

using boost::system::error_code;

/// Values below 20000 are the service's own codes, as it sends them (legacy
/// `code` or v2 `errorCode`); a code not listed here keeps its value and reads
/// "service error N". Values from 20000 on are the client's.
enum class errc : int {
    // --- service codes (runninghub-api.md §4)
    general_failure = 1,            // v2 legacy-shaped failure, e.g. "webapp not exists"
    params_invalid = 301,
    workflow_not_exists = 380,
    upload_key_rejected = 401,      // v2 upload: "ApiKey verification failed"
    token_invalid = 412,
    task_instance_maxed = 415,
    wallet_insufficient = 416,
    task_queue_maxed = 421,
    task_not_found_423 = 423,
    validate_prompt_failed = 433,
    exclusive_instance_not_found = 435,
    exclusive_membership_required = 436,
    server_unknown_error = 500,
    apikey_unsupported_free_user = 801,
    apikey_unauthorized = 802,
    apikey_invalid_node_info = 803,
    apikey_task_is_running = 804,
    apikey_task_status_error = 805,
    apikey_user_not_found = 806,
    apikey_task_not_found = 807,
    apikey_upload_failed = 808,
    apikey_file_size_exceeded = 809,
    workflow_not_saved_or_not_running = 810,
    corp_apikey_invalid = 811,
    corp_apikey_insufficient_funds = 812,
    apikey_task_is_queued = 813,
    personal_queue_count_limit = 814,
    webapp_not_exists = 901,
    unknown_error = 1000,
    invalid_url = 1001,
    invalid_api_key = 1002,
    rate_limit_exceeded = 1003,
    task_not_found_or_expired = 1004,
    internal_server_error = 1005,
    task_execution_timeout = 1006,
    invalid_parameters = 1007,
    file_size_limit_exceeded = 1008,
    method_not_supported = 1009,
    service_unavailable = 1010,
    system_busy = 1011,
    upstream_exception = 1012,
    file_processing_failed = 1013,
    model_api_restricted = 1014,
    generation_failed = 1015,
    node_info_error = 1101,
    content_verification_failed = 1501,
    model_timeout = 1504,
    real_people_prohibited = 1505,
    concurrency_full = 1520,

    // --- client codes
    resolve_timeout = 20001,        // DNS resolution exceeded its deadline
    connect_timeout,                // TCP connect exceeded its deadline
    tls_handshake_timeout,          // TLS handshake exceeded its deadline
    write_timeout,                  // sending the request exceeded its deadline
    read_timeout,                   // the response did not arrive in time
    pool_wait_timeout,              // no pooled connection became free before the deadline
    protocol_error,                 // malformed HTTP or JSON from the server
    http_too_many_requests,         // HTTP 429 without a service code
    http_server_error,              // HTTP 5xx without a service code
    http_unexpected_status,         // any other non-2xx HTTP status
    task_failed,                    // the task ended FAILED
    task_cancelled,                 // the task ended CANCEL
    wait_timeout,                   // wait(): the task did not finish before the deadline
    submit_outcome_unknown,         // the submit went out, no valid answer came back
    invalid_options,                // client_options or call arguments rejected
    missing_api_key,                // no API key configured
    invalid_base_url,               // base URL malformed or of an unsupported scheme
    client_shut_down,               // the client was destroyed while the operation was pending
    deadline_exceeded,              // run_and_wait: the overall deadline passed
    file_error,                     // a local file cannot be opened, read or written (diag names it)
    file_too_large,                 // over the endpoint's size limit, refused before sending
    size_mismatch,                  // a download's length differs from what the server announced
    checksum_mismatch,              // a download's MD5 differs from the server's checksum
    answer_mismatch,                // the answer is about another task than the one asked (never accepted)
};

RUNNINGHUB_EXPORT const boost::system::error_category& category() noexcept;

inline error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

/// Families of errors, to test by kind whatever the code or its origin:
/// `if (ec == runninghub::condition::backpressure)`. A code is in at most one.
enum class condition : int {
    authentication = 1,  ///< the key is missing, wrong or not allowed here (401, 412, 436, 801, 802, 806, 811, 1002, 1014)
    balance,             ///< the account cannot pay (416, 812)
    not_found,           ///< the app, workflow or task does not exist, or no longer (380, 423, 435, 807, 901, 1004)
    invalid_input,       ///< refused as sent: the same request fails again (301, 433, 803, 809, 810, 1001, 1007-1009, 1101, 1501, 1505, invalid_options, file_too_large …)
    backpressure,        ///< the account or service is full or busy: the same request may pass later (is_backpressure, 804, 813, 814)
    transient,           ///< a transport fault, timeout or server error: it may pass later (is_retryable, not backpressure)
};

/// The category of runninghub::condition.
RUNNINGHUB_EXPORT const boost::system::error_category& condition_category() noexcept;

inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

/// True when repeating the same request later may succeed (transport faults,
/// timeouts, 429, 5xx, back-pressure codes). Says nothing about whether a
/// submit is safe to repeat: that is decided by where it failed.
RUNNINGHUB_EXPORT bool is_retryable(const error_code& ec) noexcept;

/// True when the service answered that it did not create the task because of
/// load (421, 415, 1003, 1010, 1011, 1520, HTTP 429): a submit may be repeated.
/// A submit answered that the account is full (421, 415, 1520, and 804 or 814
/// on a create) is not failed at all: the submit gate waits and sends it again
/// (throttle_options).
RUNNINGHUB_EXPORT bool is_backpressure(const error_code& ec) noexcept;

/// What travels beside an error_code: never contains the API key.
struct RUNNINGHUB_EXPORT diagnostics {
    std::string endpoint;        // e.g. "POST /openapi/v2/query"
    unsigned http_status = 0;    // 0 when no response arrived
    std::string server_code;     // the service's code as sent ("421", "1002")
    std::string server_message;  // the service's msg / errorMessage
    std::string body_excerpt;    // first bytes of the response body
    error_code cause;            // the transport error behind a client code

    bool empty() const noexcept { return endpoint.empty() && http_status == 0 && server_message.empty(); }
    std::string to_string() const;
};

/// Exception for the edges (constructors, from_env): the code plus diagnostics.
class RUNNINGHUB_EXPORT error : public boost::system::system_error {
public:
    error(error_code ec, diagnostics diag, std::string task_id = {});
    error(error_code ec, const std::string& what_arg);
    const diagnostics& diag() const noexcept { return diag_; }
    /// The task the failed operation names, so that no paid task is lost to
    /// an exception: a salvaged id with submit_outcome_unknown, the accepted
    /// task with wait_timeout, deadline_exceeded or task_failed. Empty: none.
    const std::string& task_id() const noexcept { return task_id_; }

private:
    diagnostics diag_;
    std::string task_id_;
};

} // namespace runninghub

/// @cond
template <>
struct boost::system::is_error_code_enum<runninghub::errc> : std::true_type {};
template <>
struct boost::system::is_error_condition_enum<runninghub::condition> : std::true_type {};
/// @endcond

// SPDX-License-Identifier: BSL-1.0
#include <runninghub/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace runninghub {
namespace {

const char* message_of(int v) noexcept {
    switch (static_cast<errc>(v)) {
    case errc::general_failure: return "service failure (code 1)";
    case errc::params_invalid: return "PARAMS_INVALID: missing or invalid parameter";
    case errc::workflow_not_exists: return "WORKFLOW_NOT_EXISTS: unknown workflowId";
    case errc::upload_key_rejected: return "upload: API key verification failed";
    case errc::token_invalid: return "TOKEN_INVALID: wrong API path";
    case errc::task_instance_maxed: return "TASK_INSTANCE_MAXED: no free dedicated machine";
    case errc::wallet_insufficient: return "TASK_CREATE_FAILED_BY_NOT_ENOUGH_WALLET: wallet balance too low";
    case errc::task_queue_maxed: return "TASK_QUEUE_MAXED: account concurrency limit reached";
    case errc::task_not_found_423: return "TASK_NOT_FOUNED: task not found";
    case errc::validate_prompt_failed: return "VALIDATE_PROMPT_FAILED: ComfyUI prompt validation failed";
    case errc::exclusive_instance_not_found: return "TASK_USER_EXCLAPI_INSTANCE_NOT_FOUND: no exclusive instance of that type";
    case errc::exclusive_membership_required: return "TASK_USER_EXCLAPI_REQUIRED: exclusive membership expired";
    case errc::server_unknown_error: return "UNKNOWN_ERROR: server error";
    case errc::apikey_unsupported_free_user: return "APIKEY_UNSUPPORTED_FREE_USER: free accounts cannot use the API";
    case errc::apikey_unauthorized: return "APIKEY_UNAUTHORIZED: API key unauthorized or expired";
    case errc::apikey_invalid_node_info: return "APIKEY_INVALID_NODE_INFO: nodeInfoList does not match the workflow";
    case errc::apikey_task_is_running: return "APIKEY_TASK_IS_RUNNING: task still running";
    case errc::apikey_task_status_error: return "APIKEY_TASK_STATUS_ERROR: task failed or was interrupted";
    case errc::apikey_user_not_found: return "APIKEY_USER_NOT_FOUND: no user for this key";
    case errc::apikey_task_not_found: return "APIKEY_TASK_NOT_FOUND: task not found";
    case errc::apikey_upload_failed: return "APIKEY_UPLOAD_FAILED: storage error";
    case errc::apikey_file_size_exceeded: return "APIKEY_FILE_SIZE_EXCEEDED: upload too large";
    case errc::workflow_not_saved_or_not_running: return "WORKFLOW_NOT_SAVED_OR_NOT_RUNNING: run the workflow once on the web first";
    case errc::corp_apikey_invalid: return "CORPAPIKEY_INVALID: enterprise key invalid";
    case errc::corp_apikey_insufficient_funds: return "CORPAPIKEY_INSUFFICIENT_FUNDS: enterprise balance too low";
    case errc::apikey_task_is_queued: return "APIKEY_TASK_IS_QUEUED: task still queued";
    case errc::personal_queue_count_limit: return "PERSONAL_QUEUE_COUNT_LIMIT: personal queue is full";
    case errc::webapp_not_exists: return "WEBAPP_NOT_EXISTS: unknown webappId";
    case errc::unknown_error: return "unknown error (1000)";
    case errc::invalid_url: return "invalid URL (1001)";
    case errc::invalid_api_key: return "invalid API key (1002)";
    case errc::rate_limit_exceeded: return "rate limit exceeded (1003)";
    case errc::task_not_found_or_expired: return "task not found or expired (1004)";
    case errc::internal_server_error: return "internal server error (1005)";
    case errc::task_execution_timeout: return "task execution timed out (1006)";
    case errc::invalid_parameters: return "invalid parameters (1007)";
    case errc::file_size_limit_exceeded: return "file size limit exceeded (1008)";
    case errc::method_not_supported: return "HTTP method not supported (1009)";
    case errc::service_unavailable: return "service unavailable (1010)";
    case errc::system_busy: return "system busy (1011)";
    case errc::upstream_exception: return "upstream service response exception (1012)";
    case errc::file_processing_failed: return "file processing failed (1013)";
    case errc::model_api_restricted: return "Standard Model API restricted to Enterprise-Shared keys (1014)";
    case errc::generation_failed: return "generation failed (1015)";
    case errc::node_info_error: return "node info error (1101)";
    case errc::content_verification_failed: return "content verification failed (1501)";
    case errc::model_timeout: return "model timed out (1504)";
    case errc::real_people_prohibited: return "photorealistic real people prohibited (1505)";
    case errc::concurrency_full: return "concurrency full (1520)";
    case errc::resolve_timeout: return "timed out resolving the host";
    case errc::connect_timeout: return "timed out connecting";
    case errc::tls_handshake_timeout: return "timed out in the TLS handshake";
    case errc::write_timeout: return "timed out sending the request";
    case errc::read_timeout: return "timed out reading the response";
    case errc::pool_wait_timeout: return "timed out waiting for a pooled connection";
    case errc::protocol_error: return "malformed response from the server";
    case errc::http_too_many_requests: return "HTTP 429 too many requests";
    case errc::http_server_error: return "HTTP 5xx server error";
    case errc::http_unexpected_status: return "unexpected HTTP status";
    case errc::task_failed: return "task failed";
    case errc::task_cancelled: return "task cancelled";
    case errc::wait_timeout: return "task did not finish before the wait deadline";
    case errc::submit_outcome_unknown: return "submit outcome unknown: the request was sent but no valid answer came back; reconcile before resubmitting";
    case errc::invalid_options: return "invalid options";
    case errc::missing_api_key: return "no API key: set RUNNINGHUB_API_KEY or client_options::api_key";
    case errc::invalid_base_url: return "invalid base URL";
    case errc::client_shut_down: return "client shut down";
    case errc::deadline_exceeded: return "the operation's deadline passed";
    case errc::file_error: return "a local file cannot be opened, read or written";
    case errc::file_too_large: return "the file is over the endpoint's size limit";
    case errc::size_mismatch: return "the download's size differs from what the server announced";
    case errc::checksum_mismatch: return "the download's checksum differs from the server's";
    case errc::answer_mismatch: return "the answer is about another task than the one asked; it was not accepted";
    }
    return nullptr;
}

class category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "runninghub"; }
    std::string message(int v) const override {
        if (const char* m = message_of(v))
            return m;
        return "service error " + std::to_string(v);
    }
};

} // namespace

const boost::system::error_category& category() noexcept {
    static const category_impl instance;
    return instance;
}

bool is_backpressure(const error_code& ec) noexcept {
    if (ec.category() != category())
        return false;
    switch (static_cast<errc>(ec.value())) {
    case errc::task_instance_maxed:
    case errc::task_queue_maxed:
    case errc::rate_limit_exceeded:
    case errc::service_unavailable:
    case errc::system_busy:
    case errc::concurrency_full:
    case errc::http_too_many_requests:
        return true;
    default:
        return false;
    }
}

bool is_retryable(const error_code& ec) noexcept {
    if (!ec)
        return false;
    if (ec.category() == category()) {
        if (is_backpressure(ec))
            return true;
        switch (static_cast<errc>(ec.value())) {
        case errc::server_unknown_error:
        case errc::apikey_upload_failed:
        case errc::unknown_error:
        case errc::internal_server_error:
        case errc::upstream_exception:
        case errc::resolve_timeout:
        case errc::connect_timeout:
        case errc::tls_handshake_timeout:
        case errc::write_timeout:
        case errc::read_timeout:
        case errc::pool_wait_timeout:
        case errc::protocol_error:
        case errc::http_server_error:
            return true;
        default:
            return false;
        }
    }
    namespace ae = boost::asio::error;
    if (ec == ae::operation_aborted)
        return false;
    if (ec.category() == boost::asio::error::get_ssl_category() || ec == boost::asio::ssl::error::stream_truncated)
        return ec == boost::asio::ssl::error::stream_truncated;
    return ec == ae::connection_refused || ec == ae::connection_reset || ec == ae::connection_aborted ||
           ec == ae::broken_pipe || ec == ae::eof || ec == ae::timed_out || ec == ae::network_unreachable ||
           ec == ae::host_unreachable || ec == ae::try_again || ec == ae::host_not_found_try_again;
}

namespace {

/// The family of one of our codes, or none (0).
condition family_of(errc e) noexcept {
    switch (e) {
    case errc::upload_key_rejected: case errc::token_invalid: case errc::exclusive_membership_required:
    case errc::apikey_unsupported_free_user: case errc::apikey_unauthorized: case errc::apikey_user_not_found:
    case errc::corp_apikey_invalid: case errc::invalid_api_key: case errc::model_api_restricted:
    case errc::missing_api_key:
        return condition::authentication;
    case errc::wallet_insufficient: case errc::corp_apikey_insufficient_funds:
        return condition::balance;
    case errc::workflow_not_exists: case errc::task_not_found_423: case errc::exclusive_instance_not_found:
    case errc::apikey_task_not_found: case errc::webapp_not_exists: case errc::task_not_found_or_expired:
        return condition::not_found;
    case errc::params_invalid: case errc::validate_prompt_failed: case errc::apikey_invalid_node_info:
    case errc::apikey_file_size_exceeded: case errc::workflow_not_saved_or_not_running: case errc::invalid_url:
    case errc::invalid_parameters: case errc::file_size_limit_exceeded: case errc::method_not_supported:
    case errc::node_info_error: case errc::content_verification_failed: case errc::real_people_prohibited:
    case errc::invalid_options: case errc::invalid_base_url: case errc::file_too_large:
        return condition::invalid_input;
    case errc::apikey_task_is_running: case errc::apikey_task_is_queued: case errc::personal_queue_count_limit:
        return condition::backpressure;
    default:
        return condition{};
    }
}

class condition_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "runninghub.condition"; }
    std::string message(int v) const override {
        switch (static_cast<condition>(v)) {
        case condition::authentication: return "authentication: the API key is missing, wrong or not allowed";
        case condition::balance: return "balance: the account cannot pay";
        case condition::not_found: return "not found";
        case condition::invalid_input: return "invalid input: the request is refused as sent";
        case condition::backpressure: return "back-pressure: full or busy, later may pass";
        case condition::transient: return "transient: a transport fault, timeout or server error";
        }
        return "runninghub condition " + std::to_string(v);
    }
    bool equivalent(const error_code& ec, int v) const noexcept override {
        auto want = static_cast<condition>(v);
        bool ours = ec.category() == category();
        if (auto f = ours ? family_of(static_cast<errc>(ec.value())) : condition{}; f != condition{})
            return f == want;
        if (want == condition::backpressure)
            return is_backpressure(ec);
        return want == condition::transient && is_retryable(ec) && !is_backpressure(ec);
    }
};

} // namespace

const boost::system::error_category& condition_category() noexcept {
    static const condition_category_impl instance;
    return instance;
}

std::string diagnostics::to_string() const {
    std::string s;
    auto add = [&](std::string_view k, std::string_view v) {
        if (v.empty())
            return;
        if (!s.empty())
            s += "; ";
        s.append(k).append(v);
    };
    add("endpoint ", endpoint);
    if (http_status)
        add("HTTP ", std::to_string(http_status));
    add("code ", server_code);
    add("message: ", server_message);
    if (cause)
        add("cause: ", cause.message());
    add("body: ", body_excerpt);
    return s;
}

error::error(error_code ec, diagnostics diag, std::string task_id)
    : system_error(ec, task_id.empty() ? diag.to_string() : diag.to_string() + " (task " + task_id + ")"),
      diag_(std::move(diag)), task_id_(std::move(task_id)) {}

error::error(error_code ec, const std::string& what_arg) : system_error(ec, what_arg) {}

} // namespace runninghub

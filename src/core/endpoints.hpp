// SPDX-License-Identifier: BSL-1.0
#pragma once
// The service's endpoints as data: one row each says how to call it (method,
// path, where the API key goes, what a repeat could cost, which answer shape
// comes back) and under which name it is counted. A new endpoint is a row
// here, an operation in client/operations.cpp and a route in the emulator.

#include "core/http_method.hpp"
#include "core/retry.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace runninghub::detail {

/// Where the API key goes, besides the Authorization header every request to
/// the service carries (storage hosts get none of it: `none`).
enum class key_place : std::uint8_t {
    bearer,       // the header only (v2)
    body_apiKey,  // also "apiKey" in the JSON body (legacy)
    body_apikey,  // also "apikey" in the JSON body (accountStatus's own spelling)
    query_apiKey, // also "apiKey=" in the query string (apiCallDemo)
    form_apiKey,  // also an "apiKey" multipart field (legacy upload)
    none,         // a storage host: no key anywhere
};

/// The shape of a successful answer.
enum class answer_shape : std::uint8_t {
    task,      // the flat v2 task object (or the legacy envelope some v2 errors use)
    envelope,  // {code, msg|message, data} or the flat v2 errorCode shape
    raw,       // a storage host's own answer (status only)
};

enum class endpoint_id : std::uint8_t {
    run_ai_app, run_workflow, query, model,
    legacy_create, legacy_ai_app, legacy_quick, legacy_status, legacy_outputs, cancel,
    account, queue_status, webhook_detail, retry_webhook, app_details, workflow_json,
    upload, legacy_upload, lora_upload_url, lora_put, result_file,
    count
};

struct endpoint {
    http_method method;
    std::string_view path;   // the fixed part; an id or a model name may follow
    std::string_view name;   // how stats count it: "POST /openapi/v2/query"
    key_place key;
    call_kind kind;
    answer_shape shape;
};

/// The row of `id`.
const endpoint& row(endpoint_id id) noexcept;

/// The body member that carries the key for this row ("apiKey", "apikey"), or empty.
std::string_view body_key_member(const endpoint& e) noexcept;

/// `value` percent-encoded for a query string (RFC 3986 unreserved kept).
std::string query_escape(std::string_view value);

} // namespace runninghub::detail

// SPDX-License-Identifier: BSL-1.0
#pragma once
// The account, webhook records, app and workflow metadata, and any other
// JSON endpoint of the service (api_request).

#include <runninghub/error.hpp>
#include <runninghub/task.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace runninghub {
// --- account, webhooks, app metadata

/// POST /uc/openapi/accountStatus, as the service's strings.
struct account_status {
    std::string remain_coins;
    std::string current_task_counts;
    std::optional<std::string> remain_money;
    std::optional<std::string> currency;
    std::string api_type;            // e.g. NORMAL
    diagnostics diag;
};

/// The key's concurrency right now (GET /openapi/v2/queue/status). The
/// reference marks this endpoint "in development": a service without it
/// answers an error.
struct queue_status {
    std::string key_type;              // apiKeyType, e.g. SHARED
    std::uint64_t concurrent_limit = 0;  // tasks the key may run at once
    std::uint64_t running = 0;
    std::uint64_t queued = 0;
    std::uint64_t total = 0;           // totalCurrentTasks
    diagnostics diag;
};

/// A webhook delivery record (getWebhookDetail).
struct webhook_record {
    std::string id;                  // the webhookId for retry_webhook
    std::string task_id;
    std::string webhook_url;
    std::string event_data;          // the JSON string that was (or will be) POSTed
    std::string callback_status;     // SUCCESS, FAILED, PENDING, RETRYING …
    std::string callback_response;
    unsigned retry_count = 0;
    std::string create_time, update_time;
    diagnostics diag;
};

/// One input of an AI app, as apiCallDemo lists it.
struct app_node {
    std::string node_id, node_name, field_name, field_type, description, description_en;
    boost::json::value field_value;  // the default
    std::string field_data;          // options of LIST fields, as sent
    /// This field with a new value, ready for run().
    node_input with(boost::json::value value) const { return node_input(node_id, field_name, std::move(value)); }
};

/// GET /api/webapp/apiCallDemo: an AI app's name and inputs.
struct RUNNINGHUB_EXPORT app_info {
    std::string name;
    std::string curl;                // the example request
    std::vector<app_node> nodes;
    boost::json::value covers, tags, statistics;
    /// Every node with its default value: run(app, info.inputs()) runs the defaults.
    std::vector<node_input> inputs() const;
    /// The node with this id and field name, or null.
    const app_node* find(std::string_view node_id, std::string_view field_name) const noexcept;
    diagnostics diag;
};

/// POST /api/openapi/getJsonApiFormat: a workflow in ComfyUI's API format.
struct workflow_definition {
    std::string prompt;              // the API-format JSON, as a string
    diagnostics diag;
};

/// Any JSON endpoint by path, for those without a typed call (the reference's
/// undocumented or "in development" ones: /openapi/v2/queue/status,
/// /openapi/v2/aiapp/list, /openapi/v2/api-key/list, /openapi/v2/price-preview/…,
/// /openapi/v2/resource/list, /api/fast/creation/model/params).
/// The method is always given: a POST to a path the service does not know
/// may be routed to a model and create a paid task.
enum class api_method { get, post };

struct api_request {
    api_request(api_method m, std::string endpoint_path, boost::json::object json_body = {})
        : method(m), path(std::move(endpoint_path)), body(std::move(json_body)), idempotent(m == api_method::get) {}
    api_method method;
    std::string path;           // e.g. "/openapi/v2/queue/status" (may carry a query)
    boost::json::object body;   // sent as JSON (POST only)
    bool key_in_body = false;   // add "apiKey" to the body (legacy endpoints); Bearer is always sent
    /// May be repeated on transient faults: by default a GET is, a POST is not
    /// (it may have created something); set it for a POST known to be a read.
    bool idempotent;
    /// This call's own request deadline, repeats (instead of retry.query) and header fields.
    call_overrides call;
};

/// The `data` of either envelope ({code,msg,data}), or the whole flat object.
struct api_result {
    boost::json::value data;
    diagnostics diag;
};

/// Operations that return no data (retry_webhook) complete with this.
struct acknowledgement {
    diagnostics diag;
};

} // namespace runninghub

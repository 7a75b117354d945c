#pragma once
// Typed models of the v2 API. IDs are strings end to end.

#include <runninghub/error.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runninghub {

enum class task_status { unknown, create, queued, running, success, failed, cancel };

std::string_view to_string(task_status s) noexcept;
task_status parse_task_status(std::string_view s) noexcept;
constexpr bool is_terminal(task_status s) noexcept {
    return s == task_status::success || s == task_status::failed || s == task_status::cancel;
}

// The argument types below have constructors on purpose: g++ 12 miscompiles
// aggregate temporaries holding a short std::string inside a co_await
// expression (`co_await c.run(ai_app{"1"}, …)` frees a stack address).
// Non-aggregates are not affected.

/// An AI app ("webapp") by its id, e.g. ai_app{"1877265245566922753"}.
struct ai_app {
    explicit ai_app(std::string app_id) : id(std::move(app_id)) {}
    std::string id;
};

/// A ComfyUI workflow by its id.
struct workflow {
    explicit workflow(std::string workflow_id) : id(std::move(workflow_id)) {}
    std::string id;
};

/// One override of a node field; `field_value` keeps its JSON type.
struct node_input {
    node_input(std::string node, std::string field, boost::json::value value, std::string desc = {})
        : node_id(std::move(node)), field_name(std::move(field)), field_value(std::move(value)),
          description(std::move(desc)) {}
    std::string node_id;
    std::string field_name;
    boost::json::value field_value;
    std::string description;
};

/// Options of a submit (`run`). Set the members you need on a named object.
struct run_options {
    run_options() = default;
    std::string instance_type;               // "default" (24G) or "plus" (48G); empty: not sent
    std::optional<bool> use_personal_queue;  // exclusive keys only
    std::string webhook_url;                 // empty: not sent
    std::string workflow_json;               // workflow only: full API-format JSON, sent as a string
    std::optional<bool> add_metadata;        // workflow only
};

/// One output of a task: a file URL or, for text outputs, the text itself.
struct result_file {
    std::string url;
    std::string output_type;  // a file extension: png, mp4, txt …
    std::string node_id;
    std::optional<std::string> text;
};

/// Billing facts, kept as the service's decimal strings.
struct task_usage {
    std::optional<std::string> consume_money;
    std::optional<std::string> consume_coins;
    std::optional<std::string> task_cost_time;  // seconds
    std::optional<std::string> third_party_consume_money;
};

/// The flat v2 task object (run, query, model calls).
struct task {
    std::string id;
    task_status status = task_status::unknown;
    std::string status_text;          // as sent, for statuses this client does not know
    std::string error_code;           // the service's string; empty: no error
    std::string error_message;
    boost::json::value failed_reason; // object, string or null, as sent
    std::vector<result_file> results;
    std::string client_id;
    std::string prompt_tips;          // a JSON string, as sent (see parse_prompt_tips)
    std::string net_wss_url;          // legacy create: ComfyUI progress websocket (often null)
    task_usage usage;
    diagnostics diag;                 // filled when the operation failed
};

/// A submit's `promptTips`, parsed (the service sends it as a JSON string).
struct prompt_tips {
    bool result = true;
    boost::json::value error;                   // null when none
    std::vector<std::string> outputs_to_execute;
    boost::json::value node_errors;             // an object keyed by node id; empty when valid
    bool has_node_errors() const noexcept;
};
/// nullopt when `text` is empty or not a JSON object.
std::optional<prompt_tips> parse_prompt_tips(std::string_view text);

// --- uploads

/// A file to upload: a path streamed from disk in bounded memory, or bytes in memory.
struct upload_file {
    explicit upload_file(std::filesystem::path file) : path(std::move(file)), name(path.filename().string()) {}
    upload_file(std::string file_name, std::string bytes) : name(std::move(file_name)), content(std::move(bytes)) {}
    std::filesystem::path path;  // empty: in memory
    std::string name;            // the file name sent (default: the path's)
    std::string content;         // in memory only
    std::string content_type;    // empty: from the name's extension
    bool in_memory() const noexcept { return path.empty(); }
};

/// The MIME type for a file name's extension (png, mp4, safetensors …);
/// application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name) noexcept;

/// What an upload returns.
struct uploaded_file {
    std::string file_name;     // the fieldValue for ComfyUI load nodes ("openapi/<sha>.png", "api/…")
    std::string download_url;  // v2 only: for Standard Model API fields (valid one day)
    std::string type;          // image, video, audio, input …
    std::uint64_t size = 0;    // bytes sent
    std::string md5;           // hex MD5 of the bytes (computed while sending)
    diagnostics diag;
};

// --- downloads

struct download_options {
    /// Called as bytes arrive: (bytes of the file so far, total when known).
    std::function<void(std::uint64_t done, std::optional<std::uint64_t> total)> progress;
    unsigned max_attempts = 5;      // transfers, including resumes with Range after a break
    bool resume_part = true;        // continue an existing "<file>.part" left by an earlier call
    std::chrono::steady_clock::duration timeout = std::chrono::minutes(30);
};

/// A download's outcome.
struct download_result {
    std::filesystem::path path;     // the complete file (empty when streamed to a sink)
    std::uint64_t bytes = 0;        // the file's size
    std::uint64_t received = 0;     // bytes received over the network (less when resumed)
    unsigned resumes = 0;           // transfers continued with Range
    std::string md5;                // hex
    bool checksum_verified = false; // the server gave a checksum and it matched
    bool text = false;              // a text output, written without a request
    diagnostics diag;
};

/// Receives a download's bytes in order, each byte once (also across resumes).
/// An error stops the transfer and completes the download with it.
using download_sink = std::function<error_code(const char* data, std::size_t size)>;

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
struct app_info {
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
struct api_request {
    explicit api_request(std::string endpoint_path, boost::json::object json_body = {})
        : path(std::move(endpoint_path)), body(std::move(json_body)) {}
    std::string path;           // e.g. "/openapi/v2/queue/status" (may carry a query)
    boost::json::object body;   // sent as JSON (POST)
    bool get = false;           // GET without a body
    bool key_in_body = false;   // add "apiKey" to the body (legacy endpoints); Bearer is always sent
    bool idempotent = true;     // may be repeated on transient faults
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

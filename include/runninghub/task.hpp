// SPDX-License-Identifier: BSL-1.0
#pragma once
// What a task is: its target (AI app or workflow), node inputs, run options,
// status and results. IDs are strings end to end.

#include <runninghub/error.hpp>
#include <runninghub/policies.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runninghub {

enum class task_status { unknown, create, queued, running, success, failed, cancel };

RUNNINGHUB_EXPORT std::string_view to_string(task_status s) noexcept;
RUNNINGHUB_EXPORT task_status parse_task_status(std::string_view s) noexcept;
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

/// A moment of a submit that an application may need to record before it
/// happens (run_options::on_submit).
enum class submit_event {
    sending,      // a request that may create the task is about to go out
    not_created,  // the request last sent certainly created no task (a back-pressure or
                  // rejection answer, or it was never written): the submit is not out any more
};

/// Options of a submit (`run`). Set the members you need on a named object.
struct run_options {
    run_options() = default;
    /// Called on the client's executor at each submit_event of this submit:
    /// before every attempt that may create the task, and after an attempt
    /// that certainly created none. Between a `sending` and the completion
    /// (or a `not_created`) the task may exist, and only then: a journal that
    /// records it there never marks a submit in doubt that waited in the
    /// back-pressure queue (batch_runner does this). An error returned for
    /// `sending` stops the submit unsent with that error.
    std::function<error_code(submit_event)> on_submit;
    std::string instance_type;               // "default" (24G) or "plus" (48G); empty: not sent
    std::optional<bool> use_personal_queue;  // exclusive keys only
    std::string webhook_url;                 // empty: not sent
    std::string workflow_json;               // workflow only: full API-format JSON, sent as a string
    std::optional<bool> add_metadata;        // workflow only
    /// `retainSeconds` (v2 run bodies): how long the service keeps the task's
    /// outputs. The field is documented but its effect is unverified.
    std::optional<std::int64_t> retain_seconds;
    /// Fields added to the request body as they are, for what the service
    /// accepts and this client does not model yet. A key the client writes
    /// itself (nodeInfoList, webhookUrl …) is refused with invalid_options.
    boost::json::object extra_fields;
    /// This submit's own request deadline, repeats (instead of retry.submit)
    /// and header fields.
    call_overrides call;
};

/// Billing facts, kept as the service's decimal strings.
struct task_usage {
    std::optional<std::string> consume_money;
    std::optional<std::string> consume_coins;
    std::optional<std::string> task_cost_time;  // seconds
    std::optional<std::string> third_party_consume_money;
    bool empty() const noexcept {
        return !consume_money && !consume_coins && !task_cost_time && !third_party_consume_money;
    }
};

/// One output of a task: a file URL or, for text outputs, the text itself.
struct result_file {
    std::string url;
    std::string output_type;  // a file extension: png, mp4, txt …
    std::string node_id;
    std::optional<std::string> text;
    /// The costs the legacy outputs list (and its webhook event) carries on
    /// each item; empty for v2 results, whose costs are the task's `usage`.
    task_usage usage;
};

/// Why a task failed, from ComfyUI (`failedReason`): which node raised what.
/// The service sends an object, sometimes a plain string; it is kept as sent
/// (the task stays small) and read through these accessors.
struct RUNNINGHUB_EXPORT task_failure {
    boost::json::value raw;  // null when none was sent

    std::string node_id() const;
    std::string node_type() const;          // the node's class (`node_name`), e.g. "SaveImage"
    std::string exception_type() const;     // e.g. "RuntimeError"
    std::string exception_message() const;  // or the whole reason when it came as a string
    std::string traceback() const;          // as sent; a list is joined with newlines
    /// True when nothing was said: null, {} or "".
    bool empty() const noexcept;
};
/// One line: `node 9 (SaveImage): RuntimeError: message`, a string reason as
/// it is, or "" when empty.
RUNNINGHUB_EXPORT std::string to_string(const task_failure& f);

/// The flat v2 task object (run, query, model calls).
struct task {
    std::string id;
    task_status status = task_status::unknown;
    std::string status_text;          // as sent, for statuses this client does not know
    std::string error_code;           // the service's string; empty: no error
    std::string error_message;
    task_failure failed_reason;       // FAILED tasks: ComfyUI's reason, when sent
    std::vector<result_file> results;
    std::string client_id;
    std::string prompt_tips;          // a JSON string, as sent (see parse_prompt_tips)
    std::string net_wss_url;          // legacy create: ComfyUI progress websocket (often null)
    task_usage usage;                 // for legacy outputs: the first item's that has costs
    diagnostics diag;                 // filled when the operation failed
};

/// A submit's `promptTips`, parsed (the service sends it as a JSON string).
struct RUNNINGHUB_EXPORT prompt_tips {
    bool result = true;
    boost::json::value error;                   // null when none
    std::vector<std::string> outputs_to_execute;
    boost::json::value node_errors;             // an object keyed by node id; empty when valid
    bool has_node_errors() const noexcept;
};
/// nullopt when `text` is empty or not a JSON object.
RUNNINGHUB_EXPORT std::optional<prompt_tips> parse_prompt_tips(std::string_view text);

} // namespace runninghub

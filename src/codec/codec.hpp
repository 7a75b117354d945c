// SPDX-License-Identifier: BSL-1.0
#pragma once
// The codec: typed models to JSON bodies, HTTP answers to a task or an error.
// Pure functions, no I/O.

#include <runninghub/models.hpp>
#include <runninghub/options.hpp>

#include <boost/json/object.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runninghub::detail {

/// What the transport hands to the codec.
struct http_answer {
    unsigned status = 0;
    std::string_view body;
    std::string_view retry_after;  // header value, may be empty
};

std::string encode_run_body(const std::vector<node_input>& inputs, const run_options& opts, bool workflow);
/// The first key of run_options::extra_fields that a run body writes itself
/// (or the key that carries it); empty when there is none.
std::string_view client_written_field(const run_options& opts);
std::string encode_query_body(std::string_view task_id);

// JSON helpers shared by the decoders (codec, webhook payloads, emulator).

/// A string, or a number written back exactly (ids must never go through double).
std::string scalar_text(const boost::json::value* v);
/// The first of `keys` present and not null.
const boost::json::value* first_of(const boost::json::object& o, std::initializer_list<std::string_view> keys);
/// Appends the result files of an array (url|outputUrl|fileUrl, outputType|fileType, nodeId, text|content|output).
void decode_results(const boost::json::value* v, std::vector<result_file>& out);

/// consumeMoney, consumeCoins, taskCostTime, thirdPartyConsumeMoney of an object.
void decode_usage(const boost::json::object& o, task_usage& u);
/// A legacy outputs list's costs for the task: those of the first item that has
/// any (the items seen repeat the task's; each keeps its own in result_file::usage).
void usage_of_items(const std::vector<result_file>& items, task_usage& u);

/// Validates an id used in a path or body: 1..64 of [0-9A-Za-z_-].
bool valid_id(std::string_view id) noexcept;

/// A task id as the service makes them: 1 to 32 decimal digits.
bool valid_task_id(std::string_view id) noexcept;

/// Decodes a v2 task answer (flat object, or the legacy envelope some v2
/// errors use). Fills `diag` (status, code, message, excerpt) on error.
/// A taskId that is not a task id is protocol_error; with `asked_id` (a
/// query), an answer about another task is answer_mismatch. Either way
/// `out` keeps nothing of that answer but `asked_id`. `out` comes
/// default-constructed: what the answer does not carry stays empty.
error_code decode_task(const http_answer& in, task& out, diagnostics& diag, std::string_view asked_id = {});
/// decode_task without its fast path for the common shape (codec/task_sax): every
/// answer through Boost.JSON's DOM. The two agree wherever the fast path answers.
error_code decode_task_dom(const http_answer& in, task& out, diagnostics& diag, std::string_view asked_id = {});


/// A legacy submit: create (workflowId), ai-app/run and quick-ai-app/run
/// (webappId, as a JSON number when it fits int64, as the reference types it).
/// Without the key: the call path places it (core/endpoints).
boost::json::object encode_legacy_run_body(std::string_view id_field, std::string_view id,
                                           std::string_view quick_code, const std::vector<node_input>& inputs,
                                           const run_options& opts);

/// Any JSON endpoint's answer in either envelope ({code,msg|message,data} or
/// the flat v2 errorCode shape): the data, or the service's error.
error_code decode_envelope(const http_answer& in, boost::json::value& data, diagnostics& diag);

/// /task/openapi/outputs as a task (804/813 pending, 805 failed).
error_code decode_legacy_outputs(const http_answer& in, std::string_view task_id, task& out, diagnostics& diag);
/// The same from an envelope already decoded (its error and data).
error_code legacy_outputs_task(error_code envelope_ec, const boost::json::value& data, std::string_view task_id,
                               task& out, diagnostics& diag);

/// The typed views of `data` (after decode_envelope); protocol_error when its shape is wrong.
error_code decode_uploaded(const boost::json::value& data, uploaded_file& out);
error_code decode_account(const boost::json::value& data, account_status& out);
error_code decode_queue_status(const boost::json::value& data, queue_status& out);
error_code decode_webhook_record(const boost::json::value& data, webhook_record& out);
error_code decode_app_info(const boost::json::value& data, app_info& out);
error_code decode_workflow(const boost::json::value& data, workflow_definition& out);  // {"prompt": "<JSON>"}

/// Maps a non-2xx status without a service code to a client code.
error_code http_status_error(unsigned status) noexcept;

/// Retry-After as seconds or an HTTP-date; nullopt when absent or malformed.
std::optional<duration> parse_retry_after(std::string_view v, std::chrono::system_clock::time_point now);

std::string excerpt(std::string_view body, std::size_t max = 256);

} // namespace runninghub::detail

// SPDX-License-Identifier: BSL-1.0
// The answer decoders (v2 task, both envelopes, legacy outputs, typed views, promptTips)
// and the Retry-After parser: any status and bytes, never a crash; and the task
// decoder's fast path (codec/task_sax) agrees with its DOM path on every input.
#include "codec/codec.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    unsigned status = 100u + (data[0] % 5) * 100u + data[1] % 30;
    std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
    runninghub::task t;
    auto ec = runninghub::detail::decode_task({status, body, body}, t, t.diag);
    if (!ec && t.id.empty())
        __builtin_trap();  // success always carries a task id
    runninghub::task d;
    auto dec = runninghub::detail::decode_task_dom({status, body, body}, d, d.diag);
    auto usage_eq = [](const runninghub::task_usage& a, const runninghub::task_usage& b) {
        return a.consume_money == b.consume_money && a.consume_coins == b.consume_coins &&
               a.task_cost_time == b.task_cost_time && a.third_party_consume_money == b.third_party_consume_money;
    };
    bool same = ec == dec && t.id == d.id && t.status == d.status && t.status_text == d.status_text &&
                t.error_code == d.error_code && t.error_message == d.error_message &&
                t.failed_reason.raw == d.failed_reason.raw && t.client_id == d.client_id &&
                t.prompt_tips == d.prompt_tips && t.net_wss_url == d.net_wss_url && usage_eq(t.usage, d.usage) &&
                t.results.size() == d.results.size() && t.diag.http_status == d.diag.http_status &&
                t.diag.server_code == d.diag.server_code && t.diag.server_message == d.diag.server_message &&
                t.diag.body_excerpt == d.diag.body_excerpt;
    for (std::size_t i = 0; same && i < t.results.size(); ++i) {
        auto &a = t.results[i], &b = d.results[i];
        same = a.url == b.url && a.output_type == b.output_type && a.node_id == b.node_id && a.text == b.text &&
               usage_eq(a.usage, b.usage);
    }
    if (!same)
        __builtin_trap();  // the fast path decoded otherwise than the DOM
    runninghub::detail::parse_retry_after(body, std::chrono::system_clock::now());
    // Every other JSON answer: both envelopes, legacy outputs, the typed views.
    boost::json::value payload;
    runninghub::diagnostics diag;
    if (!runninghub::detail::decode_envelope({status, body, {}}, payload, diag)) {
        runninghub::uploaded_file u;
        runninghub::account_status a;
        runninghub::webhook_record w;
        runninghub::app_info i;
        runninghub::workflow_definition wd;
        runninghub::detail::decode_workflow(payload, wd);
        runninghub::detail::decode_uploaded(payload, u);
        runninghub::detail::decode_account(payload, a);
        runninghub::detail::decode_webhook_record(payload, w);
        runninghub::detail::decode_app_info(payload, i);
    }
    runninghub::task o;
    if (!runninghub::detail::decode_legacy_outputs({status, body, {}}, "1", o, o.diag) &&
        o.status == runninghub::task_status::unknown)
        __builtin_trap();  // outputs always name a state
    runninghub::parse_prompt_tips(body);
    return 0;
}

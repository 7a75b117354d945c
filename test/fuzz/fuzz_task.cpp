// SPDX-License-Identifier: BSL-1.0
// The answer decoders (v2 task, both envelopes, legacy outputs, typed views, promptTips)
// and the Retry-After parser: any status and bytes, never a crash.
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

// SPDX-License-Identifier: BSL-1.0
#include <runninghub/webhook.hpp>

#include "codec/codec.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace runninghub {
namespace {

// Reads status, results, usage and failure from one level: {status, results,
// usage, errorCode, errorMessage, failedReason}, {taskStatus}, or the legacy
// outputs envelope {code, msg, data:[…]|{failedReason}}.
void read_outcome(const json::object& o, webhook_event& e) {
    if (e.task_id.empty())
        e.task_id = detail::scalar_text(detail::first_of(o, {"taskId", "task_id"}));
    if (auto* st = detail::first_of(o, {"status", "taskStatus"}); st && st->is_string())
        e.status = parse_task_status(st->get_string());
    detail::decode_results(o.if_contains("results"), e.results);
    if (auto* u = o.if_contains("usage"); u && u->is_object())
        detail::decode_usage(u->get_object(), e.usage);
    if (auto c = detail::scalar_text(o.if_contains("errorCode")); !c.empty() && c != "0")
        e.error_code = std::move(c);
    if (auto m = detail::scalar_text(o.if_contains("errorMessage")); !m.empty())
        e.error_message = std::move(m);
    if (auto* fr = o.if_contains("failedReason"); fr && !fr->is_null())
        e.failed_reason.raw = *fr;
    auto* code = o.if_contains("code");
    auto* data = o.if_contains("data");
    if (code && (code->is_int64() || code->is_uint64() || code->is_string())) {
        auto c = detail::scalar_text(code);
        if (data && data->is_array()) {
            detail::decode_results(data, e.results);
            if (e.usage.empty())
                detail::usage_of_items(e.results, e.usage);
            if (c == "0" && e.status == task_status::unknown)
                e.status = task_status::success;
        } else if (c == "805") {
            if (e.status == task_status::unknown)
                e.status = task_status::failed;
            e.error_code = c;
            e.error_message = detail::scalar_text(detail::first_of(o, {"msg", "message"}));
        }
    }
    if (data && data->is_object())
        read_outcome(data->get_object(), e);
}

} // namespace

std::optional<webhook_event> parse_webhook_event(std::string_view body, std::string* why) {
    auto fail = [&](const char* reason) -> std::optional<webhook_event> {
        if (why)
            *why = reason;
        return std::nullopt;
    };
    error_code ec;
    json::value doc = json::parse(body, ec);
    if (ec)
        return fail("body is not JSON");
    auto* o = doc.if_object();
    if (!o)
        return fail("body is not a JSON object");
    if (auto* ev = o->if_contains("event"); ev && ev->is_string() && ev->get_string() != "TASK_END")
        return fail("event is not TASK_END");
    webhook_event e;
    read_outcome(*o, e);
    if (auto* ed = o->if_contains("eventData")) {
        json::value inner;
        if (auto* s = ed->if_string()) {
            inner = json::parse(*s, ec);
            if (ec)
                return fail("eventData is a string but not JSON");
        } else {
            inner = *ed;
        }
        if (auto* io = inner.if_object())
            read_outcome(*io, e);
    }
    if (e.task_id.empty())
        return fail("no taskId");
    if (e.task_id.size() > max_webhook_task_id)
        return fail("taskId longer than 128 characters");
    for (char c : e.task_id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return fail("taskId has characters an id cannot have");
    e.raw = std::move(doc);
    return e;
}

} // namespace runninghub

// SPDX-License-Identifier: BSL-1.0
#include "codec/codec.hpp"
#include "codec/task_sax.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace json = boost::json;

namespace runninghub::detail {
namespace {

std::string_view str_or_empty(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key))
        if (auto* s = v->if_string())
            return *s;
    return {};
}

std::optional<std::string> opt_text(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null())
        return std::nullopt;
    return scalar_text(v);
}

} // namespace

void decode_usage(const json::object& o, task_usage& u) {
    u.consume_money = opt_text(o, "consumeMoney");
    u.consume_coins = opt_text(o, "consumeCoins");
    u.task_cost_time = opt_text(o, "taskCostTime");
    u.third_party_consume_money = opt_text(o, "thirdPartyConsumeMoney");
}

void usage_of_items(const std::vector<result_file>& items, task_usage& u) {
    for (auto& r : items)
        if (!r.usage.empty()) {
            u = r.usage;
            return;
        }
}

namespace {

// A field that holds JSON text, sent either as a string or as the JSON itself.
std::string json_text(const json::value& v) {
    if (auto* s = v.if_string())
        return std::string(*s);
    return v.is_null() ? std::string() : json::serialize(v);
}

error_code service_error(std::string_view code_text, diagnostics& diag) {
    int v = 0;
    auto [p, e] = std::from_chars(code_text.data(), code_text.data() + code_text.size(), v);
    diag.server_code = std::string(code_text);
    if (e != std::errc() || p != code_text.data() + code_text.size() || v <= 0 || v >= 20000)
        return make_error_code(errc::unknown_error);
    // v2 says "webapp not exists" with code 1 (runninghub-api.md §4): the code it means is 901.
    if (v == 1 && diag.server_message.find("webapp not exist") != std::string::npos)
        return make_error_code(errc::webapp_not_exists);
    return {v, category()};
}

void decode_flat(const json::object& o, task& t) {
    t.id = scalar_text(first_of(o, {"taskId", "task_id"}));
    auto st = str_or_empty(o, "status");
    if (st.empty())
        st = str_or_empty(o, "taskStatus");
    t.status_text = std::string(st);
    t.status = parse_task_status(st);
    t.error_code = scalar_text(o.if_contains("errorCode"));
    if (t.error_code == "0")
        t.error_code.clear();
    t.error_message = scalar_text(o.if_contains("errorMessage"));
    if (auto* fr = o.if_contains("failedReason"))
        t.failed_reason.raw = json::value(*fr, json::storage_ptr());
    decode_results(o.if_contains("results"), t.results);
    t.client_id = scalar_text(o.if_contains("clientId"));
    t.prompt_tips = scalar_text(o.if_contains("promptTips"));
    t.net_wss_url = scalar_text(o.if_contains("netWssUrl"));
    if (auto* u = o.if_contains("usage"); u && u->is_object())
        decode_usage(u->get_object(), t.usage);
}

} // namespace

std::string scalar_text(const json::value* v) {
    if (!v)
        return {};
    switch (v->kind()) {
    case json::kind::string: return std::string(v->get_string());
    case json::kind::int64: return std::to_string(v->get_int64());
    case json::kind::uint64: return std::to_string(v->get_uint64());
    case json::kind::double_: return json::serialize(*v);
    case json::kind::bool_: return v->get_bool() ? "true" : "false";
    default: return {};
    }
}

const json::value* first_of(const json::object& o, std::initializer_list<std::string_view> keys) {
    for (auto k : keys)
        if (auto* v = o.if_contains(k); v && !v->is_null())
            return v;
    return nullptr;
}

void decode_results(const json::value* v, std::vector<result_file>& out) {
    if (!v || !v->is_array())
        return;
    for (auto& item : v->get_array()) {
        auto* o = item.if_object();
        if (!o)
            continue;
        result_file r;
        r.url = scalar_text(first_of(*o, {"url", "outputUrl", "fileUrl"}));
        r.output_type = scalar_text(first_of(*o, {"outputType", "fileType"}));
        r.node_id = scalar_text(o->if_contains("nodeId"));
        if (auto* t = first_of(*o, {"text", "content", "output"}))
            r.text = scalar_text(t);
        decode_usage(*o, r.usage);  // legacy items carry costs; v2 results none
        out.push_back(std::move(r));
    }
}

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    });
}

std::string encode_query_body(std::string_view task_id) {
    std::string s;
    s.reserve(task_id.size() + 14);
    s.append(R"({"taskId":")").append(task_id).append("\"}");
    return s;
}

std::string excerpt(std::string_view body, std::size_t max) {
    std::string s(body.substr(0, max));
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    if (body.size() > max)
        s += "…";
    return s;
}

error_code http_status_error(unsigned status) noexcept {
    if (status == 429)
        return make_error_code(errc::http_too_many_requests);
    if (status >= 500 && status <= 599)
        return make_error_code(errc::http_server_error);
    return make_error_code(errc::http_unexpected_status);
}

bool valid_task_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

namespace {

// On a known status the errorCode describes the task (FAILED), not the request.
error_code flat_error(const http_answer& in, const task& out, diagnostics& diag) {
    if (out.error_code.empty() || (out.status != task_status::unknown && !out.id.empty()))
        return {};
    diag.server_message = out.error_message;
    diag.body_excerpt = excerpt(in.body);
    return service_error(out.error_code, diag);
}

// An answer about the wrong task, or with a taskId that is none: nothing of it is kept.
error_code refuse_task(task& out, diagnostics& diag, std::string_view asked_id, errc why, std::string message) {
    diagnostics kept = std::move(diag);  // diag may be out.diag
    out = task{};
    out.id = std::string(asked_id);
    diag = std::move(kept);
    diag.server_message = std::move(message);
    return make_error_code(why);
}

// What every decoded task answer must be: a 2xx, about a task id, the one asked.
error_code check_task_answer(const http_answer& in, task& out, diagnostics& diag, std::string_view asked_id,
                             bool ok_status) {
    if (!ok_status) {
        diag.body_excerpt = excerpt(in.body);
        return http_status_error(in.status);
    }
    if (out.id.empty()) {
        diag.body_excerpt = excerpt(in.body);
        diag.server_message = "answer has no taskId";
        return make_error_code(errc::protocol_error);
    }
    if (!valid_task_id(out.id)) {  // `true`, -5, quotes …: never an accepted task
        diag.body_excerpt = excerpt(in.body);
        return refuse_task(out, diag, asked_id, errc::protocol_error,
                           "answer's taskId \"" + excerpt(out.id, 40) + "\" is not a task id (decimal digits)");
    }
    if (!asked_id.empty() && out.id != asked_id) {
        diag.body_excerpt = excerpt(in.body);
        auto other = out.id;
        return refuse_task(out, diag, asked_id, errc::answer_mismatch,
                           "asked about task " + std::string(asked_id) + ", the answer is about task " + other);
    }
    return {};
}

} // namespace

error_code decode_task(const http_answer& in, task& out, diagnostics& diag, std::string_view asked_id) {
    if (!decode_flat_fast(in.body, out))  // the common shape, without a DOM (codec/task_sax)
        return decode_task_dom(in, out, diag, asked_id);
    diag.http_status = in.status;
    if (auto ec = flat_error(in, out, diag))
        return ec;
    return check_task_answer(in, out, diag, asked_id, in.status >= 200 && in.status < 300);
}

error_code decode_task_dom(const http_answer& in, task& out, diagnostics& diag, std::string_view asked_id) {
    diag.http_status = in.status;
    bool ok_status = in.status >= 200 && in.status < 300;
    unsigned char stack[4096];
    json::monotonic_resource mr(stack, sizeof stack);
    error_code jec;
    json::value doc = json::parse(in.body, jec, &mr);
    const json::object* o = jec ? nullptr : doc.if_object();
    if (!o) {
        diag.body_excerpt = excerpt(in.body);
        return ok_status ? make_error_code(errc::protocol_error) : http_status_error(in.status);
    }
    bool flat = o->contains("taskId") || o->contains("status") || o->contains("errorCode");
    if (!flat && o->contains("code")) {
        // Legacy envelope {code, msg|message, data}: some v2 errors come this way.
        std::string code = scalar_text(o->if_contains("code"));
        diag.server_message = scalar_text(first_of(*o, {"msg", "message"}));
        if (code != "0" && !code.empty()) {
            diag.body_excerpt = excerpt(in.body);
            return service_error(code, diag);
        }
        auto* data = o->if_contains("data");
        if (!data || !data->is_object()) {
            diag.body_excerpt = excerpt(in.body);
            return ok_status ? make_error_code(errc::protocol_error) : http_status_error(in.status);
        }
        decode_flat(data->get_object(), out);
    } else if (flat) {
        decode_flat(*o, out);
        if (auto ec = flat_error(in, out, diag))
            return ec;
    } else {
        diag.body_excerpt = excerpt(in.body);
        return ok_status ? make_error_code(errc::protocol_error) : http_status_error(in.status);
    }
    return check_task_answer(in, out, diag, asked_id, ok_status);
}

error_code decode_envelope(const http_answer& in, json::value& data, diagnostics& diag) {
    diag.http_status = in.status;
    error_code jec;
    json::value doc = json::parse(in.body, jec);
    const json::object* o = jec ? nullptr : doc.if_object();
    bool ok_status = in.status >= 200 && in.status < 300;
    auto bad = [&](error_code ec) {
        diag.body_excerpt = excerpt(in.body);
        return ec;
    };
    if (!o)
        return bad(ok_status ? make_error_code(errc::protocol_error) : http_status_error(in.status));
    if (o->contains("code")) {
        std::string code = scalar_text(o->if_contains("code"));
        diag.server_message = scalar_text(first_of(*o, {"msg", "message"}));
        if (auto* d = o->if_contains("data"))
            data = *d;
        if (code != "0")
            return bad(service_error(code, diag));
    } else if (auto code = scalar_text(o->if_contains("errorCode")); !code.empty() && code != "0") {
        diag.server_message = scalar_text(o->if_contains("errorMessage"));
        return bad(service_error(code, diag));
    } else {
        data = std::move(doc);
    }
    return ok_status ? error_code{} : bad(http_status_error(in.status));
}

error_code decode_legacy_outputs(const http_answer& in, std::string_view task_id, task& out, diagnostics& diag) {
    json::value data;
    auto ec = decode_envelope(in, data, diag);
    return legacy_outputs_task(ec, data, task_id, out, diag);
}

error_code legacy_outputs_task(error_code ec, const json::value& data, std::string_view task_id, task& out,
                               diagnostics& diag) {
    out.id = std::string(task_id);
    auto pending = [&](task_status s) {
        out.status = s;
        out.status_text = std::string(to_string(s));
        if (auto* o = data.if_object())
            out.net_wss_url = scalar_text(o->if_contains("netWssUrl"));
        diag = {};
        return error_code{};
    };
    if (ec == errc::apikey_task_is_running)
        return pending(task_status::running);
    if (ec == errc::apikey_task_is_queued)
        return pending(task_status::queued);
    if (ec == errc::apikey_task_status_error) {
        out.status = task_status::failed;
        out.status_text = "FAILED";
        out.error_code = "805";
        out.error_message = diag.server_message;
        if (auto* o = data.if_object(); o && o->contains("failedReason"))
            out.failed_reason.raw = o->at("failedReason");
        diag = {};
        return {};
    }
    if (ec)
        return ec;
    if (data.is_null())
        return pending(task_status::running);  // "code 0, data null" is seen while a task runs
    if (!data.is_array()) {
        diag.body_excerpt = excerpt(json::serialize(data));
        diag.server_message = "outputs: data is neither a list nor null";
        return make_error_code(errc::protocol_error);
    }
    out.status = task_status::success;
    out.status_text = "SUCCESS";
    decode_results(&data, out.results);
    usage_of_items(out.results, out.usage);
    return {};
}

error_code decode_uploaded(const json::value& data, uploaded_file& out) {
    auto* o = data.if_object();
    if (!o)
        return make_error_code(errc::protocol_error);
    out.file_name = scalar_text(first_of(*o, {"fileName", "filename"}));
    out.download_url = scalar_text(first_of(*o, {"download_url", "downloadUrl", "url"}));
    out.type = scalar_text(first_of(*o, {"type", "fileType"}));
    if (out.file_name.empty())
        return make_error_code(errc::protocol_error);
    return {};
}

error_code decode_account(const json::value& data, account_status& out) {
    auto* o = data.if_object();
    if (!o)
        return make_error_code(errc::protocol_error);
    out.remain_coins = scalar_text(o->if_contains("remainCoins"));
    out.current_task_counts = scalar_text(o->if_contains("currentTaskCounts"));
    out.remain_money = opt_text(*o, "remainMoney");
    out.currency = opt_text(*o, "currency");
    out.api_type = scalar_text(o->if_contains("apiType"));
    return {};
}

error_code decode_queue_status(const json::value& data, queue_status& out) {
    auto* o = data.if_object();
    if (!o)
        return make_error_code(errc::protocol_error);
    auto count = [&](std::string_view key, std::uint64_t& into) {
        auto text = scalar_text(o->if_contains(key));
        auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), into);
        return e == std::errc() && p == text.data() + text.size();
    };
    out.key_type = scalar_text(o->if_contains("apiKeyType"));
    if (!count("concurrentLimit", out.concurrent_limit))
        return make_error_code(errc::protocol_error);
    count("runningCount", out.running);
    count("queuedCount", out.queued);
    count("totalCurrentTasks", out.total);
    return {};
}

error_code decode_webhook_record(const json::value& data, webhook_record& out) {
    auto* o = data.if_object();
    if (!o)
        return make_error_code(errc::protocol_error);
    out.id = scalar_text(o->if_contains("id"));
    out.task_id = scalar_text(o->if_contains("taskId"));
    out.webhook_url = scalar_text(o->if_contains("webhookUrl"));
    if (auto* e = o->if_contains("eventData"))
        out.event_data = json_text(*e);
    out.callback_status = scalar_text(o->if_contains("callbackStatus"));
    out.callback_response = scalar_text(o->if_contains("callbackResponse"));
    auto rc = scalar_text(o->if_contains("retryCount"));
    std::from_chars(rc.data(), rc.data() + rc.size(), out.retry_count);
    out.create_time = scalar_text(o->if_contains("createTime"));
    out.update_time = scalar_text(o->if_contains("updateTime"));
    if (out.id.empty())
        return make_error_code(errc::protocol_error);
    return {};
}

error_code decode_workflow(const json::value& data, workflow_definition& out) {
    auto* o = data.if_object();
    auto* p = o ? o->if_contains("prompt") : nullptr;
    if (!p || !(p->is_string() || p->is_object()))
        return make_error_code(errc::protocol_error);
    out.prompt = json_text(*p);
    return {};
}

error_code decode_app_info(const json::value& data, app_info& out) {
    auto* o = data.if_object();
    if (!o)
        return make_error_code(errc::protocol_error);
    out.name = scalar_text(o->if_contains("webappName"));
    out.curl = scalar_text(first_of(*o, {"curl", "url"}));
    for (auto [key, into] : {std::pair{"covers", &out.covers}, {"tags", &out.tags}, {"statisticsInfo", &out.statistics}})
        if (auto* v = o->if_contains(key))
            *into = *v;
    if (auto* list = o->if_contains("nodeInfoList"); list && list->is_array()) {
        for (auto& item : list->get_array()) {
            auto* n = item.if_object();
            if (!n)
                continue;
            app_node node;
            node.node_id = scalar_text(n->if_contains("nodeId"));
            node.node_name = scalar_text(n->if_contains("nodeName"));
            node.field_name = scalar_text(n->if_contains("fieldName"));
            node.field_type = scalar_text(n->if_contains("fieldType"));
            node.description = scalar_text(n->if_contains("description"));
            node.description_en = scalar_text(n->if_contains("descriptionEn"));
            if (auto* v = n->if_contains("fieldValue"))
                node.field_value = *v;
            if (auto* d = n->if_contains("fieldData"))
                node.field_data = json_text(*d);
            out.nodes.push_back(std::move(node));
        }
    }
    return {};
}

std::optional<duration> parse_retry_after(std::string_view v, std::chrono::system_clock::time_point now) {
    while (!v.empty() && v.front() == ' ')
        v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ')
        v.remove_suffix(1);
    if (v.empty())
        return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        long long s = 0;
        auto [p, e] = std::from_chars(v.data(), v.data() + v.size(), s);
        if (e != std::errc() || s > 24 * 3600)
            return std::nullopt;
        return std::chrono::seconds(s);
    }
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    std::tm tm{};
    std::string s(v);
    const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0')
        return std::nullopt;
    auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
    if (when <= now)
        return duration::zero();
    return std::chrono::duration_cast<duration>(when - now);
}

} // namespace runninghub::detail

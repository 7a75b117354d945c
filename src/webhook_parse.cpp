#include <runninghub/webhook.hpp>

#include <boost/json.hpp>

namespace json = boost::json;

namespace runninghub {
namespace {

std::string text_of(const json::value* v) {
    if (!v)
        return {};
    if (auto* s = v->if_string())
        return std::string(*s);
    if (v->is_int64())
        return std::to_string(v->get_int64());
    if (v->is_uint64())
        return std::to_string(v->get_uint64());
    return {};
}

const json::value* first_of(const json::object& o, std::initializer_list<std::string_view> keys) {
    for (auto k : keys)
        if (auto* v = o.if_contains(k); v && !v->is_null())
            return v;
    return nullptr;
}

void read_results(const json::value* v, std::vector<result_file>& out) {
    if (!v || !v->is_array())
        return;
    for (auto& item : v->get_array()) {
        auto* o = item.if_object();
        if (!o)
            continue;
        result_file r;
        r.url = text_of(first_of(*o, {"url", "outputUrl", "fileUrl"}));
        r.output_type = text_of(first_of(*o, {"outputType", "fileType"}));
        r.node_id = text_of(o->if_contains("nodeId"));
        if (auto* t = first_of(*o, {"text", "content", "output"}))
            r.text = text_of(t);
        out.push_back(std::move(r));
    }
}

// Reads status and results from one level: {status, results}, {taskStatus},
// or the legacy outputs envelope {code, msg, data:[…]|{failedReason}}.
void read_outcome(const json::object& o, webhook_event& e) {
    if (e.task_id.empty())
        e.task_id = text_of(first_of(o, {"taskId", "task_id"}));
    if (auto* st = first_of(o, {"status", "taskStatus"}); st && st->is_string())
        e.status = parse_task_status(st->get_string());
    read_results(o.if_contains("results"), e.results);
    auto* code = o.if_contains("code");
    auto* data = o.if_contains("data");
    if (code && (code->is_int64() || code->is_uint64() || code->is_string())) {
        auto c = text_of(code);
        if (data && data->is_array()) {
            read_results(data, e.results);
            if (c == "0" && e.status == task_status::unknown)
                e.status = task_status::success;
        } else if (c == "805" && e.status == task_status::unknown) {
            e.status = task_status::failed;
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
    for (char c : e.task_id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return fail("taskId has characters an id cannot have");
    e.raw = std::move(doc);
    return e;
}

} // namespace runninghub

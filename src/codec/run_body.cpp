// SPDX-License-Identifier: BSL-1.0
// The run body (issue 12): its JSON written directly, not built as a DOM and serialized.
#include "codec/codec.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>

namespace json = boost::json;

namespace runninghub::detail {
namespace {

// A JSON string as Boost.JSON's serializer writes it: `"` and `\\` escaped, the control
// characters as \b \t \n \f \r or \u00xx, every other byte (UTF-8 too) as it is.
void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    // Runs that need no escaping go in whole: a byte at a time cost ~2k
    // instructions per submit (issue 12).
    std::size_t plain = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char ch = s[i];
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && ch != '"' && ch != '\\')
            continue;
        out.append(s.substr(plain, i - plain));
        plain = i + 1;
        out += '\\';
        switch (ch) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '\b': out += 'b'; break;
        case '\t': out += 't'; break;
        case '\n': out += 'n'; break;
        case '\f': out += 'f'; break;
        case '\r': out += 'r'; break;
        default: out.append("u00").append(1, hex[c >> 4]).append(1, hex[c & 15]);
        }
    }
    out.append(s.substr(plain));
    out += '"';
}

// `,"key":` (the comma unless first); the keys are constants that need no escaping.
void append_key(std::string& out, std::string_view key, bool first = false) {
    out.append(first ? "\"" : ",\"").append(key).append("\":");
}

void append_value(std::string& out, const json::value& v) {
    if (auto* s = v.if_string())
        append_json_string(out, *s);
    else
        out += json::serialize(v);
}
} // namespace

// The same bytes json::serialize wrote for the object this built before, written
// directly: the DOM cost ~0.75 us and a dozen allocations per submit (issue 12).
std::string encode_run_body(const std::vector<node_input>& inputs, const run_options& opts, bool workflow) {
    std::size_t size = 64 + opts.instance_type.size() + opts.webhook_url.size() + opts.workflow_json.size();
    for (auto& in : inputs)
        size += 64 + in.node_id.size() + in.field_name.size() + in.description.size() +
                (in.field_value.is_string() ? in.field_value.get_string().size() : 16);
    std::string out;
    out.reserve(size + size / 8);  // room for a few escapes
    out += "{\"nodeInfoList\":[";
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto& in = inputs[i];
        out += i ? ",{" : "{";
        append_key(out, "nodeId", true);
        append_json_string(out, in.node_id);
        append_key(out, "fieldName");
        append_json_string(out, in.field_name);
        append_key(out, "fieldValue");
        append_value(out, in.field_value);
        if (!in.description.empty()) {
            append_key(out, "description");
            append_json_string(out, in.description);
        }
        out += '}';
    }
    out += ']';
    if (!opts.instance_type.empty()) {
        append_key(out, "instanceType");
        append_json_string(out, opts.instance_type);
    }
    if (opts.use_personal_queue) {
        append_key(out, "usePersonalQueue");
        out += *opts.use_personal_queue ? "true" : "false";
    }
    if (!opts.webhook_url.empty()) {
        append_key(out, "webhookUrl");
        append_json_string(out, opts.webhook_url);
    }
    if (workflow && !opts.workflow_json.empty()) {
        append_key(out, "workflow");
        append_json_string(out, opts.workflow_json);
    }
    if (workflow && opts.add_metadata) {
        append_key(out, "addMetadata");
        out += *opts.add_metadata ? "true" : "false";
    }
    if (opts.retain_seconds) {
        append_key(out, "retainSeconds");
        out += std::to_string(*opts.retain_seconds);
    }
    for (auto& [key, value] : opts.extra_fields) {
        out += ',';
        append_json_string(out, key);
        out += ':';
        append_value(out, value);
    }
    out += '}';
    return out;
}

std::string_view client_written_field(const run_options& opts) {
    static constexpr std::string_view written[] = {
        "nodeInfoList", "instanceType", "usePersonalQueue", "webhookUrl",      "workflow", "addMetadata",
        "retainSeconds", "apiKey",      "webappId",         "workflowId", "quickCreateCode"};
    for (auto& [key, value] : opts.extra_fields)
        for (auto w : written)
            if (key == w)
                return w;
    return {};
}

// The legacy create body, as a DOM (the legacy endpoints are off the hot path).
namespace {
json::array encode_inputs(const std::vector<node_input>& inputs) {
    json::array list;
    list.reserve(inputs.size());
    for (auto& in : inputs) {
        json::object item;
        item["nodeId"] = in.node_id;
        item["fieldName"] = in.field_name;
        item["fieldValue"] = in.field_value;
        if (!in.description.empty())
            item["description"] = in.description;
        list.push_back(std::move(item));
    }
    return list;
}
} // namespace

json::object encode_legacy_run_body(std::string_view id_field, std::string_view id, std::string_view quick_code,
                                    const std::vector<node_input>& inputs, const run_options& opts) {
    json::object body;
    std::int64_t n = 0;
    auto [p, e] = std::from_chars(id.data(), id.data() + id.size(), n);
    if (id_field == "webappId" && e == std::errc() && p == id.data() + id.size())
        body[id_field] = n;
    else
        body[id_field] = id;
    if (!quick_code.empty())
        body["quickCreateCode"] = quick_code;
    body["nodeInfoList"] = encode_inputs(inputs);
    if (!opts.instance_type.empty())
        body["instanceType"] = opts.instance_type;
    if (opts.use_personal_queue)
        body["usePersonalQueue"] = *opts.use_personal_queue;
    if (!opts.webhook_url.empty())
        body["webhookUrl"] = opts.webhook_url;
    if (!opts.workflow_json.empty())
        body["workflow"] = opts.workflow_json;
    if (opts.add_metadata)
        body["addMetadata"] = *opts.add_metadata;
    if (opts.retain_seconds)
        body["retainSeconds"] = *opts.retain_seconds;
    for (auto& [key, value] : opts.extra_fields)
        body[key] = value;
    return body;
}

} // namespace runninghub::detail

// SPDX-License-Identifier: BSL-1.0
#include <runninghub/models.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace runninghub {

std::string_view to_string(task_status s) noexcept {
    switch (s) {
    case task_status::create: return "CREATE";
    case task_status::queued: return "QUEUED";
    case task_status::running: return "RUNNING";
    case task_status::success: return "SUCCESS";
    case task_status::failed: return "FAILED";
    case task_status::cancel: return "CANCEL";
    case task_status::unknown: break;
    }
    return "UNKNOWN";
}

task_status parse_task_status(std::string_view s) noexcept {
    if (s == "QUEUED") return task_status::queued;
    if (s == "RUNNING") return task_status::running;
    if (s == "SUCCESS") return task_status::success;
    if (s == "FAILED") return task_status::failed;
    if (s == "CANCEL" || s == "CANCELLED" || s == "CANCELED") return task_status::cancel;
    if (s == "CREATE") return task_status::create;
    return task_status::unknown;
}

namespace {

// A field of the failedReason object as text: a string as it is, a list of
// strings joined with newlines (tracebacks), anything else as JSON.
// ComfyUI's lines end in a newline; one that does not gets it.
std::string joined(const boost::json::array& a) {
    std::string out;
    for (auto& x : a) {
        out.append(x.get_string());
        if (!out.empty() && out.back() != '\n')
            out += '\n';
    }
    return out;
}

bool all_strings(const boost::json::array& a) {
    return std::all_of(a.begin(), a.end(), [](auto& x) { return x.is_string(); });
}

// A field of the failedReason object as text: a string as it is, anything else as
// JSON. A list of strings (a traceback, also sent as the JSON text of one) is joined.
std::string failure_field(const boost::json::value& raw, std::string_view key) {
    auto* o = raw.if_object();
    auto* f = o ? o->if_contains(key) : nullptr;
    if (!f || f->is_null())
        return {};
    if (auto* s = f->if_string()) {
        if (s->starts_with("[")) {
            error_code ec;
            auto v = boost::json::parse(*s, ec);
            if (auto* a = ec ? nullptr : v.if_array(); a && all_strings(*a))
                return joined(*a);
        }
        return std::string(*s);
    }
    if (auto* a = f->if_array(); a && all_strings(*a))
        return joined(*a);
    return boost::json::serialize(*f);
}

} // namespace

std::string task_failure::node_id() const { return failure_field(raw, "node_id"); }
std::string task_failure::node_type() const { return failure_field(raw, "node_name"); }
std::string task_failure::exception_type() const { return failure_field(raw, "exception_type"); }
std::string task_failure::exception_message() const {
    return raw.is_string() ? std::string(raw.get_string()) : failure_field(raw, "exception_message");
}
std::string task_failure::traceback() const { return failure_field(raw, "traceback"); }

bool task_failure::empty() const noexcept {
    if (auto* o = raw.if_object())
        return o->empty();
    if (auto* s = raw.if_string())
        return s->empty();
    return raw.is_null();
}

std::string to_string(const task_failure& f) {
    if (f.empty() || f.raw.is_string())
        return f.exception_message();
    std::string s;
    if (auto node = f.node_id(); !node.empty()) {
        auto type = f.node_type();
        s = "node " + node + (type.empty() ? "" : " (" + type + ")") + ": ";
    }
    if (auto type = f.exception_type(); !type.empty())
        s += type + ": ";
    s += f.exception_message();
    return s.empty() ? boost::json::serialize(f.raw) : s;  // an object of other fields: as sent
}

bool prompt_tips::has_node_errors() const noexcept {
    if (auto* o = node_errors.if_object())
        return !o->empty();
    if (auto* a = node_errors.if_array())
        return !a->empty();
    if (auto* s = node_errors.if_string())
        return !s->empty();
    return false;
}

std::optional<prompt_tips> parse_prompt_tips(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    error_code ec;
    auto v = boost::json::parse(text, ec);
    auto* o = ec ? nullptr : v.if_object();
    if (!o)
        return std::nullopt;
    prompt_tips t;
    if (auto* r = o->if_contains("result"); r && r->is_bool())
        t.result = r->get_bool();
    if (auto* e = o->if_contains("error"))
        t.error = *e;
    if (auto* a = o->if_contains("outputs_to_execute"); a && a->is_array())
        for (auto& x : a->get_array())
            if (x.is_string())
                t.outputs_to_execute.emplace_back(x.get_string());
    if (auto* n = o->if_contains("node_errors"))
        t.node_errors = *n;
    return t;
}

std::string_view content_type_for(std::string_view file_name) noexcept {
    auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos)
        return "application/octet-stream";
    char ext[12] = {};
    auto e = file_name.substr(dot + 1);
    if (e.size() >= sizeof ext)
        return "application/octet-stream";
    std::transform(e.begin(), e.end(), ext, [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {"png", "image/png"},   {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},       {"webp", "image/webp"},
        {"gif", "image/gif"},   {"bmp", "image/bmp"},   {"zip", "application/zip"},   {"mp3", "audio/mpeg"},
        {"wav", "audio/wav"},   {"flac", "audio/flac"}, {"mp4", "video/mp4"},         {"avi", "video/x-msvideo"},
        {"mov", "video/quicktime"}, {"mkv", "video/x-matroska"}, {"webm", "video/webm"}, {"txt", "text/plain"},
        {"json", "application/json"},
    };
    std::string_view x(ext);
    for (auto& [k, v] : types)
        if (k == x)
            return v;
    return "application/octet-stream";
}

std::vector<node_input> app_info::inputs() const {
    std::vector<node_input> v;
    v.reserve(nodes.size());
    for (auto& n : nodes)
        v.push_back(n.with(n.field_value));
    return v;
}

const app_node* app_info::find(std::string_view node_id, std::string_view field_name) const noexcept {
    for (auto& n : nodes)
        if (n.node_id == node_id && n.field_name == field_name)
            return &n;
    return nullptr;
}

} // namespace runninghub
